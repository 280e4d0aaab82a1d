"""The deposits page in a real browser: an owner imports a bank statement from the settlements
page, chooses its columns once, and sees each deposit matched; the layout holds at phone width."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.dashboard.test_deposits_page import settlement
from tests.factories import make_personas
from tests.finance.bank_files import GERMAN

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_owner_imports_a_statement_and_sees_the_deposits_matched(live_server, watched, tmp_path):
    p = make_personas("Deposits")
    settlement(p.team, "S-PAID", "2026-07-02", "1582.89")
    settlement(p.team, "S-SHORT", "2026-07-03", "12.50")
    settlement(p.outsider_team, "S-SECRET", "2026-07-02", "1582.89")
    statement = tmp_path / "konto.csv"
    statement.write_bytes(GERMAN)
    page = watched
    _sign_in(page, live_server, p.owner)
    page.goto(f"{live_server.url}/t/{p.team.slug}/settlements/")
    page.click("#deposits-link")
    page.wait_for_selector("#deposits-table")
    page.set_input_files("#statement-form input[type=file]", str(statement))
    page.click("#statement-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/settlements/deposits/columns/\?statement=\d+"))
    assert "AMAZON PAYMENTS EUROPE S.C.A." in page.locator("#statement-preview").inner_text()
    page.select_option("#columns-form select[name=currency]", "EUR")
    screenshot(page, "deposits-01-columns")
    page.click("#columns-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/settlements/deposits/$"))
    assert "4 new booking(s) stored" in page.content()
    assert page.locator("tr.deposit[data-settlement='S-PAID']").get_attribute("data-status") == (
        "matched"
    )
    assert page.locator("tr.deposit[data-settlement='S-SHORT']").get_attribute("data-status") == (
        "amount differs"
    )
    assert "S-SECRET" not in page.content()
    screenshot(page, "deposits-02-matched")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#deposits-table")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "deposits-phone")
