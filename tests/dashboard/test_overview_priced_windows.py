"""The cost of goods priced ahead per SKU summary row and window (procurement.SkuWindowCost):
rebuilt with the SKU summary and when costs are saved or deleted, read by the overview only when
it was priced for the window shown, equal to pricing the period day by day; never another team's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ams.core.tenancy import team_scope
from ams.dashboard import overview as ov
from ams.procurement.models import ProductCost, SkuWindowCost
from ams.procurement.services import product_cost_delete
from ams.sync.syncers.orders import sku_summary_refresh
from tests.dashboard import factories as f
from tests.dashboard.test_overview import TODAY, at, seed, seller_connection
from tests.factories import Personas
from tests.procurement.helpers import add_cost

pytestmark = pytest.mark.django_db

Goods = dict[tuple[str, bool], tuple[Decimal, int, int]]


def priced_and_day_by_day(
    p: Personas, window: str, marketplace: str = ""
) -> tuple[Goods | None, Goods]:
    period = ov.preset_period(window, today=TODAY)
    with team_scope(p.team.id):
        priced = ov._priced_windows(p.team, period, marketplace, window)
        day_by_day = ov._cost_of_goods(p.team, period, period.previous(), marketplace, None)
    return priced, day_by_day


@pytest.fixture
def data(personas: Personas) -> Personas:
    seed(personas)
    # The outsider's summary and costs are priced too, in its own rows.
    outsider = personas.outsider_team
    with team_scope(outsider.id):
        sku_summary_refresh(
            connection_id=seller_connection(outsider).id, marketplace_id=f.US, now=at(10, 12)
        )
    add_cost(outsider, "SECRET-SKU", "500.00", date(2026, 1, 1))
    return personas


def test_priced_windows_follow_cost_writes_and_equal_pricing_day_by_day(data: Personas):
    # Nothing has a cost yet: every unit sold is missing one, nothing is priced as free.
    priced, day_by_day = priced_and_day_by_day(data, "7d")
    assert priced is not None
    assert priced == day_by_day
    assert priced[("USD", True)] == (Decimal("0.00"), 2, 3)

    # Saved through the service: the rows are priced again at once.
    add_cost(data.team, "MUG-1", "4.00", date(2026, 1, 1))
    add_cost(data.team, "LAMP-1", "10.00", date(2026, 2, 1), marketplace_id=f.US)
    add_cost(
        data.team, "MUG-1", "6.00", date(2026, 2, 6)
    )  # changes inside the window: priced day by day
    for window in ov.WINDOWS:
        for marketplace in ("", f.US, f.DE):
            priced, day_by_day = priced_and_day_by_day(data, window, marketplace)
            assert priced is not None, (window, marketplace)
            assert priced == day_by_day, (window, marketplace)
    priced, _ = priced_and_day_by_day(data, "7d")
    assert priced is not None
    assert priced[("USD", True)] == (Decimal("18.00"), 0, 0)  # 2 x 4.00 + 1 x 10.00
    assert priced[("USD", False)] == (
        Decimal("20.00"),
        1,
        1,
    )  # the lamp sold on Jan 30, before its cost

    # Deleted through the service: the mug is priced again without its Feb 6 record.
    with team_scope(data.team.id):
        record = ProductCost.objects.get(
            team=data.team, sku="MUG-1", effective_from=date(2026, 2, 6)
        )
        product_cost_delete(team=data.team, cost_id=record.id)
    priced, day_by_day = priced_and_day_by_day(data, "30d")
    assert priced is not None
    assert priced == day_by_day

    # A summary not refreshed today was not priced for today's window: the live query answers.
    with team_scope(data.team.id):
        assert (
            ov._priced_windows(data.team, ov.preset_period("7d", today=date(2026, 2, 11)), "", "7d")
            is None
        )


def test_a_summary_refresh_prices_its_rows_again(data: Personas):
    add_cost(data.team, "MUG-1", "4.00", date(2026, 1, 1))
    c = seller_connection(data.team)
    with team_scope(data.team.id):
        SkuWindowCost.objects.filter(team=data.team).delete()
        assert ov._priced_windows(data.team, ov.preset_period("7d", today=TODAY), "", "7d") is None
        for marketplace in (f.US, f.DE):
            sku_summary_refresh(connection_id=c.id, marketplace_id=marketplace, now=at(10, 12))
    priced, day_by_day = priced_and_day_by_day(data, "7d")
    assert priced is not None
    assert priced == day_by_day
    assert priced[("USD", True)][0] == Decimal("8.00")


def test_priced_windows_never_show_another_team(data: Personas):
    with team_scope(data.team.id):
        rows = list(SkuWindowCost.objects.all())
        assert rows
        assert {r.team_id for r in rows} == {data.team.id}
        assert "SECRET-SKU" not in {r.sku for r in rows}
    with team_scope(data.outsider_team.id):
        secret = list(SkuWindowCost.objects.all())
        assert [(r.sku, r.cost_7d) for r in secret] == [("SECRET-SKU", Decimal("4500.0000"))]
    # The outsider's cost of 4,500.00 is in none of the team's figures.
    priced, _ = priced_and_day_by_day(data, "7d")
    assert priced is not None
    assert priced[("USD", True)][0] == Decimal("0.00")


def test_a_dollar_cost_prices_the_german_sales_at_each_days_rate(data: Personas, tmp_path):
    from datetime import timedelta

    from ams.core.exchange_rates import rates_load

    # A rate on every weekday from October to today, moving a little each day.
    lines, day, n = ["Date,USD,"], date(2025, 10, 1), 0
    while day <= date(2026, 2, 28):
        if day.weekday() < 5:
            lines.append(f"{day.isoformat()},{Decimal('1.0500') + Decimal(n) / 1000},")
            n += 1
        day += timedelta(days=1)
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text("\n".join(reversed(lines[1:])).join([lines[0] + "\n", "\n"]))
    rates_load(path, through=date(2026, 2, 28))
    add_cost(data.team, "LAMP-1", "10.00", None)  # USD, every marketplace, all history
    for window in ov.WINDOWS:
        for marketplace in ("", f.US, f.DE):
            priced, day_by_day = priced_and_day_by_day(data, window, marketplace)
            assert priced is not None, (window, marketplace)
            assert priced == day_by_day, (window, marketplace)
    priced, _ = priced_and_day_by_day(data, "7d", f.DE)
    assert priced is not None
    cost, units_missing, _skus = priced[("EUR", True)]
    assert units_missing == 0
    assert Decimal("8") < cost < Decimal("10"), "10 USD in euros, at about 1.1 dollars a euro"
