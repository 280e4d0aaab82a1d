"""The overview in a real browser: loaded by htmx on the team's home page, its charts drawn, the
period and marketplace changed in place, a figure followed to its rows, and a SKU's stock history
chart. No console error, no Content Security Policy violation (the ``watched`` fixture)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.finance.rollups import charge_days_refresh
from ams.inventory.models import StockSnapshot
from ams.orders.rollups import order_days_refresh
from ams.sync.syncers.orders import sku_summary_refresh
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.dashboard import factories as f
from tests.dashboard.test_overview import transaction
from tests.factories import Personas, make_personas

pytestmark = pytest.mark.django_db(transaction=True)


def _seed() -> Personas:
    """Forty days of orders in the US and Germany up to now, money posted, and a SKU's stock history."""
    p = make_personas("Overview")
    team = p.team
    c = f.connected(team)
    now = timezone.now()
    for n in range(1, 41):
        moment = now - timedelta(days=n, hours=2)
        f.order(
            team,
            c,
            at=moment,
            lines=[("MUG-1", 1 + n % 3, f"{20 * (1 + n % 3)}.00")],
            order_id=f"111-{n:07d}-0000001",
        )
        if n % 4 == 0:
            f.order(
                team,
                c,
                at=moment,
                lines=[("LAMP-1", 1, "30.00")],
                marketplace_id=f.DE,
                currency="EUR",
                order_id=f"302-{n:07d}-0000001",
            )
    transaction(
        team,
        c,
        "T-1",
        posted=now - timedelta(days=3),
        kind="Shipment",
        charges=[
            ("Sales", "ProductCharges", "Principal", "60.00"),
            ("Expenses", "AmazonFees", "Commission", "-9.00"),
        ],
    )
    f.stock(team, c, "MUG-1", fulfillable=20, inbound=10)
    with team_scope(team.id):
        for marketplace_id in (f.US, f.DE):
            order_days_refresh(
                connection_id=c.id,
                marketplace_id=marketplace_id,
                first=now - timedelta(days=45),
                last=now,
            )
            charge_days_refresh(
                connection_id=c.id,
                marketplace_id=marketplace_id,
                first=now - timedelta(days=45),
                last=now,
            )
            sku_summary_refresh(connection_id=c.id, marketplace_id=marketplace_id, now=now)
        for n in range(30):
            StockSnapshot.objects.create(
                team=team,
                connection=c,
                marketplace_id=f.US,
                sku="MUG-1",
                day=now.date() - timedelta(days=n),
                fulfillable=20 + n,
                inbound=10 if n < 10 else 0,
                reserved=2,
                unfulfillable=n % 3,
                total=32 + n,
            )
    oc = f.connected(p.outsider_team)
    f.order(
        p.outsider_team,
        oc,
        at=now - timedelta(days=2),
        lines=[("SECRET-SKU", 1, "99.00")],
        order_id="999-SECRET-0000001",
    )
    return p


def _charts_drawn(page) -> int:
    drawn: int = page.evaluate(
        "() => [...document.querySelectorAll('canvas.overview-chart')]"
        ".filter(c => c.dataset.drawn === 'yes' && window.Chart.getChart(c)).length"
    )
    return drawn


def test_the_overview_on_the_home_page_with_charts_period_marketplace_and_drill_down(
    live_server, watched
):
    p = _seed()
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/")
    page.wait_for_selector("#overview-filters")
    assert "Last 30 days" in page.locator("#overview-period").inner_text()
    assert page.locator("#filter_period").input_value() == "30d"
    assert page.locator("#mixed-currencies").is_visible()
    page.wait_for_function(
        "() => document.querySelectorAll('canvas.overview-chart[data-drawn]').length === 4"
    )
    assert _charts_drawn(page) == 4  # sales and units, in USD and EUR
    assert "SECRET" not in page.content()
    screenshot(page, "overview-01-home")

    # A shorter period, swapped in place by htmx: the charts are drawn again.
    page.select_option("#filter_period", "7d")
    page.click("#overview-filters button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('#overview-period').innerText.includes('Last 7 days')"
    )
    page.wait_for_url(re.compile(r".*/overview/\?.*period=7d"))
    page.wait_for_function(
        "() => document.querySelectorAll('canvas.overview-chart[data-drawn]').length >= 2"
    )
    assert _charts_drawn(page) >= 2
    screenshot(page, "overview-02-seven-days")

    # One marketplace: one currency, and no note about mixing them.
    page.select_option("#filter_marketplace", f.US)
    page.click("#overview-filters button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('#overview-period').innerText.includes('US')"
    )
    assert page.locator("#mixed-currencies").count() == 0
    assert page.locator("article.currency-figures").count() == 1
    page.wait_for_function(
        "() => document.querySelectorAll('canvas.overview-chart[data-drawn]').length === 2"
    )

    # The orders figure opens the orders behind it.
    expected = int(page.locator("tr[data-figure='orders'] td a.drill").inner_text())
    page.click("tr[data-figure='orders'] td a.drill")
    page.wait_for_url(re.compile(r".*/orders/\?date_from=.*marketplace=ATVPDKIKX0DER"))
    assert page.locator("tbody.order").count() == expected
    screenshot(page, "overview-03-drill-down")

    # Back to the overview: its charts are drawn again.
    page.go_back()
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas.overview-chart')].filter(c => window.Chart && window.Chart.getChart(c)).length === 2"
    )


def test_the_overview_at_phone_width(live_server, watched):
    p = _seed()
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{p.team.slug}/overview/")
    page.wait_for_function(
        "() => document.querySelectorAll('canvas.overview-chart[data-drawn]').length === 4"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "overview-04-phone")


def test_a_skus_stock_history_chart(live_server, watched):
    p = _seed()
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/inventory/")
    page.click("tr.stock[data-sku='MUG-1'] a")
    page.wait_for_url(re.compile(r".*/inventory/history/\?sku=MUG-1"))
    page.wait_for_function(
        "() => window.Chart && window.Chart.getChart(document.getElementById('stock-history-chart'))"
    )
    datasets = page.evaluate(
        "() => window.Chart.getChart(document.getElementById('stock-history-chart')).data.datasets.map(d => d.label)"
    )
    assert datasets == ["Fulfillable", "Inbound", "Reserved", "Unfulfillable"]
    screenshot(page, "overview-05-stock-history")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_function(
        "() => window.Chart && window.Chart.getChart(document.getElementById('stock-history-chart'))"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "overview-06-stock-history-phone")
