"""The data pages in a real browser: each renders with data, its filters work, exports download,
and the layout holds at phone width. Another team's data never shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.dashboard import factories as f
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)


def _attr(page, selector: str, name: str) -> list[str]:
    values: list[str] = page.locator(selector).evaluate_all(
        f"els => els.map(e => e.dataset.{name})"
    )
    return values


def test_orders_page(live_server, watched):
    p = f.seed(make_personas("Data"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/orders/")
    assert _attr(page, "tbody.order", "order") == [
        "111-0000002-0000001",
        "302-0000003-0000001",
        "111-0000001-0000001",
    ]
    assert "SECRET" not in page.content()
    assert page.locator("#freshness").inner_text().startswith("Synced")
    page.locator("tbody[data-order='111-0000001-0000001'] summary").click()
    assert page.locator("tbody[data-order='111-0000001-0000001'] tr.order-line").count() == 2
    screenshot(page, "data-01-orders")

    page.fill("#filter_date_from", "2026-02-01")
    page.fill("#filter_date_to", "2026-02-01")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*date_to=2026-02-01"))
    assert _attr(page, "tbody.order", "order") == ["111-0000001-0000001"]
    page.goto(f"{live_server.url}/t/{p.team.slug}/orders/")
    page.select_option("#filter_status", "cancelled")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*status=cancelled"))
    assert _attr(page, "tbody.order", "order") == ["111-0000002-0000001"]
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text("utf-8-sig")
    assert "111-0000002-0000001" in text
    assert "111-0000001-0000001" not in text


def test_inventory_listings_and_settlements_pages(live_server, watched):
    p = f.seed(make_personas("Data"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    base = f"{live_server.url}/t/{p.team.slug}"

    page.goto(f"{base}/inventory/")
    assert _attr(page, "tr.stock", "sku") == ["MUG-1", "LAMP-1", "CASE-1"]
    page.check("#filter_low")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*low=on"))
    assert _attr(page, "tr.stock", "sku") == ["MUG-1"]
    screenshot(page, "data-02-inventory")

    page.goto(f"{base}/listings/")
    assert _attr(page, "tr.listing", "sku") == ["LAMP-1", "MUG-1"]
    assert "Missing main image" in page.locator("tr[data-sku='LAMP-1']").inner_text()
    page.fill("#filter_q", "blue")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*q=blue"))
    assert _attr(page, "tr.listing", "sku") == ["MUG-1"]
    screenshot(page, "data-03-listings")

    page.goto(f"{base}/settlements/")
    assert _attr(page, "tr.settlement", "settlement") == ["S-WAIT", "S-BAD", "S-OK"]
    page.select_option("#filter_reconciliation", "mismatch")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*reconciliation=mismatch"))
    assert _attr(page, "tr.settlement", "settlement") == ["S-BAD"]
    screenshot(page, "data-04-settlements")
    page.click("tr[data-settlement='S-BAD'] a")
    page.wait_for_selector("#settlement-lines-table")
    assert page.locator("tr.settlement-line").count() == 2
    screenshot(page, "data-05-settlement-lines")
    assert "SECRET" not in page.content()


@pytest.mark.parametrize(
    ("name", "ready"),
    [
        ("orders", "#orders-table"),
        ("inventory", "#stock-table"),
        ("listings", "#listings-table"),
        ("settlements", "#settlements-table"),
        ("overview", "#overview-attention"),
    ],
)
def test_data_pages_at_phone_width(live_server, watched, name: str, ready: str):
    p = f.seed(make_personas("Data"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{p.team.slug}/{name}/")
    page.wait_for_selector(ready)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"data-phone-{name}")


def test_the_team_home_loads_the_overview(live_server, watched):
    p = f.seed(make_personas("Data"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/")
    page.wait_for_selector("#overview-more")
    assert "suppressed" in page.locator("#overview-more").inner_text()
    screenshot(page, "data-06-overview")
    page.click("#overview-more a[href$='status=suppressed']")
    page.wait_for_url(re.compile(r".*/listings/\?status=suppressed"))
    assert _attr(page, "tr.listing", "sku") == ["LAMP-1"]
    screenshot(page, "data-07-overview-to-listings")
