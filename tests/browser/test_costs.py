"""Product costs in a real browser: the list with data, filters, in-place entry, history, delete,
export, import with rejected rows, and the phone layout. Another team's costs never show."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ams.accounts.models import User
from ams.teams.models import Role
from tests.browser.conftest import screenshot
from tests.factories import Personas, add_member, make_personas, make_user
from tests.procurement.helpers import DE, add_cost, synced_skus

pytestmark = pytest.mark.django_db(transaction=True)


def _seed() -> Personas:
    p = make_personas("Costs")
    synced_skus(p.team, "MUG-1", "MUG-2", "LAMP-1", "LAMP-2")
    add_cost(p.team, "MUG-1", "4.00", date(2026, 1, 1), note="first batch")
    add_cost(p.team, "MUG-1", "4.50", date(2026, 3, 1))
    add_cost(p.team, "LAMP-1", "11.25", date(2026, 1, 1), marketplace_id=DE, currency="EUR")
    synced_skus(p.outsider_team, "SECRET-SKU")
    add_cost(p.outsider_team, "SECRET-SKU", "1.23", date(2026, 1, 1))
    return p


def _sign_in(page: Any, live_server: Any, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _skus_in_table(page: Any) -> list[str]:
    skus: list[str] = page.locator("#cost-table tbody.sku-costs").evaluate_all(
        "els => els.map(e => e.dataset.sku)"
    )
    return skus


def test_cost_list_filters_and_in_place_entry(live_server, watched):
    p = _seed()
    page = watched
    _sign_in(page, live_server, p.member)
    base = f"{live_server.url}/t/{p.team.slug}/costs/"

    page.goto(base)
    assert page.locator("h1").inner_text() == "Product costs"
    assert _skus_in_table(page) == ["LAMP-1", "MUG-1"]
    assert page.locator("#missing-costs").inner_text().startswith("2 SKUs without a cost.")
    assert "SECRET-SKU" not in page.content()
    screenshot(page, "costs-01-list")

    # Filters.
    page.fill("input[name=q]", "lamp")
    page.click("#cost-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*\?.*q=lamp"))
    assert _skus_in_table(page) == ["LAMP-1"]
    page.select_option("select[name=marketplace]", "all")
    page.fill("input[name=q]", "")
    page.click("#cost-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*marketplace=all"))
    assert _skus_in_table(page) == ["MUG-1"]
    page.goto(base)

    # A cost for a flagged SKU, in place (htmx).
    row = page.locator("#missing-costs tr", has_text="MUG-2")
    row.locator("input[name=unit_cost]").fill("2.75")
    row.locator("button").click()
    page.wait_for_selector("text=Saved: MUG-2 costs 2.75 USD")
    assert _skus_in_table(page) == ["LAMP-1", "MUG-1", "MUG-2"]
    assert page.locator("#missing-costs").inner_text().startswith("1 SKU without a cost.")

    # A new dated cost from the SKU's history, then a mistaken one deleted.
    history = page.locator("tbody[data-sku='MUG-1'] details.cost-history")
    history.locator("summary").click()
    form = history.locator("form.new-cost")
    form.locator("input[name=effective_from]").fill("2026-06-01")
    form.locator("input[name=unit_cost]").fill("4.80")
    form.locator("button").click()
    page.wait_for_selector("text=Saved: MUG-1 costs 4.80 USD from Jun 1, 2026.")
    history = page.locator("tbody[data-sku='MUG-1'] details.cost-history")
    history.locator("summary").click()
    assert history.locator("tbody tr").count() == 3
    screenshot(page, "costs-02-history")
    page.once("dialog", lambda dialog: dialog.accept())
    history.locator("tbody tr", has_text="Jun 1, 2026").locator("button", has_text="Delete").click()
    page.wait_for_selector("text=Deleted the cost of MUG-1 from Jun 1, 2026.")

    # An error from the full form stays in place with the reason.
    page.click("#cost-new summary")
    page.fill("#cost-new input[name=sku]", "NOT-MINE")
    page.fill("#cost-new input[name=unit_cost]", "1")
    page.click("#cost-new button[type=submit]")
    page.wait_for_selector("text=unknown SKU 'NOT-MINE'")
    screenshot(page, "costs-03-error")


def test_export_and_import_with_rejected_rows(live_server, watched, tmp_path: Path):
    p = _seed()
    page = watched
    _sign_in(page, live_server, p.member)
    base = f"{live_server.url}/t/{p.team.slug}/costs/"

    page.goto(base + "?q=mug")
    with page.expect_download() as download:
        page.click("#export-csv")
    exported = Path(download.value.path()).read_text("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert [r[0] for r in rows[1:]] == ["MUG-1", "MUG-1"]
    assert download.value.suggested_filename.startswith(f"{p.team.slug}-costs-")
    with page.expect_download() as xlsx:
        page.click("#export-xlsx")
    assert xlsx.value.suggested_filename.endswith(".xlsx")

    sheet = tmp_path / "costs.csv"
    sheet.write_text(
        "SKU;Marketplace;Currency;Unit cost;Effective from\n"
        "MUG-2;US;USD;3,10;2026-02-01\n"
        "SECRET-SKU;;USD;1;2026-02-01\n"
        "LAMP-2;DE;USD;5;2026-02-01\n"
        "MUG-1;;USD;-4;2026-02-01\n"
        "LAMP-2;DE;EUR;5;01.02.2026\n",
        encoding="utf-8",
    )
    page.click("#import-link")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-summary")
    assert page.locator("#import-summary").inner_text() == "1 row imported, 4 rejected."
    reasons = page.locator("#rejections tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in reasons] == ["3", "4", "5", "6"]
    assert "unknown SKU" in reasons[0]
    assert "wrong currency" in reasons[1]
    assert "negative cost" in reasons[2]
    assert "bad date" in reasons[3]
    screenshot(page, "costs-04-import-result")


def test_a_viewer_reads_only_and_the_layout_works_at_phone_width(live_server, watched):
    p = _seed()
    viewer = make_user(name="Vera Viewer")
    add_member(p.team, viewer, Role.VIEWER)
    page = watched
    _sign_in(page, live_server, viewer)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/t/{p.team.slug}/costs/")
    assert _skus_in_table(page) == ["LAMP-1", "MUG-1"]
    assert page.locator("#cost-new").count() == 0
    assert page.locator("#import-link").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "costs-05-phone")
