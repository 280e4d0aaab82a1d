"""The money pages in a real browser: the fee breakdown drills down to the transactions behind a
figure, a transaction opens its charges and its order, the order page shows where the money
went; filters work, and the layout holds at phone width. Another team's data never shows."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.dashboard import factories as f
from tests.dashboard.money_factories import ORDER, seed_money
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)


def _attr(page, selector: str, name: str) -> list[str]:
    values: list[str] = page.locator(selector).evaluate_all(
        f"els => els.map(e => e.dataset.{name})"
    )
    return values


def test_fee_breakdown_drills_down_to_the_transactions(live_server, watched):
    p = seed_money(make_personas("Money"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    base = f"{live_server.url}/t/{p.team.slug}"
    page.goto(f"{base}/fees/?month_from=2026-02&month_to=2026-02")
    assert _attr(page, "article.fee-total", "amount") == ["-4.50", "-24.55"]
    assert "SECRET" not in page.content()
    assert page.locator("#freshness").inner_text().startswith("Synced")
    screenshot(page, "money-01-fees")

    # A filter: one marketplace.
    page.select_option("#filter_marketplace", f.DE)
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*marketplace=" + f.DE))
    assert _attr(page, "article.fee-total", "currency") == ["EUR"]

    # The drill-down: MUG-1's commission opens exactly the transactions that make it up.
    page.goto(f"{base}/fees/?month_from=2026-02&month_to=2026-02&currency=USD")
    cell = page.locator("tr.fee-sku[data-sku='MUG-1'] a.drill[href*='charge=Commission&']")
    figure = Decimal(cell.inner_text().split()[0])
    cell.click()
    page.wait_for_url(re.compile(r".*/transactions/\?.*sku=MUG-1"))
    assert _attr(page, "article.charge-total", "amount") == [str(figure)]
    assert page.locator("tbody.transaction").count() == 2
    screenshot(page, "money-02-fees-to-transactions")


def test_transactions_page_filters_charges_and_links(live_server, watched):
    p = seed_money(make_personas("Money"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(
        f"{live_server.url}/t/{p.team.slug}/transactions/?date_from=2026-02-01&date_to=2026-02-28"
    )
    assert page.locator("tbody.transaction").count() == 5
    assert "SECRET" not in page.content()
    page.select_option("#filter_type", "Refund")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*type=Refund"))
    assert _attr(page, "tbody.transaction", "type") == ["Refund"]
    page.locator("tbody.transaction summary").click()
    assert page.locator("tbody.transaction tr.charge").count() == 3
    screenshot(page, "money-03-transactions")
    with page.expect_download() as download:
        page.click("#export-csv")
    text = download.value.path().read_text("utf-8-sig")
    assert "RefundCommission" in text
    assert "FBAPerUnitFulfillmentFee" not in text  # only the refund's charges
    page.click("a.order-link")
    page.wait_for_url(re.compile(r".*/orders/detail/\?order=" + ORDER))
    assert page.locator("#order-id").inner_text() == ORDER


def test_order_page_from_the_orders_list(live_server, watched):
    p = seed_money(make_personas("Money"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/orders/")
    page.click(f"tbody[data-order='{ORDER}'] a.order-link")
    page.wait_for_url(re.compile(r".*/orders/detail/\?order=" + ORDER))
    assert _attr(page, "tr.order-line", "sku") == ["LAMP-1", "MUG-1"]
    assert "3.60 USD" in page.locator("tr.order-line[data-sku='MUG-1']").inner_text()
    assert "no cost" in page.locator("tr.order-line[data-sku='LAMP-1']").inner_text()
    assert page.locator("li.refund").count() == 1
    screenshot(page, "money-04-order")
    # Where the money settled: the settlement's lines.
    page.click("li.order-settlement[data-settlement='S-OK'] a")
    page.wait_for_selector("#settlement-lines-table")
    assert "S-OK" in page.locator("h1").inner_text()
    assert "SECRET" not in page.content()


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("transactions/?date_from=2026-02-01", "#transactions-table"),
        ("fees/?month_from=2026-02&month_to=2026-02", "#fees-by-sku"),
        (f"orders/detail/?order={ORDER}", "#order-items"),
    ],
)
def test_money_pages_at_phone_width(live_server, watched, path: str, ready: str):
    p = seed_money(make_personas("Money"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{p.team.slug}/{path}")
    page.wait_for_selector(ready)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "money-phone-" + path.split("/")[0])
