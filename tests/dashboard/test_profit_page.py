"""The profit per SKU page (ams.dashboard.profit): sales and cost of goods by order date, fees and
refunds posted in the period, in the sale's currency and the home currency; incomplete, never 0,
where a cost or a rate is missing; sorted, exported, and nothing of another team's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from ams.core.tenancy import team_scope
from ams.dashboard.profit import sku_profits
from ams.profit.rollups import team_rebuild
from ams.teams.models import Team
from tests.dashboard import factories as f
from tests.dashboard.money_factories import COMMISSION, FBA_FEE, PRINCIPAL, transaction
from tests.factories import Personas
from tests.procurement.helpers import add_cost, sku_day, streamed

pytestmark = pytest.mark.django_db

CA = "A2EUQ1WTGCTBG2"
MARCH = {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-03-31"}


@pytest.fixture
def sold(personas: Personas, ecb_rates: None) -> Personas:
    team, other = personas.team, personas.outsider_team
    Team.objects.filter(id=team.id).update(home_currency="EUR")
    connection = f.connected(team)
    add_cost(team, "MUG-1", "4.00", None)  # USD, every marketplace, all history
    sku_day(team, "MUG-1", date(2026, 3, 5), units=2, orders=2, sales="40.00")
    sku_day(
        team, "MUG-1", date(2026, 3, 6), units=1, sales="30.00", marketplace_id=CA, currency="CAD"
    )
    sku_day(team, "LAMP-1", date(2026, 3, 9), units=1, sales="50.00")  # no cost
    transaction(
        team,
        connection,
        at=datetime(2026, 3, 6, 10, tzinfo=UTC),
        kind="Shipment",
        charges=[
            ("MUG-1", PRINCIPAL, "40.00"),
            ("MUG-1", COMMISSION, "-6.00"),
            ("MUG-1", FBA_FEE, "-4.00"),
        ],
    )
    transaction(
        team,
        connection,
        at=datetime(2026, 3, 9, 10, tzinfo=UTC),
        kind="Refund",
        charges=[("MUG-1", PRINCIPAL, "-20.00"), ("MUG-1", COMMISSION, "3.00")],
    )
    # Another team sells the same SKU: none of it may show.
    add_cost(other, "MUG-1", "1.00", None)
    sku_day(other, "MUG-1", date(2026, 3, 5), units=50, orders=50, sales="999.00")
    rebuilt(team, other)
    return personas


def rebuilt(*teams: Team) -> None:
    """The profit read model of each team, as the sync and the fill command leave it."""
    for team in teams:
        with team_scope(team.id):
            team_rebuild()


def rows_of(p: Personas, first=date(2026, 3, 1), last=date(2026, 3, 31)):
    with team_scope(p.team.id):
        found = sku_profits(p.team, first=first, last=last, home="EUR")
    return {(r.sku, r.marketplace_id): r for r in found}


def test_profit_per_sku_in_the_sales_currency_and_the_home_currency(sold: Personas):
    rows = rows_of(sold)
    assert set(rows) == {("MUG-1", f.US), ("MUG-1", CA), ("LAMP-1", f.US)}
    us = rows[("MUG-1", f.US)]
    assert (us.orders, us.units, us.sales) == (2, 2, Decimal("40.00"))
    assert (us.refunds, us.refund_count, us.fees) == (Decimal("20.00"), 1, Decimal("7.00"))
    assert us.cost == Decimal("8.00")
    assert us.profit == Decimal("5.00")  # 40 - 20 - 7 - 8
    assert (us.margin, us.roi, us.return_rate) == (
        Decimal("12.5"),
        Decimal("62.5"),
        Decimal("50.0"),
    )
    # EUR at each day's rate: sales on 5 March (1.09), the fees on the 6th (1.10) and 9th (1.08).
    assert us.sales_home == Decimal("36.70")
    assert us.refunds_home == Decimal("18.52")
    assert us.fees_home == Decimal("6.31")  # 10 / 1.10 - 3 / 1.08
    assert us.cost_home == Decimal("7.34")
    assert us.profit_home == Decimal("4.53")
    # The USD cost prices the Canadian sale at the rate of its day (Friday 6 March).
    ca = rows[("MUG-1", CA)]
    assert (ca.currency, ca.cost) == ("CAD", Decimal("5.45"))  # 4 x 1.50 / 1.10
    assert ca.profit_home == Decimal("16.36")  # 30 / 1.5 - 4 / 1.1
    # No cost: incomplete, never a cost of 0.
    lamp = rows[("LAMP-1", f.US)]
    assert (lamp.cost, lamp.profit, lamp.profit_home, lamp.units_missing_cost) == (
        None,
        None,
        None,
        1,
    )


def test_a_day_without_a_rate_leaves_the_home_figure_incomplete(sold: Personas):
    # The rates end on 10 March: a sale on the 20th has its profit, not yet its EUR profit.
    sku_day(sold.team, "MUG-2", date(2026, 3, 20), units=1, sales="9.00")
    add_cost(sold.team, "MUG-2", "2.00", None)
    rebuilt(sold.team)
    row = rows_of(sold)[("MUG-2", f.US)]
    assert row.profit == Decimal("7.00")
    assert (row.sales_home, row.profit_home) == (None, None)


@time_machine.travel(datetime(2026, 4, 2, 12, tzinfo=UTC), tick=False)
def test_the_page_sorts_links_and_hides_nothing_but_another_teams(sold: Personas):
    client = Client()
    client.force_login(sold.viewer)
    url = f"/t/{sold.team.slug}/profit/"
    page = client.get(url, {**MARCH, "sort": "units"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "999" not in html
    order = [
        html.index(f'data-sku="{s}" data-marketplace="{m}"')
        for s, m in (("LAMP-1", f.US), ("MUG-1", CA), ("MUG-1", f.US))
    ]
    assert order == sorted(order), "units ascending, then SKU"
    assert "incomplete" in html
    assert (
        f"/t/{sold.team.slug}/orders/?sku=MUG-1&amp;marketplace={f.US}&amp;date_from=2026-03-01&amp;date_to=2026-03-31"
        in html
    )
    assert 'id="home-currency">EUR<' in html
    by_profit = client.get(url, {**MARCH, "sort": "-profit"}).content.decode()
    ranked = [
        by_profit.index(f'data-sku="{s}" data-marketplace="{m}"')
        for s, m in (("MUG-1", CA), ("MUG-1", f.US), ("LAMP-1", f.US))
    ]
    assert ranked == sorted(ranked), "largest profit first, the incomplete one last"
    # An unknown column sorts by the default, never fails.
    assert client.get(url, {**MARCH, "sort": "password"}).status_code == 200
    client.force_login(sold.outsider)
    assert client.get(url, MARCH).status_code == 404
    assert client.get(url, {**MARCH, "format": "csv"}).status_code == 404


@time_machine.travel(datetime(2026, 4, 2, 12, tzinfo=UTC), tick=False)
def test_the_export_writes_every_row_with_incomplete_figures_empty(sold: Personas):
    client = Client()
    client.force_login(sold.member)
    response = client.get(f"/t/{sold.team.slug}/profit/", {**MARCH, "sort": "sku", "format": "csv"})
    assert response.status_code == 200
    lines = list(csv.DictReader(io.StringIO(b"".join(streamed(response)).decode("utf-8-sig"))))
    assert [(r["sku"], r["currency"]) for r in lines] == [
        ("LAMP-1", "USD"),
        ("MUG-1", "CAD"),
        ("MUG-1", "USD"),
    ]
    lamp, _ca, us = lines
    assert (lamp["cost_of_goods"], lamp["profit"], lamp["units_without_cost"]) == ("", "", "1")
    assert (us["profit"], us["profit_home"], us["home_currency"]) == ("5.00", "4.53", "EUR")
    assert "999" not in "".join(str(r) for r in lines)
