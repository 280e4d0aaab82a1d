"""The overview: a period against the previous one, per currency, from the read models, with the
rows behind every figure one link away; stock health with its filters; never another team's data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.dashboard import overview as ov
from ams.finance.models import Charge, Transaction
from ams.finance.rollups import charge_days_refresh
from ams.inventory import stock_health as inventory_health
from ams.inventory.models import InventoryHealth, RestockAdvice, StockSnapshot
from ams.orders.models import OrderLine, SkuDay
from ams.orders.rollups import order_days_refresh
from ams.procurement.selectors import CostKey, costs_for
from ams.profit.rollups import sales_refresh
from ams.sync.syncers.orders import sku_summary_refresh
from ams.teams.models import Team
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.procurement.helpers import add_cost

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 10)  # "Last 7 days": Feb 4 … Feb 10, against Jan 28 … Feb 3


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at(day: int, hour: int = 18, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def transaction(
    team: Team,
    c: SellerConnection,
    transaction_id: str,
    *,
    posted: datetime,
    kind: str,
    charges: list[tuple[str, str, str, str]],
    marketplace_id: str = f.US,
    currency: str = "USD",
) -> None:
    """A posted transaction with its charges: (category, kind, description, amount)."""
    now = timezone.now()
    with team_scope(team.id):
        Transaction.objects.create(
            team=team,
            connection=c,
            transaction_id=transaction_id,
            transaction_type=kind,
            status="RELEASED",
            posted_at=posted,
            marketplace_id=marketplace_id,
            currency=currency,
            total_amount=sum((Decimal(a) for *_rest, a in charges), Decimal(0)),
            synced_at=now,
        )
        for position, (category, charge_kind, description, amount) in enumerate(charges):
            Charge.objects.create(
                team=team,
                connection=c,
                transaction_id=transaction_id,
                position=position,
                posted_at=posted,
                category=category,
                kind=charge_kind,
                description=description,
                amount=Decimal(amount),
                currency=currency,
                synced_at=now,
            )


def refresh(team: Team, c: SellerConnection) -> None:
    """The rollups, as the ingests refresh them."""
    with team_scope(team.id):
        for marketplace_id in (f.US, f.DE):
            order_days_refresh(
                connection_id=c.id,
                marketplace_id=marketplace_id,
                first=at(20, 0, 1),
                last=at(11, 0),
            )
            charge_days_refresh(
                connection_id=c.id,
                marketplace_id=marketplace_id,
                first=at(20, 0, 1),
                last=at(11, 0),
            )
            sku_summary_refresh(connection_id=c.id, marketplace_id=marketplace_id, now=at(10, 12))
        # The end of an orders run brings the profit read model's SKU days along.
        sales_refresh(connection_id=c.id)


def seed(p: Personas) -> SellerConnection:
    team = p.team
    c = f.connected(team)
    # This period, in the US (USD) and Germany (EUR).
    f.order(team, c, at=at(5), lines=[("MUG-1", 2, "40.00")], order_id="111-0000001-0000001")
    f.order(team, c, at=at(6), lines=[("LAMP-1", 1, "35.00")], order_id="111-0000002-0000001")
    f.order(
        team,
        c,
        at=at(8),
        lines=[("LAMP-1", 1, "30.00")],
        marketplace_id=f.DE,
        currency="EUR",
        order_id="302-0000003-0000001",
    )
    # The previous period.
    f.order(
        team,
        c,
        at=at(30, month=1),
        lines=[("MUG-1", 5, "100.00"), ("LAMP-1", 1, "30.00")],
        order_id="111-0000004-0000001",
    )
    # Money posted in each period.
    transaction(
        team,
        c,
        "T-SHIP",
        posted=at(6, 12),
        kind="Shipment",
        charges=[
            ("Sales", "ProductCharges", "Principal", "75.00"),
            ("Expenses", "AmazonFees", "FBAPerUnitFulfillmentFee", "-10.00"),
            ("Expenses", "AmazonFees", "Commission", "-11.25"),
        ],
    )
    transaction(
        team,
        c,
        "T-REFUND",
        posted=at(9, 12),
        kind="Refund",
        charges=[
            ("Sales", "ProductCharges", "Principal", "-20.00"),
            ("Expenses", "AmazonFees", "Commission", "3.00"),
        ],
    )
    transaction(
        team,
        c,
        "T-BEFORE",
        posted=at(31, 12, month=1),
        kind="Shipment",
        charges=[
            ("Sales", "ProductCharges", "Principal", "130.00"),
            ("Expenses", "AmazonFees", "Commission", "-20.00"),
        ],
    )
    refresh(team, c)
    # The outsider sells a lot of its own SKU in the same days.
    oc = f.connected(p.outsider_team)
    f.order(
        p.outsider_team,
        oc,
        at=at(6),
        lines=[("SECRET-SKU", 9, "999.00")],
        order_id="999-SECRET-0000001",
    )
    transaction(
        p.outsider_team,
        oc,
        "T-SECRET",
        posted=at(6, 12),
        kind="Shipment",
        charges=[("Sales", "ProductCharges", "Principal", "999.00")],
    )
    with team_scope(p.outsider_team.id):
        order_days_refresh(connection_id=oc.id, marketplace_id=f.US, first=at(6), last=at(6))
        sales_refresh(connection_id=oc.id)
        charge_days_refresh(
            connection_id=oc.id, marketplace_id=f.US, first=at(6, 12), last=at(6, 12)
        )
    return c


def seller_connection(team: Team) -> SellerConnection:
    with team_scope(team.id):
        found = SellerConnection.objects.filter(team=team).first()
    assert found is not None
    return found


@pytest.fixture
def data(personas: Personas) -> Personas:
    seed(personas)
    return personas


def overview_html(p: Personas, params: dict[str, str] | None = None, user=None) -> str:
    with time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False):
        response = client_for(user or p.viewer).get(
            f"/t/{p.team.slug}/overview/", {"period": "7d", **(params or {})}
        )
    assert response.status_code == 200
    return response.content.decode()


def figures(p: Personas, marketplace: str = "") -> dict[str, ov.CurrencyFigures]:
    """The figures of the last 7 days; the SKU summary's window gives the same as the SKU days."""
    period = ov.preset_period("7d", today=TODAY)
    with team_scope(p.team.id):
        from_days = {x.currency: x for x in ov.figures(p.team, period, marketplace)}
        from_window = {x.currency: x for x in ov.figures(p.team, period, marketplace, window="7d")}
    assert from_window == from_days
    return from_days


