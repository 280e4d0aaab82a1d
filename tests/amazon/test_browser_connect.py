"""Connecting an Amazon account in a real browser, against the simulated Seller Central."""

from __future__ import annotations

import copy
import re

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.teams.services import team_create
from tests.amazon.conftest import Amazon
from tests.browser.conftest import PageProblems, screenshot
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple 7"


def test_connect_an_amazon_account_in_the_browser(
    live_server, watched, page_problems: PageProblems, amazon: Amazon, settings, empty_vault
):
    # Amazon sends the seller back to the registered redirect URI: this live server.
    settings.SITE_URL = live_server.url
    # The simulator's origin stands in for Seller Central's in form-action, as in the settings.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], amazon.base_url]
    settings.CONTENT_SECURITY_POLICY = policy

    owner = make_user(name="Ada Seller", email="ada@example.test", password=PASSWORD)
    team = team_create(owner=owner, name="Ada's shop")
    page = watched
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "ada@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf".*/t/{team.slug}/$"))

    page.click("nav .team-pages summary:has-text('Team')")
    page.click("nav .team-pages a:has-text('Amazon')")
    page.wait_for_selector("#no-connections")
    page.select_option("select[name=region]", "NA")
    screenshot(page, "amazon-01-connect")
    failed_on: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            failed_on.append(message.location.get("url", ""))

    page.on("console", on_console)
    seen_before = len(page_problems.items)
    page.click("text=Connect with Amazon")

    # Seller Central (simulated): choose the second account and confirm.
    page.wait_for_url(re.compile(r".*/apps/authorize/consent\?.*"))
    assert page.url.startswith(amazon.base_url)
    seller = amazon.sellers[1]
    page.check(f"input[name=selling_partner_id][value='{seller}']")
    screenshot(page, "amazon-02-consent")
    page.click("text=Confirm")

    # Back in AMS: the account is listed with its marketplaces.
    page.wait_for_url(re.compile(rf".*/t/{team.slug}/amazon/$"))
    # The simulator serves no favicon; Chromium's 404 for it on that origin is not an AMS problem.
    sim_favicon = f"{amazon.base_url}/favicon.ico"
    assert set(failed_on) <= {sim_favicon}, failed_on
    if failed_on:
        page_problems.items[seen_before:] = [
            i for i in page_problems.items[seen_before:] if "404 (Not Found)" not in i
        ]
    page.wait_for_selector("#connections")
    assert "Connected" in page.inner_text(".messages")
    with team_scope(team.id):
        conn = SellerConnection.objects.get(team=team)
    row = page.locator(f"#connection-{conn.id}")
    assert seller in row.inner_text()
    assert row.get_attribute("data-status") == "active"
    assert sorted(row.locator(".marketplace").all_inner_texts()) == ["CA", "MX", "US"]
    screenshot(page, "amazon-03-connected")

    # Disconnect, confirming the browser's question: the user is told to remove the app at Amazon.
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("text=Disconnect").click()
    page.wait_for_selector("text=Manage Your Apps")
    assert page.locator(f"#connection-{conn.id}").get_attribute("data-status") == "disconnected"
    assert page.locator("#deletion-records").is_visible()
    screenshot(page, "amazon-04-disconnected")
    assert page_problems.items == []
