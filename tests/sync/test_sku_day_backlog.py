"""SkuDay is rebuilt once per sync run: an ingest batch rebuilds its OrderDay days and notes
its days for SkuDay, in its transaction; the end of the run rebuilds the noted days once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from ams.core.tenancy import team_scope
from ams.orders import rollups
from ams.orders.models import OrderDay, SkuDay, SkuDayBacklog
from tests.dashboard import factories as f
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _batch(connection_id: int, order_ids: list[str]) -> None:
    """What an ingest batch does after its upserts, with a staging table of those orders' lines."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE batch ON COMMIT DROP AS "
            "SELECT marketplace_id, purchased_at FROM orders_orderline WHERE amazon_order_id = ANY(%s)",
            [order_ids],
        )
    rollups.order_days_refresh_from_stage(connection_id=connection_id, staged="batch")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE batch")


def test_a_batch_notes_its_days_and_the_run_rebuilds_them_once(personas: Personas):
    team, outsider = personas.team, personas.outsider_team
    mine, theirs = f.connected(team), f.connected(outsider)
    # 10:00 UTC is the same local day in Los Angeles: March 1 and March 3.
    first = f.order(
        team, mine, at=datetime(2026, 3, 1, 18, tzinfo=UTC), lines=[("MUG", 2, "10.00")]
    )
    second = f.order(
        team,
        mine,
        at=datetime(2026, 3, 3, 18, tzinfo=UTC),
        lines=[("MUG", 1, "10.00"), ("LAMP", 1, "30.00")],
    )
    foreign = f.order(
        outsider, theirs, at=datetime(2026, 3, 2, 18, tzinfo=UTC), lines=[("MUG", 5, "10.00")]
    )
    with team_scope(outsider.id):
        _batch(theirs.id, [foreign.amazon_order_id])

    with team_scope(team.id):
        _batch(mine.id, [first.amazon_order_id])
        _batch(mine.id, [second.amazon_order_id])
        # OrderDay is current after each batch; SkuDay waits, its days noted and widened.
        assert OrderDay.objects.filter(connection=mine).count() == 2
        assert not SkuDay.objects.filter(connection=mine).exists()
        backlog = SkuDayBacklog.objects.get(connection=mine)
        assert (backlog.first_day, backlog.last_day) == (date(2026, 3, 1), date(2026, 3, 3))

        rollups.sku_days_catch_up(connection_id=mine.id)
        days = {(d.day, d.sku): (d.units, d.sales) for d in SkuDay.objects.filter(connection=mine)}
        assert days == {
            (date(2026, 3, 1), "MUG"): (
                2,
                Decimal("10.00"),
            ),  # item price is the line's, for its quantity
            (date(2026, 3, 3), "MUG"): (1, Decimal("10.00")),
            (date(2026, 3, 3), "LAMP"): (1, Decimal("30.00")),
        }
        assert not SkuDayBacklog.objects.filter(connection=mine).exists()
        assert not SkuDayBacklog.objects.filter(connection=theirs).exists()  # not visible here

    with team_scope(outsider.id):
        # The other team's note is its own, untouched by this team's run.
        assert SkuDayBacklog.objects.filter(connection=theirs).count() == 1
        assert not SkuDay.objects.filter(connection=theirs).exists()


def test_a_batch_spread_over_months_rebuilds_only_the_days_it_has_lines_on(personas: Personas):
    """A report by last update mixes recent orders with an old one: the batch rebuilds the old
    order's day and the recent days, not every day between, and still notes the whole span for
    SkuDay."""
    team, outsider = personas.team, personas.outsider_team
    mine, theirs = f.connected(team), f.connected(outsider)
    old = f.order(team, mine, at=datetime(2026, 1, 10, 18, tzinfo=UTC), lines=[("MUG", 1, "10.00")])
    between = f.order(
        team, mine, at=datetime(2026, 2, 10, 18, tzinfo=UTC), lines=[("LAMP", 1, "30.00")]
    )
    recent = [
        f.order(
            team, mine, at=datetime(2026, 3, day, 18, tzinfo=UTC), lines=[("MUG", day, "10.00")]
        )
        for day in (1, 2, 3, 5)
    ]
    foreign = f.order(
        outsider, theirs, at=datetime(2026, 2, 10, 18, tzinfo=UTC), lines=[("MUG", 5, "10.00")]
    )
    with team_scope(outsider.id):
        _batch(theirs.id, [foreign.amazon_order_id])
    with team_scope(team.id):
        _batch(mine.id, [between.amazon_order_id])
        untouched = OrderDay.objects.get(connection=mine, day=date(2026, 2, 10))

        _batch(mine.id, [old.amazon_order_id, *(o.amazon_order_id for o in recent)])

        days = {d.day: (d.orders, d.units) for d in OrderDay.objects.filter(connection=mine)}
        assert days == {
            date(2026, 1, 10): (1, 1),
            date(2026, 2, 10): (1, 1),
            date(2026, 3, 1): (1, 1),
            date(2026, 3, 2): (1, 2),
            date(2026, 3, 3): (1, 3),
            date(2026, 3, 5): (1, 5),
        }
        # The day between was not summed again: the same row.
        assert OrderDay.objects.get(connection=mine, day=date(2026, 2, 10)).id == untouched.id
        backlog = SkuDayBacklog.objects.get(connection=mine)
        assert (backlog.first_day, backlog.last_day) == (date(2026, 1, 10), date(2026, 3, 5))
    with team_scope(outsider.id):
        assert OrderDay.objects.get(connection=theirs).units == 5
