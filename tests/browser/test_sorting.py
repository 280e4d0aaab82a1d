"""Sorting the orders by a column in a real browser: the header link re-sorts on the server, the
URL keeps ``sort=``, a filter keeps it, and the export lists the orders in the page's order."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.browser.test_data_pages import _attr
from tests.dashboard import factories as f
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)


def _exported_orders(path: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(Path(path).read_text("utf-8-sig"))))[1:]
    return [r[0] for i, r in enumerate(rows) if i == 0 or rows[i - 1][0] != r[0]]


def test_clicking_a_header_sorts_the_orders_and_the_export_follows(live_server, watched):
    p = f.seed(make_personas("Sort"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/orders/")
    newest_first = ["111-0000002-0000001", "302-0000003-0000001", "111-0000001-0000001"]
    assert _attr(page, "tbody.order", "order") == newest_first
    status = page.locator("#orders-table > thead th[data-sort='status']")
    assert status.get_attribute("aria-sort") == "none"

    status.locator("a").click()
    page.wait_for_url(re.compile(r".*[?&]sort=status(&|$)"))
    assert _attr(page, "tbody.order", "order") == [
        "111-0000002-0000001",  # cancelled
        "111-0000001-0000001",  # shipped, by order id
        "302-0000003-0000001",
    ]
    status = page.locator("#orders-table > thead th[data-sort='status']")
    assert status.get_attribute("aria-sort") == "ascending"
    assert "↑" in status.inner_text()
    screenshot(page, "sort-01-orders-by-status")

    status.locator("a").click()  # again: the other way
    page.wait_for_url(re.compile(r".*[?&]sort=-status(&|$)"))
    by_status_down = ["302-0000003-0000001", "111-0000001-0000001", "111-0000002-0000001"]
    assert _attr(page, "tbody.order", "order") == by_status_down
    assert (
        page.locator("#orders-table > thead th[data-sort='status']").get_attribute("aria-sort")
        == "descending"
    )

    # A filter keeps the order (the form carries it).
    page.select_option("#filter_marketplace", f.US)
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*marketplace=ATVPDKIKX0DER.*"))
    assert "sort=-status" in page.url
    assert _attr(page, "tbody.order", "order") == ["111-0000001-0000001", "111-0000002-0000001"]

    with page.expect_download() as download:
        page.click("#export-csv")
    assert _exported_orders(str(download.value.path())) == [
        "111-0000001-0000001",
        "111-0000002-0000001",
    ]
    assert "SECRET" not in page.content()
