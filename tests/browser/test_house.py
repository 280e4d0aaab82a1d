"""A new seller's first minutes, in a real browser: sign up, verify, invite, accept, change a role,
turn on two-factor authentication."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from tests.browser.conftest import PageProblems, screenshot
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple 7"


def _link_from_last_email(path: str) -> str:
    body = str(mail.outbox[-1].body)
    match = re.search(r"https?://\S*?(" + re.escape(path) + r"\S*)", body)
    assert match, body
    return match.group(1).rstrip(".")


def test_sign_up_invite_accept_role_and_two_factor(
    live_server, watched, browser, page_problems: PageProblems, settings
):
    settings.SITE_URL = live_server.url
    page = watched
    base = live_server.url

    # Sign up.
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=name]", "Ada Seller")
    page.fill("input[name=email]", "ada@example.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    screenshot(page, "house-01-signup")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/$"))

    # Verify the address from the email, which lands in her new team.
    page.goto(base + _link_from_last_email("/accounts/confirm-email/"))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/t/ada-sellers-team/$"))
    assert page.locator("h1").inner_text() == "Ada Seller's team"
    screenshot(page, "house-02-team")

    # Invite Bob.
    page.click("nav .team-pages summary:has-text('Team')")
    page.click("nav .team-pages a:has-text('Members')")
    page.fill("input[name=email]", "bob@example.test")
    page.select_option("select[name=role]", "member")
    page.click("text=Send invitation")
    page.wait_for_selector("text=Invitation sent to bob@example.test")
    invitation_path = _link_from_last_email("/invitations/")

    # Bob, in his own browser, signs in and accepts.
    make_user(name="Bob Buyer", email="bob@example.test", password=PASSWORD)
    bob_context = browser.new_context()
    bob = PageProblems().watch(bob_context.new_page())
    bob.goto(f"{base}/accounts/login/")
    bob.fill("input[name=login]", "bob@example.test")
    bob.fill("input[name=password]", PASSWORD)
    bob.click("button[type=submit]")
    bob.goto(base + invitation_path)
    bob.click("text=Accept and join")
    bob.wait_for_url(re.compile(r".*/t/ada-sellers-team/$"))
    assert "Welcome to Ada Seller's team" in bob.content()
    bob_context.close()

    # Ada makes Bob a viewer.
    page.goto(f"{base}/t/ada-sellers-team/members/")
    row = page.locator("tr", has_text="Bob Buyer")
    row.locator("select[name=role]").select_option("viewer")
    row.locator("text=Change").click()
    page.wait_for_selector("text=Bob Buyer is now viewer")
    screenshot(page, "house-03-members")

    # Ada turns on two-factor authentication with her authenticator app.
    page.goto(f"{base}/accounts/2fa/totp/activate/")
    # Enrolling a second factor asks for the password again, however recent the sign-in.
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/2fa/recovery-codes/.*|.*/accounts/2fa/$"))
    screenshot(page, "house-04-two-factor")

    # Signing in again now asks for the code.
    page.goto(f"{base}/accounts/logout/")
    page.click("button[type=submit]")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "ada@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/$"))
    page.fill("input[name=code]", format_hotp_value(hotp_value(secret, int(time.time()) // 30 + 1)))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/t/ada-sellers-team/$"))
    assert page_problems.items == []


def test_the_layout_works_at_phone_width(live_server, watched):
    page = watched
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/signup/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "house-phone-signup")
