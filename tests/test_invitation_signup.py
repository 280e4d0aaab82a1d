"""Signing up from an invitation: the invited address filled in and proven by the link, no team of
one's own, then the inviting team; a link that cannot be used creates and proves nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.test import Client, TestCase
from django.utils import timezone

from ams.accounts.invited import SESSION_KEY
from ams.accounts.models import User
from ams.billing.models import Subscription
from ams.core.tenancy import team_scope
from ams.teams.models import Invitation, Membership, Role, Team
from tests.factories import Personas, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 7"
INVITED = "new.colleague@example.test"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def invite(p: Personas, email: str = INVITED, role: str = "member") -> str:
    client = Client()
    client.force_login(p.owner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/t/{p.team.slug}/members/", {"email": email, "role": role})
    assert response.status_code == 302, response.content
    match = re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", str(mail.outbox[-1].body))
    assert match
    return match.group(1)


def sign_up(client: Client, email: str, next_path: str):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/accounts/signup/?next={next_path}",
            {
                "name": "Nina New",
                "email": email,
                "password1": PASSWORD,
                "password2": PASSWORD,
                "next": next_path,
            },
        )


def teams_of(user: User) -> list[str]:
    return [
        m.team.name for t in Team.objects.all() for m in _memberships(t) if m.user_id == user.id
    ]


def _memberships(team: Team) -> list[Membership]:
    with team_scope(team.id):
        return list(Membership.objects.filter(team=team).select_related("team"))


def test_sign_up_from_an_invitation_is_filled_in_proven_and_lands_in_the_inviting_team(
    personas: Personas,
):
    path = invite(personas, role="viewer")
    sent = len(mail.outbox)
    teams_before = Team.objects.count()
    client = Client()

    page = client.get(path).content.decode()
    assert INVITED in page
    signup_page = client.get(f"/accounts/signup/?next={path}").content.decode()
    assert re.search(rf'<input[^>]*name="email"[^>]*value="{re.escape(INVITED)}"', signup_page) or (
        re.search(rf'<input[^>]*value="{re.escape(INVITED)}"[^>]*name="email"', signup_page)
    ), signup_page
    assert "Your invitation was sent to" in signup_page

    response = sign_up(client, INVITED, path)
    assert response.status_code == 302
    assert response["Location"] == path
    user = User.objects.get(email=INVITED)
    # The link proved the address: confirmed, and no confirmation email.
    assert EmailAddress.objects.get(user=user).verified is True
    assert len(mail.outbox) == sent
    # No team (and so no trial) of their own.
    assert Team.objects.count() == teams_before
    assert teams_of(user) == []

    # Signed in already; they accept and land in the inviting team.
    assert b"Accept and join" in client.get(path).content
    joined = client.post(path)
    assert joined.status_code == 302
    assert joined["Location"] == f"/t/{personas.team.slug}/"
    assert client.get(joined["Location"]).status_code == 200
    assert client.get("/")["Location"] == f"/t/{personas.team.slug}/"
    with team_scope(personas.team.id):
        assert Membership.objects.get(team=personas.team, user=user).role == Role.VIEWER
        assert Subscription.objects.filter(team=personas.team).count() == 1
    assert SESSION_KEY not in client.session
    # The outsider's team: not theirs, and a 404 like any team that is not.
    assert teams_of(user) == [personas.team.name]
    assert client.get(f"/t/{personas.outsider_team.slug}/").status_code == 404


def test_another_address_at_sign_up_is_confirmed_by_email_and_keeps_its_own_team(
    personas: Personas,
):
    path = invite(personas)
    client = Client()
    client.get(path)
    sent = len(mail.outbox)

    response = sign_up(client, "someone.else@example.test", path)
    assert response.status_code == 302
    user = User.objects.get(email="someone.else@example.test")
    # Not silently the invited address, and not proven by the link.
    assert not User.objects.filter(email=INVITED).exists()
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("someone.else@example.test", False)
    ]
    assert len(mail.outbox) == sent + 1
    assert mail.outbox[-1].to == ["someone.else@example.test"]
    # A sign-up of their own: their own team, and the invitation still waits for its address.
    assert teams_of(user) == ["Nina New's team"]
    with team_scope(personas.team.id):
        assert Invitation.objects.get(email=INVITED).is_open
    # Signed out until the address is confirmed.
    assert client.get(f"/t/{personas.team.slug}/").status_code == 302


def _expired(client: Client, personas: Personas, path: str):
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        return client.get(path), "expired"


def _withdrawn(client: Client, personas: Personas, path: str):
    with team_scope(personas.team.id):
        invitation = Invitation.objects.get(email=INVITED)
    owner = Client()
    owner.force_login(personas.owner)
    owner.post(f"/t/{personas.team.slug}/invitations/{invitation.id}/revoke/")
    return client.get(path), "withdrawn"


def _used(client: Client, personas: Personas, path: str):
    # Accepted by the person it was for, on another device.
    holder = make_user(email=INVITED.upper())
    accepting = Client()
    accepting.force_login(holder)
    assert accepting.post(path).status_code == 302
    return client.get(path), "already been used"


@pytest.mark.parametrize("spoil", [_expired, _withdrawn, _used])
def test_a_link_that_cannot_be_used_says_why_and_creates_or_proves_nothing(
    personas: Personas, spoil
):
    path = invite(personas)
    client = Client()
    users, teams = User.objects.count(), Team.objects.count()
    members = len(_memberships(personas.team))
    response, reason = spoil(client, personas, path)
    users, members = (
        (users + 1, members + 1) if spoil is _used else (users, members)
    )  # the holder who accepted it
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert "Create account" not in response.content.decode()
    assert (User.objects.count(), Team.objects.count()) == (users, teams)
    assert len(_memberships(personas.team)) == members
    assert SESSION_KEY not in client.session


def test_an_invitation_withdrawn_after_its_link_was_followed_no_longer_proves_the_address(
    personas: Personas,
):
    path = invite(personas)
    client = Client()
    client.get(path)
    _withdrawn(Client(), personas, path)
    sent = len(mail.outbox)

    sign_up(client, INVITED, path)
    user = User.objects.get(email=INVITED)
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == sent + 1
    assert teams_of(user) == ["Nina New's team"]
    with team_scope(personas.team.id):
        assert not Membership.objects.filter(team=personas.team, user=user).exists()