def first_href(html: str) -> str:
    found: list[str] = re.findall(r'href="([^"]+)"', html)
    return found[0]


def row(html: str, currency: str, key: str) -> str:
    article = html.split(f'data-currency="{currency}"')[1].split("</article>")[0]
    return article.split(f'data-figure="{key}"')[1].split("</tr>")[0]


def test_figures_against_the_previous_period_per_currency(data: Personas):
    usd = figures(data)["USD"]
    assert (usd.sales.current, usd.sales.previous) == (Decimal("75.00"), Decimal("130.00"))
    assert (usd.units.current, usd.units.previous) == (3, 6)
    assert (usd.orders.current, usd.orders.previous) == (2, 1)
    assert (usd.average_price.current, usd.average_price.previous) == (
        Decimal("25.00"),
        Decimal("21.67"),
    )
    assert usd.sales.change == Decimal("-55.00")
    assert usd.sales.change_percent == Decimal("-42.3")
    # Fees net of those Amazon gave back with the refund; refunds are the sales side of refunds.
    assert (usd.fees.current, usd.fees.previous) == (Decimal("18.25"), Decimal("20.00"))
    assert (usd.refunds.current, usd.refunds.previous) == (Decimal("20.00"), Decimal(0))
    assert (usd.net_proceeds.current, usd.net_proceeds.previous) == (
        Decimal("36.75"),
        Decimal("110.00"),
    )
    eur = figures(data)["EUR"]
    assert (eur.sales.current, eur.sales.previous, eur.units.current) == (
        Decimal("30.00"),
        Decimal(0),
        1,
    )
    assert eur.sales.change_percent is None  # from nothing: no percentage
    assert set(figures(data, f.DE)) == {"EUR"}


