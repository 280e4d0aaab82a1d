"""The profit and loss statement: Amazon's money by its breakdown, cost of goods, the seller's
expenses, net profit only where every cost is known; a period against the one before it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from ams.core.exchange_rates import rates_load
from ams.core.tenancy import team_scope
from ams.dashboard.overview import Period
from ams.dashboard.pnl import calendar_period, home_statement, statements
from ams.expenses.services import ExpenseData, expense_add
from tests.dashboard import factories as f
from tests.dashboard.test_overview import at, refresh, seed, seller_connection, transaction
from tests.dashboard.test_pages import csv_rows
from tests.factories import Personas
from tests.procurement.helpers import add_cost

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)
WEEK = {"period": "custom", "date_from": "2026-02-04", "date_to": "2026-02-10"}


@pytest.fixture
def data(personas: Personas) -> Personas:
    seed(personas)
    team, c = personas.team, seller_connection(personas.team)
    transaction(
        team,
        c,
        "T-REIMB",
        posted=at(7, 12),
        kind="Adjustment",
        charges=[("Reimbursements", "Reimbursements", "Lost_Warehouse", "8.00")],
    )
    transaction(
        team,
        c,
        "T-ADS",
        posted=at(8, 12),
        kind="ProductAdsPayment",
        charges=[("Expenses", "ProductAdsPayment", "ProductAdsPayment", "-30.00")],
    )
    refresh(team, c)
    add_cost(team, "MUG-1", "4.00", date(2026, 1, 1))
    add_cost(team, "LAMP-1", "10.00", date(2026, 2, 1), marketplace_id=f.US)
    with team_scope(team.id):
        for data in (
            ExpenseData(
                "software", "Repricer", Decimal("49.00"), "USD", date(2026, 1, 5), "monthly"
            ),
            ExpenseData("inbound_freight", "Freight", Decimal("100.00"), "USD", date(2026, 1, 30)),
        ):
            expense_add(team=team, actor_id=personas.owner.id, data=data)
    return personas


def _usd(p: Personas):
    with team_scope(p.team.id):
        found = {
            s.currency: s for s in statements(p.team, Period(date(2026, 2, 4), date(2026, 2, 10)))
        }
    return found


def test_each_line_of_amazons_money_and_the_net_profit(data: Personas):
    found = _usd(data)
    usd = found["USD"]
    lines = {line.key: (line.figure.current, line.figure.previous) for line in usd.lines}
    assert lines["sales:ProductCharges"] == (Decimal("75.00"), Decimal("130.00"))
    assert lines["refunds"] == (Decimal("-20.00"), Decimal("0"))
    assert lines["reimbursements"][0] == Decimal("8.00")
    assert lines["fees"] == (Decimal("-21.25"), Decimal("-20.00"))
    assert lines["fees_refunded"][0] == Decimal("3.00")
    assert lines["advertising"][0] == Decimal("-30.00")
    assert lines["cost_of_goods"] == (Decimal("18.00"), Decimal("20.00"))
    assert lines["expense:software"] == (Decimal("49.00"), Decimal("0"))
    assert lines["expense:inbound_freight"] == (Decimal("0"), Decimal("100.00"))
    assert usd.net_proceeds.current == Decimal("14.75")  # 75 - 20 + 8 - 21.25 + 3 - 30
    assert usd.net_profit.current == Decimal("-52.25")  # 14.75 - 18.00 - 49.00
    # The lamp sold on 30 January had no cost yet: no profit for the previous period, never a zero cost.
    assert usd.net_profit.previous is None
    # Germany's lamp has no cost in EUR: its statement says so instead of a profit.
    assert found["EUR"].net_profit.current is None
    assert found["EUR"].skus_missing_cost.current == 1


def test_calendar_periods_compare_with_the_calendar_period_before():
    today = date(2026, 2, 10)
    last_month = calendar_period("month", today, back=1)
    assert (last_month.first, last_month.last) == (date(2026, 1, 1), date(2026, 1, 31))
    assert (last_month.previous().first, last_month.previous().last) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
    quarter = calendar_period("quarter", today)
    assert (quarter.first, quarter.last) == (date(2026, 1, 1), today)
    assert quarter.previous().first == date(2025, 10, 1)
    last_quarter = calendar_period("quarter", today, back=1)
    assert (last_quarter.first, last_quarter.last) == (date(2025, 10, 1), date(2025, 12, 31))
    year = calendar_period("year", today, back=1)
    assert (year.first, year.last, year.previous().first) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        date(2024, 1, 1),
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_and_its_export_and_never_another_teams_money(data: Personas):
    viewer = _client(data.viewer)
    url = f"/t/{data.team.slug}/profit-and-loss/"
    with time_machine.travel(NOW, tick=False):
        html = viewer.get(url, WEEK).content.decode()
        rows = csv_rows(viewer.get(url, {**WEEK, "format": "csv"}))
        outsider = _client(data.outsider).get(url, WEEK)
    usd = html.split('data-currency="USD"')[1].split("</article>")[0]
    assert "-52.25 USD" in usd
    assert "Advertising (Amazon Ads)" in usd
    assert "needs every cost" in usd  # the previous period's profit
    assert "999" not in html  # the outsider's sales
    # Germany's lamp has no cost: its cost of goods says so instead of a partial sum.
    eur = html.split('data-currency="EUR"')[1].split("</article>")[0]
    goods = eur.split('data-line="cost_of_goods"')[1].split("</tr>")[0]
    this_period, previous_period = goods.split('class="num">')[1:3]
    assert "incomplete" in this_period
    assert previous_period.startswith("0.00 EUR")  # nothing sold in Germany then: a true zero
    assert outsider.status_code == 404
    header, *body = rows
    assert header[:3] == ["section", "line", "currency"]
    net = next(r for r in body if r[1] == "Net profit" and r[2] == "USD")
    assert (net[5], net[8]) == ("-52.25", "")  # an unknown profit is an empty cell, never 0
    assert header[9:] == ["home_currency", "amount_home", "previous_amount_home"]
    assert (net[9], net[10]) == ("USD", "-52.25")  # dollars are the home currency here


def test_a_period_that_cannot_be_shown_says_why(data: Personas):
    viewer = _client(data.viewer)
    url = f"/t/{data.team.slug}/profit-and-loss/"
    with time_machine.travel(NOW, tick=False):
        backwards = viewer.get(url, {**WEEK, "date_from": "2026-02-11"})
        missing = viewer.get(url, {"period": "custom"})
        default = viewer.get(url)
    assert backwards.status_code == 400
    assert "To must be on or after From." in backwards.content.decode()
    assert "A custom period needs a first and a last day." in missing.content.decode()
    assert default.status_code == 200
    assert "Last month" in default.content.decode()


def euro_sale(p: Personas) -> None:
    """A German sale posted on 9 February, in euros."""
    team, c = p.team, seller_connection(p.team)
    transaction(
        team,
        c,
        "T-DE",
        posted=at(9, 12),
        kind="Shipment",
        charges=[("Sales", "ProductCharges", "Principal", "50.00")],
        marketplace_id=f.DE,
        currency="EUR",
    )
    refresh(team, c)


@pytest.fixture
def february_rates(db: None, tmp_path) -> None:
    """The ECB's dollars per euro of early February 2026 (a weekend repeats the Friday's)."""
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(
        "Date,USD,\n2026-02-10,1.0800,\n2026-02-09,1.0900,\n2026-02-06,1.1000,\n"
        "2026-02-05,1.1000,\n2026-02-04,1.1000,\n2026-02-03,1.1000,\n2026-02-02,1.1000,\n"
        "2026-01-30,1.1000,\n"
    )
    rates_load(path, through=date(2026, 2, 10))


def test_every_line_in_the_home_currency_at_each_days_rate(data: Personas, february_rates: None):
    euro_sale(data)
    period = Period(date(2026, 2, 1), date(2026, 2, 10))
    with team_scope(data.team.id):
        found = {s.currency: s for s in statements(data.team, period)}
        combined = home_statement(list(found.values()))
    assert set(found) == {"EUR", "USD"}
    usd, eur = found["USD"], found["EUR"]
    assert usd.home == eur.home == "USD"  # the main marketplace's, no choice made
    # In its own currency a figure is itself; in another, each day at its rate.
    assert usd.net_proceeds_home.current == usd.net_proceeds.current
    # 50 EUR posted on 9 February, at that day's 1.09 dollars a euro.
    assert eur.net_proceeds.current == Decimal("50.00")
    assert eur.net_proceeds_home.current == Decimal("54.50")
    assert combined is not None
    assert usd.net_proceeds.current is not None
    assert combined.net_proceeds.current == usd.net_proceeds.current + Decimal("54.50")
    assert combined.expenses.current == usd.expenses_home.current == usd.expenses.current


@time_machine.travel(NOW, tick=False)
def test_a_day_without_a_rate_reads_incomplete_never_zero(data: Personas):
    euro_sale(data)
    # No ECB rates stored at all: the euro figures cannot be put in dollars.
    period = Period(date(2026, 2, 1), date(2026, 2, 10))
    with team_scope(data.team.id):
        found = {s.currency: s for s in statements(data.team, period)}
        combined = home_statement(list(found.values()))
    assert found["EUR"].net_proceeds_home.current is None
    assert found["USD"].net_proceeds_home.current == found["USD"].net_proceeds.current
    assert combined is not None
    assert combined.net_proceeds.current is None
    assert combined.net_profit.current is None
    client = Client()
    client.force_login(data.viewer)
    html = client.get(f"/t/{data.team.slug}/profit-and-loss/", WEEK).content.decode()
    home = html.split('id="pnl-home"')[1].split("</article>")[0]
    assert "All currencies in USD" in home
    assert "European Central Bank" in home
    assert "incomplete" in home
    assert "0.00 USD" not in home.split('data-line="net_profit"')[1]
    client.force_login(data.outsider)
    assert client.get(f"/t/{data.team.slug}/profit-and-loss/", WEEK).status_code == 404
