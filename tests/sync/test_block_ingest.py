"""A report written two blocks at a time, whose blocks share a new order: the first block in
takes it by a plain INSERT, the other finds it there (or waits for it) and upserts instead, so
the order ends with its newest version, once, whichever block commits first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.orders.models import Order, OrderDay, OrderLine
from ams.sync import context
from devtools.bench import sync as bench
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.sync.orders_report import ingest_orders_report

BOUGHT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _line(order: str, sku: str, *, updated_hours: int, quantity: int) -> str:
    cells = dict.fromkeys(bench.HEADER.split("\t"), "")
    cells.update(
        {
            "amazon-order-id": order,
            "purchase-date": f"{BOUGHT:%Y-%m-%dT%H:%M:%S+00:00}",
            "last-updated-date": f"{BOUGHT + timedelta(hours=updated_hours):%Y-%m-%dT%H:%M:%S+00:00}",
            "order-status": "Shipped",
            "fulfillment-channel": "Amazon",
            "sales-channel": "Amazon.com",
            "sku": sku,
            "asin": "B0TEST",
            "quantity": str(quantity),
            "currency": "USD",
            "item-price": f"{10 * quantity}.00",
        }
    )
    return "\t".join(cells.values())


def _ingest(connection: SellerConnection, lines: list[str]) -> None:
    ingest_orders_report(connection, lines, marketplaces={f.US})


@pytest.mark.django_db(transaction=True)
def test_blocks_written_at_once_that_share_a_new_order_keep_its_newest_version(personas: Personas):
    assert context.INGEST_WORKERS >= 2
    connection = f.connected(personas.team)
    theirs = f.connected(personas.outsider_team)
    _ingest(theirs, [_line("111-0000001-0000001", "MUG", updated_hours=9, quantity=9)])

    _ingest(
        connection,
        [
            _line("111-0000001-0000001", "MUG", updated_hours=1, quantity=1),
            *(
                _line(f"111-0000002-000000{i}", "CUP", updated_hours=1, quantity=1)
                for i in range(3)
            ),
            # The same order again, newer, in a block of its own that another block may be written
            # beside. Its first line is new, so the block is tried as a plain INSERT, which the
            # known line makes fail.
            _line("111-0000001-0000001", "LAMP", updated_hours=5, quantity=2),
            _line("111-0000001-0000001", "MUG", updated_hours=5, quantity=4),
            *(
                _line(f"111-0000003-000000{i}", "BOWL", updated_hours=1, quantity=1)
                for i in range(3)
            ),
            # And an older version last: refused, whenever its block is written.
            _line("111-0000001-0000001", "MUG", updated_hours=2, quantity=7),
        ],
    )

    with team_scope(personas.team.id):
        order = Order.objects.get(connection=connection, amazon_order_id="111-0000001-0000001")
        assert order.last_updated_at == BOUGHT + timedelta(hours=5)
        lines = {
            line.sku: line.quantity
            for line in OrderLine.objects.filter(amazon_order_id=order.amazon_order_id)
        }
        assert lines == {"MUG": 4, "LAMP": 2}
        assert Order.objects.filter(connection=connection).count() == 7
        assert OrderLine.objects.filter(connection=connection).count() == 8
        # The day's rollup agrees with the lines whichever block was written last.
        day = OrderDay.objects.get(connection=connection)
        assert (day.orders, day.units) == (7, 12)
    with team_scope(personas.outsider_team.id):
        (their_line,) = OrderLine.objects.all()
        assert (their_line.sku, their_line.quantity) == ("MUG", 9)