def test_the_page_shows_the_comparison_and_says_currencies_are_not_added(data: Personas):
    html = overview_html(data)
    assert "4 Feb 2026 \u2013 10 Feb 2026 (7 days)" in html
    assert "compared with 28 Jan 2026 \u2013 3 Feb 2026" in html
    assert 'id="mixed-currencies"' in html
    assert "USD, EUR" not in html
    assert "EUR, USD" in html
    sales = row(html, "USD", "sales")
    assert ">75.00 USD</a>" in sales
    assert ">130.00 USD</a>" in sales
    assert "-55.00 USD (-42.3 %)" in sales
    assert "change worse" in sales
    fees = row(html, "USD", "fees")
    assert "-1.75" in fees
    assert "change better" in fees
    assert "SECRET" not in html
    assert "999" not in html
    # One marketplace: one currency, no note.
    germany = overview_html(data, {"marketplace": f.DE})
    assert 'id="mixed-currencies"' not in germany
    assert 'data-currency="USD"' not in germany
    assert ">30.00 EUR</a>" in row(germany, "EUR", "sales")


def test_a_figure_links_to_the_rows_behind_it(data: Personas):
    html = overview_html(data, {"marketplace": f.US})
    link = unescape(first_href(row(html, "USD", "orders")))
    assert (
        link
        == f"/t/{data.team.slug}/orders/?date_from=2026-02-04&date_to=2026-02-10&marketplace={f.US}"
    )
    orders = client_for(data.viewer).get(link).content.decode()
    assert re.findall(r'data-order="([^"]+)"', orders) == [
        "111-0000002-0000001",
        "111-0000001-0000001",
    ]
    previous = unescape(re.findall(r'href="([^"]+)"', row(html, "USD", "orders"))[1])
    assert "date_from=2026-01-28&date_to=2026-02-03" in previous
    fees = unescape(first_href(row(html, "USD", "fees")))
    assert fees.startswith(f"/t/{data.team.slug}/settlements/?deposit_from=2026-02-04&currency=USD")


def test_profit_needs_a_cost_for_every_sku_sold_and_uses_the_cost_of_each_day(data: Personas):
    add_cost(data.team, "MUG-1", "4.00", date(2026, 1, 1))
    usd = figures(data)["USD"]
    assert usd.profit.current is None  # LAMP-1 has no cost: never a cost of zero
    assert (usd.skus_missing_cost.current, usd.units_missing_cost.current) == (1, 1)
    assert usd.cost_of_goods.current == Decimal("8.00")
    html = overview_html(data)
    assert 'id="missing-cost-USD"' in html
    assert "1 SKU sold in this period (1 unit) has no cost in USD" in html

    # A US cost for the lamp from Feb 1; the mug's cost changes on Feb 6, after its sale on Feb 5.
    add_cost(data.team, "LAMP-1", "10.00", date(2026, 2, 1), marketplace_id=f.US)
    add_cost(data.team, "MUG-1", "6.00", date(2026, 2, 6))
    result = figures(data)
    usd = result["USD"]
    assert usd.cost_of_goods.current == Decimal("18.00")  # 2 x 4.00 + 1 x 10.00
    assert usd.profit.current == Decimal("18.75")  # 36.75 net proceeds - 18.00
    assert usd.profit.previous is None  # the lamp sold on Jan 30, before its cost
    assert usd.cost_of_goods.previous == Decimal("20.00")
    # The US cost is not Germany's: the lamp sold there still has none.
    assert result["EUR"].skus_missing_cost.current == 1
    assert "Profit" in overview_html(data)
    assert ">18.75 USD</a>" in row(overview_html(data), "USD", "profit")

    # The range join agrees with the cost lookup of the order pages, day by day.
    with team_scope(data.team.id):
        sold = list(
            SkuDay.objects.filter(team=data.team, day__gte=date(2026, 2, 4), currency="USD")
        )
        costs = costs_for(
            data.team, [CostKey(s.sku, s.marketplace_id, s.day, s.currency) for s in sold]
        )
    expected = sum(
        (costs[CostKey(s.sku, s.marketplace_id, s.day, s.currency)].unit_cost or Decimal(0))
        * s.units
        for s in sold
    )
    assert usd.cost_of_goods.current == expected


