"""The set-based upsert (ams.core.bulk.merge): the newest version of a row wins, within a batch
and across batches, a row seen again unchanged is not rewritten, and another team's rows with
the same natural key are never touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from ams.core import bulk
from ams.core.tenancy import team_scope
from ams.orders import writers
from ams.orders.models import Order, OrderLine
from tests.dashboard import factories as f
from tests.factories import Personas

pytestmark = pytest.mark.django_db

BOUGHT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _line(
    order: str, sku: str, *, updated_hours: int, quantity: int, price: str = "10.00"
) -> tuple[object, ...]:
    return (
        order,
        f.US,
        BOUGHT,
        BOUGHT + timedelta(hours=updated_hours),
        "shipped",
        "shipped",
        "AFN",
        "Amazon.com",
        "USD",
        sku,
        "B0TEST",
        quantity,
        Decimal(price),
        Decimal(0),
        Decimal(0),
        Decimal(0),
        "",
    )


def _merge(team_id: int, connection_id: int, rows: list[tuple[object, ...]]) -> list[int]:
    """Stage ``rows`` and upsert them into orders and lines, as one ingest batch does."""
    with team_scope(team_id), transaction.atomic():
        staged, _ = bulk.stage(writers.LINE_COLUMNS, rows)
        return [
            bulk.merge(target, staged, connection_id=connection_id)
            for target in (writers.ORDERS, writers.LINES)
        ]


def _quantities(team_id: int) -> dict[tuple[str, str], int]:
    with team_scope(team_id):
        return {(line.amazon_order_id, line.sku): line.quantity for line in OrderLine.objects.all()}


def test_the_newest_version_wins_whatever_the_order_of_the_batch(personas: Personas):
    connection = f.connected(personas.team)
    theirs = f.connected(personas.outsider_team)
    their_rows = [_line("111-0000001-0000001", "MUG", updated_hours=1, quantity=9)]
    _merge(personas.outsider_team.id, theirs.id, their_rows)

    # The same line twice in one batch, the newer first, then the newer last.
    changed = _merge(
        personas.team.id,
        connection.id,
        [
            _line("111-0000001-0000001", "MUG", updated_hours=5, quantity=2),
            _line("111-0000001-0000001", "MUG", updated_hours=1, quantity=1),
            _line("111-0000002-0000001", "CUP", updated_hours=1, quantity=1),
            _line("111-0000002-0000001", "CUP", updated_hours=5, quantity=3),
            _line("111-0000003-0000001", "BOWL", updated_hours=1, quantity=4),
        ],
    )

    assert changed == [3, 3]
    assert _quantities(personas.team.id) == {
        ("111-0000001-0000001", "MUG"): 2,
        ("111-0000002-0000001", "CUP"): 3,
        ("111-0000003-0000001", "BOWL"): 4,
    }
    # The outsider's line with the same order id and SKU is theirs, untouched.
    assert _quantities(personas.outsider_team.id) == {("111-0000001-0000001", "MUG"): 9}


def test_an_older_version_never_overwrites_and_an_unchanged_row_is_not_rewritten(
    personas: Personas,
):
    connection = f.connected(personas.team)
    _merge(
        personas.team.id,
        connection.id,
        [
            _line("111-0000001-0000001", "MUG", updated_hours=5, quantity=2),
            _line("111-0000002-0000001", "CUP", updated_hours=5, quantity=3),
        ],
    )
    with team_scope(personas.team.id):
        synced = {line.sku: line.synced_at for line in OrderLine.objects.all()}

    changed = _merge(
        personas.team.id,
        connection.id,
        [
            _line("111-0000001-0000001", "MUG", updated_hours=1, quantity=7),  # older: refused
            _line(
                "111-0000002-0000001", "CUP", updated_hours=5, quantity=3
            ),  # the same: left alone
        ],
    )

    assert changed == [0, 0]
    assert _quantities(personas.team.id) == {
        ("111-0000001-0000001", "MUG"): 2,
        ("111-0000002-0000001", "CUP"): 3,
    }
    with team_scope(personas.team.id):
        assert {line.sku: line.synced_at for line in OrderLine.objects.all()} == synced
        assert Order.objects.get(
            amazon_order_id="111-0000001-0000001"
        ).last_updated_at == BOUGHT + timedelta(hours=5)

    changed = _merge(
        personas.team.id,
        connection.id,
        [
            _line(
                "111-0000002-0000001", "CUP", updated_hours=6, quantity=5, price="12.00"
            ),  # newer: taken
        ],
    )
    assert changed == [1, 1]
    assert _quantities(personas.team.id)[("111-0000002-0000001", "CUP")] == 5


def test_a_batch_that_looks_new_but_holds_a_known_row_is_upserted(personas: Personas):
    """The first staged row is new, so the batch is tried as a plain INSERT; a later row the
    table holds makes it fail, and the batch is upserted instead: the new rows go in once, the
    older version of the known row is refused, a newer one taken."""
    connection = f.connected(personas.team)
    theirs = f.connected(personas.outsider_team)
    _merge(
        personas.outsider_team.id,
        theirs.id,
        [_line("111-0000009-0000001", "NEW", updated_hours=1, quantity=9)],
    )
    _merge(
        personas.team.id,
        connection.id,
        [
            _line("111-0000001-0000001", "MUG", updated_hours=5, quantity=2),
            _line("111-0000002-0000001", "CUP", updated_hours=1, quantity=3),
        ],
    )

    changed = _merge(
        personas.team.id,
        connection.id,
        [
            _line(
                "111-0000009-0000001", "NEW", updated_hours=1, quantity=1
            ),  # the outsider's key: new here
            _line("111-0000001-0000001", "MUG", updated_hours=1, quantity=7),  # older: refused
            _line("111-0000002-0000001", "CUP", updated_hours=4, quantity=6),  # newer: taken
            _line("111-0000010-0000001", "BOWL", updated_hours=1, quantity=4),
        ],
    )

    assert changed == [3, 3]
    assert _quantities(personas.team.id) == {
        ("111-0000001-0000001", "MUG"): 2,
        ("111-0000002-0000001", "CUP"): 6,
        ("111-0000009-0000001", "NEW"): 1,
        ("111-0000010-0000001", "BOWL"): 4,
    }
    assert _quantities(personas.outsider_team.id) == {("111-0000009-0000001", "NEW"): 9}
    with team_scope(personas.team.id):
        assert Order.objects.count() == 4


def test_new_rows_of_a_summed_target_add_up_their_repeated_keys(personas: Personas):
    """A fresh batch with two items of one SKU in one order (the report's shape): the plain
    INSERT refuses the repeat and the sorted upsert adds the two up."""
    connection = f.connected(personas.team)
    with team_scope(personas.team.id), transaction.atomic():
        staged, _ = bulk.stage(
            writers.LINE_COLUMNS,
            [
                _line("111-0000001-0000001", "MUG", updated_hours=1, quantity=1, price="10.00"),
                _line("111-0000002-0000001", "CUP", updated_hours=1, quantity=1),
                _line("111-0000001-0000001", "MUG", updated_hours=1, quantity=2, price="20.00"),
            ],
        )
        changed = bulk.merge(writers.REPORT_LINES, staged, connection_id=connection.id)

    assert changed == 2
    with team_scope(personas.team.id):
        mug = OrderLine.objects.get(sku="MUG")
    assert (mug.quantity, mug.item_price) == (3, Decimal("30.00"))


def test_a_batch_says_whether_it_only_added_rows(personas: Personas):
    """merge_all's added_only: every target took the batch by a plain INSERT, none of its keys
    known. The outsider's row with the same key is not the team's: it does not count as known."""
    connection = f.connected(personas.team)
    theirs = f.connected(personas.outsider_team)
    _merge(
        personas.outsider_team.id,
        theirs.id,
        [_line("111-0000002-0000001", "CUP", updated_hours=1, quantity=9)],
    )

    def merged(rows: list[tuple[object, ...]]) -> bulk.Merged:
        with team_scope(personas.team.id), transaction.atomic():
            staged, _ = bulk.stage(writers.LINE_COLUMNS, rows)
            return bulk.merge_all(
                [writers.ORDERS, writers.LINES], staged, connection_id=connection.id
            )

    first = merged(
        [
            _line("111-0000001-0000001", "MUG", updated_hours=1, quantity=1),
            _line("111-0000002-0000001", "CUP", updated_hours=1, quantity=1),
        ]
    )
    assert first == bulk.Merged(changed=4, added_only=True, added=4)
    # A new order beside one the table holds: rows were changed, not only added.
    second = merged(
        [
            _line("111-0000003-0000001", "BOWL", updated_hours=1, quantity=1),
            _line("111-0000001-0000001", "MUG", updated_hours=2, quantity=2),
        ]
    )
    # Of the four rows written, the new order and its line were inserted, MUG's two updated.
    assert second == bulk.Merged(changed=4, added_only=False, added=2)
    # A new order's new line, but the order's other line known: the orders target upserts.
    third = merged([_line("111-0000003-0000001", "LAMP", updated_hours=3, quantity=1)])
    assert third.added_only is False
    assert _quantities(personas.team.id) == {
        ("111-0000001-0000001", "MUG"): 2,
        ("111-0000002-0000001", "CUP"): 1,
        ("111-0000003-0000001", "BOWL"): 1,
        ("111-0000003-0000001", "LAMP"): 1,
    }
