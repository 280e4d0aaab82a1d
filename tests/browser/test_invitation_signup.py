"""An invitation in a real browser: the link, the sign-up filled in with the invited address, no
confirmation email to wait for, then the inviting team."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache

from ams.accounts.models import User
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role, Team
from ams.teams.services import invitation_create, invitation_token
from tests.browser.conftest import screenshot
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple 7"
INVITED = "nina.new@example.test"


def test_an_invitee_signs_up_from_the_link_and_lands_in_the_inviting_team(live_server, watched):
    cache.clear()
    p = make_personas("Invite")
    with team_scope(p.team.id):
        owner = Membership.objects.get(team=p.team, user=p.owner)
    invitation = invitation_create(team=p.team, actor=owner, email=INVITED, role=Role.MEMBER)
    teams_before = Team.objects.count()
    sent = len(mail.outbox)
    page = watched
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/invitations/{invitation_token(invitation)}/")
    assert INVITED in page.content()
    screenshot(page, "invitation-01-link")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/accounts/signup/**")
    assert page.input_value("input[name=email]") == INVITED
    screenshot(page, "invitation-02-signup-filled-in")
    page.fill("input[name=name]", "Nina New")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form button[type=submit]").last.click()

    # Signed in at once, back on the invitation.
    page.wait_for_url("**/invitations/**")
    page.get_by_role("button", name="Accept and join").click()
    page.wait_for_url(f"{live_server.url}/t/{p.team.slug}/")
    screenshot(page, "invitation-03-in-the-team")
    assert f"Welcome to {p.team.name}" in page.content()

    user = User.objects.get(email=INVITED)
    assert EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == sent
    assert Team.objects.count() == teams_before
    # The outsider's team stays closed to the newcomer (asked with the browser's session).
    assert page.request.get(f"{live_server.url}/t/{p.outsider_team.slug}/").status == 404