def test_top_and_falling_skus_link_to_their_orders(data: Personas):
    with team_scope(data.team.id):
        moves = ov.sku_moves(data.team, ov.preset_period("7d", today=TODAY))
        assert ov.sku_moves(data.team, ov.preset_period("7d", today=TODAY), window="7d") == moves
    assert [m.sku for m in moves["USD"]["top"]] == ["MUG-1", "LAMP-1"]
    assert [(m.sku, m.units_change) for m in moves["USD"]["falling"]] == [("MUG-1", -3)]
    html = overview_html(data)
    top = html.split('id="top-skus-USD"')[1].split("</table>")[0]
    assert re.findall(r'data-sku="([^"]+)"', top) == ["MUG-1", "LAMP-1"]
    link = unescape(first_href(top))
    assert link == f"/t/{data.team.slug}/orders/?date_from=2026-02-04&date_to=2026-02-10&sku=MUG-1"
    orders = client_for(data.viewer).get(link).content.decode()
    assert re.findall(r'data-order="([^"]+)"', orders) == ["111-0000001-0000001"]
    assert 'data-sku="MUG-1"' in html.split('id="falling-skus-USD"')[1].split("</table>")[0]


def test_period_choices(data: Personas):
    assert "Month to date" in overview_html(data, {"period": "mtd"})
    assert "1 Feb 2026 \u2013 10 Feb 2026 (10 days)" in overview_html(data, {"period": "mtd"})
    custom = overview_html(
        data, {"period": "custom", "date_from": "2026-01-30", "date_to": "2026-01-30"}
    )
    assert "30 Jan 2026 \u2013 30 Jan 2026 (1 day)" in custom
    assert ">6</a>" in row(custom, "USD", "units")
    # A custom period without its dates, or backwards, is the default window, not an error.
    assert "(30 days)" in overview_html(
        data, {"period": "custom", "date_from": "2026-02-05", "date_to": "2026-02-01"}
    )
    assert "(30 days)" in overview_html(data, {"period": "nonsense"})


def test_charts_carry_the_days_of_both_periods(data: Personas):
    with team_scope(data.team.id):
        series = ov.daily_series(data.team, ov.preset_period("7d", today=TODAY))
    usd = series["USD"]
    assert usd["days"][0] == "2026-02-04"
    assert len(usd["days"]) == 7
    assert usd["units"] == [0, 2, 1, 0, 0, 0, 0]  # Feb 5 and Feb 6 (US local days)
    assert usd["previous_units"] == [0, 0, 6, 0, 0, 0, 0]  # Jan 30 is the 3rd day of Jan 28 … Feb 3
    html = overview_html(data)
    assert 'id="overview-series" hidden data-json=' in html
    assert html.count('class="overview-chart"') == 4  # sales and units, per currency


def test_stock_health_counts_and_the_inventory_filters_behind_them(data: Personas):
    team = data.team
    c = seller_connection(team)
    f.sku_summary(team, c, "SAFE-1", units_30d=60)
    f.sku_summary(team, c, "SLOW-1", units_30d=3)
    f.sku_summary(team, c, "RISK-1", units_30d=30)
    f.stock(team, c, "SAFE-1", fulfillable=20, inbound=100)  # (20 + 100) / 2 a day = 60 days: safe
    f.stock(team, c, "SLOW-1", fulfillable=30)  # 300 days
    f.stock(team, c, "RISK-1", fulfillable=5, inbound=10)  # 15 days < 30: at risk
    with team_scope(team.id):
        now = timezone.now()
        InventoryHealth.objects.create(
            team=team,
            connection=c,
            marketplace_id=f.US,
            sku="SLOW-1",
            excess_quantity=25,
            alert="",
            synced_at=now,
        )
        RestockAdvice.objects.create(
            team=team,
            connection=c,
            marketplace_id=f.US,
            sku="RISK-1",
            alert="low_stock",
            recommended_action="Create shipping plan",
            synced_at=now,
        )
        InventoryHealth.objects.create(
            team=team,
            connection=c,
            marketplace_id=f.US,
            sku="RISK-1",
            alert="low_stock",
            synced_at=now,
        )
    # The outsider's stock, summarised as well, counts in nothing of the team's.
    outsider = data.outsider_team
    f.stock(outsider, seller_connection(outsider), "RISK-1", fulfillable=500)
    f.stock_health(team, c)  # as the inventory sync does after its run
    with team_scope(team.id):
        health = ov.stock_health(team)
        # The read model the page adds up is what the SKU rows give.
        assert health == inventory_health.stock_health_live(team.id)
        assert inventory_health.stock_health(team.id) == health
    assert (health.available, health.inbound, health.reserved, health.skus) == (55, 110, 3, 3)
    assert (health.at_risk, health.excess_skus, health.excess_units) == (1, 1, 25)
    assert health.alerts == [("low_stock", 1)]  # one SKU, though both reports raise it
    html = overview_html(data)
    assert '?risk=on">1</a>' in html
    assert '?excess=on">1</a>' in html
    assert "1</strong> Amazon: low stock" in html
    assert "30 days is a default lead time" in html

    def inventory_skus(params: dict[str, str]) -> list[str]:
        page = client_for(data.viewer).get(f"/t/{team.slug}/inventory/", params).content.decode()
        return re.findall(r'<tr class="stock" data-sku="([^"]+)"', page)

    assert inventory_skus({"risk": "on"}) == ["RISK-1"]
    assert inventory_skus({"excess": "on"}) == ["SLOW-1"]
    assert inventory_skus({"alert": "low_stock"}) == ["RISK-1"]


