"""The owner's privacy controls in a real browser: the retention window, then deleting the team,
which asks for the password again and then carries on with the request it interrupted."""

from __future__ import annotations

import pytest

from ams.teams.models import DeletionReceipt, Team
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple 7"


def test_the_owner_sets_retention_then_deletes_the_team_with_the_password_again(
    live_server, watched
):
    p = make_personas("Privacy")
    p.owner.set_password(PASSWORD)
    p.owner.save(update_fields=["password"])
    page = watched
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server, p.owner)
    page.goto(f"{live_server.url}/t/{p.team.slug}/settings/")
    screenshot(page, "privacy-01-settings")

    page.fill("#retention input[name=months]", "12")
    page.fill("#retention input[name=financial_months]", "120")
    page.fill("#retention input[name=reason]", "§ 147 AO: 10 years for accounting records")
    page.click("#retention button[type=submit]")
    page.wait_for_url(f"**/t/{p.team.slug}/settings/")
    assert "Retention saved" in page.content()
    assert page.locator("#retention-recorded").is_visible()
    team = Team.objects.get(id=p.team.id)
    assert (team.retention_months, team.financial_retention_months) == (12, 120)

    page.fill("#delete-team input[name=confirm]", p.team.name)
    page.click("#delete-team button[type=submit]")
    # The session is older than the last sign-in allauth counts as recent: the password again.
    page.wait_for_url("**/accounts/reauthenticate/**")
    screenshot(page, "privacy-02-password-again")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")
    assert Team.objects.get(id=p.team.id).deletion_requested_at is not None
    assert DeletionReceipt.objects.filter(subject_ref=p.team.id).exists()
    screenshot(page, "privacy-03-deleted")
    assert "is being deleted" in page.content()
    # The team is gone from the person's team switcher at once.
    assert page.locator(".team-switcher", has_text=p.team.name).count() == 0