def test_a_skus_stock_history(data: Personas):
    team = data.team
    c = seller_connection(team)
    today = timezone.now().date()
    with team_scope(team.id):
        for n, fulfillable in enumerate((10, 7, 3)):
            StockSnapshot.objects.create(
                team=team,
                connection=c,
                marketplace_id=f.US,
                sku="MUG-1",
                day=today - timedelta(days=2 - n),
                fulfillable=fulfillable,
                inbound=5,
                reserved=1,
                unfulfillable=0,
                total=fulfillable + 6,
            )
    f.stock(team, c, "MUG-1", fulfillable=3)
    client = client_for(data.viewer)
    page = client.get(
        f"/t/{team.slug}/inventory/history/", {"sku": "MUG-1", "marketplace": f.US}
    ).content.decode()
    assert 'id="stock-history-chart"' in page
    assert '"fulfillable": [10, 7, 3]' in page
    assert client.get(f"/t/{team.slug}/inventory/history/").status_code == 400
    inventory = client.get(f"/t/{team.slug}/inventory/").content.decode()
    assert f"/t/{team.slug}/inventory/history/?sku=MUG-1&amp;marketplace={f.US}" in inventory
    # Another team's SKU has no history here, and the outsider cannot open ours.
    assert (
        "No stock history"
        in client.get(f"/t/{team.slug}/inventory/history/", {"sku": "SECRET-SKU"}).content.decode()
    )
    assert (
        client_for(data.outsider)
        .get(f"/t/{team.slug}/inventory/history/", {"sku": "MUG-1"})
        .status_code
        == 404
    )


def test_the_outsider_sees_none_of_it(data: Personas):
    assert client_for(data.outsider).get(f"/t/{data.team.slug}/overview/").status_code == 404
    own = (
        client_for(data.outsider)
        .get(f"/t/{data.outsider_team.slug}/overview/", {"period": "7d"})
        .content.decode()
    )
    assert "MUG-1" not in own
    assert "LAMP-1" not in own


def test_the_day_rollups_match_the_rows_after_an_order_changes(data: Personas):
    team = data.team
    c = seller_connection(team)
    with team_scope(team.id):
        # A later batch: the Feb 5 order is cancelled and a refund is posted the same day.
        OrderLine.objects.filter(team=team, amazon_order_id="111-0000001-0000001").update(
            status="cancelled"
        )
        order_days_refresh(connection_id=c.id, marketplace_id=f.US, first=at(5), last=at(5))
        sku_summary_refresh(connection_id=c.id, marketplace_id=f.US, now=at(10, 12))
        sales_refresh(connection_id=c.id, marketplace_id=f.US)
    transaction(
        team,
        c,
        "T-REFUND-2",
        posted=at(9, 13),
        kind="Refund",
        charges=[("Sales", "ProductCharges", "Principal", "-5.00")],
    )
    with team_scope(team.id):
        charge_days_refresh(
            connection_id=c.id, marketplace_id=f.US, first=at(9, 13), last=at(9, 13)
        )
    usd = figures(data)["USD"]
    assert usd.refunds.current == Decimal("25.00")
    with team_scope(team.id):
        moves = ov.sku_moves(team, ov.preset_period("7d", today=TODAY))
        assert ov.sku_moves(team, ov.preset_period("7d", today=TODAY), window="7d") == moves
        units = SkuDay.objects.filter(team=team, sku="MUG-1", day=date(2026, 2, 5)).aggregate(
            u=Sum("units")
        )["u"]
    assert units is None  # cancelled lines sold nothing
    assert [m.sku for m in moves["USD"]["top"]] == ["LAMP-1"]
