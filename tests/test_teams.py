"""Teams: invitations, roles, ownership, leaving and switching, with an outsider always present."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.urls import resolve
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.teams.access import TeamAccess
from ams.teams.models import Invitation, Membership, Role, Team
from tests.factories import Personas, make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite(p: Personas, email: str, role: str = "member", by=None) -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(by or p.owner).post(
            f"/t/{p.team.slug}/members/", {"email": email, "role": role}
        )
    assert response.status_code == 302, response.content
    message = mail.outbox[-1]
    assert message.to == [email]
    match = re.search(r"https?://[^/\s]+(/invitations/[^/\s]+/)", str(message.body))
    assert match, message.body
    return match.group(1)


def members_of(p: Personas) -> dict[str, str]:
    with team_scope(p.team.id):
        return {
            m.user.email: m.role
            for m in Membership.objects.filter(team=p.team).select_related("user")
        }


def test_invite_and_accept(personas: Personas):
    path = invite(personas, "new@example.test", "viewer")
    message = mail.outbox[-1]
    assert isinstance(message, mail.EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert "Accept the invitation" in html
    assert personas.team.name in message.subject
    invitee = make_user(email="new@example.test")
    client = client_for(invitee)
    assert b"Join" in client.get(path).content
    response = client.post(path)
    assert response.status_code == 302
    assert members_of(personas)["new@example.test"] == Role.VIEWER
    # The outsider's team is untouched.
    with team_scope(personas.outsider_team.id):
        assert Membership.objects.filter(team=personas.outsider_team).count() == 1


def test_an_invitation_works_once(personas: Personas):
    path = invite(personas, "new@example.test")
    invitee = make_user(email="new@example.test")
    client = client_for(invitee)
    client.post(path)
    response = client.post(path)
    assert response.status_code == 400
    assert b"already been used" in response.content
    assert list(members_of(personas).keys()).count("new@example.test") == 1


def test_an_expired_invitation_is_refused(personas: Personas):
    path = invite(personas, "late@example.test")
    invitee = make_user(email="late@example.test")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client_for(invitee).post(path)
    assert response.status_code == 400
    assert b"expired" in response.content
    assert "late@example.test" not in members_of(personas)


@pytest.mark.parametrize(
    "forge", [lambda t: t[:-3] + "abc", lambda t: "x" + t, lambda t: "garbage"]
)
def test_a_forged_invitation_is_refused(personas: Personas, forge):
    path = invite(personas, "new@example.test")
    token = path.split("/")[2]
    invitee = make_user(email="new@example.test")
    response = client_for(invitee).post(f"/invitations/{forge(token)}/")
    assert response.status_code == 400
    assert b"not valid" in response.content
    assert "new@example.test" not in members_of(personas)


def test_an_invitation_is_only_for_the_address_it_was_sent_to(personas: Personas):
    path = invite(personas, "intended@example.test")
    response = client_for(personas.outsider).post(path)
    assert response.status_code == 400
    assert personas.outsider.email not in members_of(personas)


def test_a_withdrawn_invitation_is_refused(personas: Personas):
    path = invite(personas, "new@example.test")
    with team_scope(personas.team.id):
        invitation = Invitation.objects.get(email="new@example.test")
    client_for(personas.admin).post(f"/t/{personas.team.slug}/invitations/{invitation.id}/revoke/")
    response = client_for(make_user(email="new@example.test")).post(path)
    assert response.status_code == 400
    assert b"withdrawn" in response.content


def test_signed_out_visitors_are_told_how_to_accept(personas: Personas):
    path = invite(personas, "new@example.test")
    response = Client().get(path)
    assert response.status_code == 200
    assert b"Create account" in response.content


def test_an_admin_invites_members_but_not_admins(personas: Personas):
    invite(personas, "m@example.test", "member", by=personas.admin)
    response = client_for(personas.admin).post(
        f"/t/{personas.team.slug}/members/", {"email": "a@example.test", "role": "admin"}
    )
    assert response.status_code == 403


def test_inviting_an_existing_member_or_twice_gives_a_clear_error(personas: Personas):
    client = client_for(personas.owner)
    response = client.post(
        f"/t/{personas.team.slug}/members/", {"email": personas.member.email, "role": "member"}
    )
    assert response.status_code == 400
    assert b"already a member" in response.content
    invite(personas, "twice@example.test")
    response = client.post(
        f"/t/{personas.team.slug}/members/", {"email": "twice@example.test", "role": "member"}
    )
    assert response.status_code == 400
    assert b"open invitation" in response.content


def _membership(p: Personas, user) -> Membership:
    with team_scope(p.team.id):
        return Membership.objects.get(team=p.team, user=user)


def test_roles_change_within_the_rules(personas: Personas):
    p = personas
    member = _membership(p, p.member)
    url = f"/t/{p.team.slug}/members/{member.id}/role/"
    client_for(p.admin).post(url, {"role": "viewer"})
    assert members_of(p)[p.member.email] == Role.VIEWER
    # An admin cannot appoint admins; the owner can.
    assert client_for(p.admin).post(url, {"role": "admin"}).status_code == 403
    client_for(p.owner).post(url, {"role": "admin"})
    assert members_of(p)[p.member.email] == Role.ADMIN
    # Nobody makes an owner by role change.
    client_for(p.owner).post(url, {"role": "owner"})
    assert members_of(p)[p.member.email] == Role.ADMIN


def test_members_are_removed_but_never_the_owner(personas: Personas):
    p = personas
    client_for(p.admin).post(f"/t/{p.team.slug}/members/{_membership(p, p.viewer).id}/remove/")
    assert p.viewer.email not in members_of(p)
    owner = _membership(p, p.owner)
    client_for(p.owner).post(f"/t/{p.team.slug}/members/{owner.id}/remove/")
    assert members_of(p)[p.owner.email] == Role.OWNER
    # A removed member no longer sees the team.
    assert client_for(p.viewer).get(f"/t/{p.team.slug}/").status_code == 404


def test_ownership_transfer(personas: Personas):
    p = personas
    target = _membership(p, p.member)
    response = client_for(p.owner).post(f"/t/{p.team.slug}/members/{target.id}/transfer/")
    assert response.status_code == 302
    roles = members_of(p)
    assert roles[p.member.email] == Role.OWNER
    assert roles[p.owner.email] == Role.ADMIN
    assert list(roles.values()).count(Role.OWNER) == 1
    # Only the owner could do that.
    again = client_for(p.owner).post(
        f"/t/{p.team.slug}/members/{_membership(p, p.viewer).id}/transfer/"
    )
    assert again.status_code == 403


def test_members_leave_but_the_owner_must_transfer_first(personas: Personas):
    p = personas
    assert client_for(p.viewer).post(f"/t/{p.team.slug}/leave/").status_code == 302
    assert p.viewer.email not in members_of(p)
    client_for(p.owner).post(f"/t/{p.team.slug}/leave/")
    assert members_of(p)[p.owner.email] == Role.OWNER


def test_a_user_in_several_teams_switches_between_them(personas: Personas):
    p = personas
    with team_scope(p.outsider_team.id):
        Membership.objects.create(team=p.outsider_team, user=p.member, role=Role.VIEWER)
    client = client_for(p.member)
    page = client.get(f"/t/{p.team.slug}/").content.decode()
    assert p.team.name in page
    assert "Outsider&#x27;s team" in page
    assert client.get(f"/t/{p.outsider_team.slug}/").status_code == 200


def test_a_new_team_can_be_created(personas: Personas):
    response = client_for(personas.viewer).post("/teams/new/", {"name": "Second brand"})
    assert response.status_code == 302
    assert client_for(personas.viewer).get(response["Location"]).status_code == 200


def test_a_team_can_require_its_owner_to_use_two_factor(personas: Personas):
    p = personas
    client = client_for(p.owner)
    client.post(f"/t/{p.team.slug}/settings/", {"name": p.team.name, "require_owner_2fa": "on"})
    response = client.get(f"/t/{p.team.slug}/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # Other roles are not affected.
    assert client_for(p.member).get(f"/t/{p.team.slug}/").status_code == 200


# --- What one person or team may send out -------------------------------------------------------


def test_a_user_creates_a_few_teams_a_day_not_a_stream_of_them(personas: Personas):
    from ams.teams.services import TEAMS_PER_USER_PER_DAY

    client = client_for(personas.member)
    for n in range(TEAMS_PER_USER_PER_DAY):
        assert client.post("/teams/new/", {"name": f"Brand {n}"}).status_code == 302
    refused = client.post("/teams/new/", {"name": "One too many"})
    assert refused.status_code == 429
    assert "try again tomorrow" in refused.content.decode()
    # A day later, and for anyone else (the outsider) meanwhile, creating works.
    assert client_for(personas.outsider).post("/teams/new/", {"name": "Theirs"}).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert client.post("/teams/new/", {"name": "Next day"}).status_code == 302


def test_a_team_sends_a_bounded_number_of_invitations(personas: Personas, monkeypatch):
    from ams.teams import services

    monkeypatch.setattr(services, "INVITATIONS_PER_TEAM_PER_HOUR", 3)
    for n in range(3):
        path = invite(personas, f"guest{n}@example.test")
        assert path
    # Withdrawing one does not give its place back.
    with team_scope(personas.team.id):
        first = Invitation.objects.filter(team=personas.team).order_by("id").first()
    assert first is not None
    client_for(personas.owner).post(f"/t/{personas.team.slug}/invitations/{first.id}/revoke/")
    sent = len(mail.outbox)
    refused = client_for(personas.owner).post(
        f"/t/{personas.team.slug}/members/", {"email": "guest9@example.test", "role": "member"}
    )
    assert refused.status_code == 400
    assert "3 invitations in the last hour" in refused.content.decode()
    assert len(mail.outbox) == sent
    # The outsider's team has its own quota.
    assert invite_outsider(personas, "friend@example.test")


def invite_outsider(p: Personas, email: str) -> bool:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(p.outsider).post(
            f"/t/{p.outsider_team.slug}/members/", {"email": email, "role": "member"}
        )
    return response.status_code == 302


def test_names_in_an_invitation_cannot_carry_a_link_or_a_header(personas: Personas):
    client_for(personas.owner).post(
        f"/t/{personas.team.slug}/settings/",
        {"name": "Your account is locked: sign in at https://evil.example/login\nBcc: x"},
    )
    personas.owner.name = "Support at www.phish.example"
    personas.owner.save(update_fields=["name"])
    invite(personas, "target@example.test")
    message = mail.outbox[-1]
    assert isinstance(message, mail.EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    for part in (message.subject, str(message.body), html):
        assert "evil.example" not in part
        assert "https://evil" not in part
        assert "www.phish.example" not in part
    assert "\n" not in message.subject
    assert "evil[.]example" in message.subject


def test_an_owner_with_an_authenticator_app_passes_where_owner_two_factor_is_required(
    personas: Personas,
):
    from allauth.mfa.models import Authenticator

    p = personas
    for team in (p.team, p.outsider_team):
        with team_scope(team.id):
            Team.objects.filter(id=team.id).update(require_owner_2fa=True)
    Authenticator.objects.create(
        user=p.owner, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    # Recovery codes alone are not an authenticator app.
    Authenticator.objects.create(
        user=p.outsider, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"}
    )

    assert client_for(p.owner).get(f"/t/{p.team.slug}/").status_code == 200
    # The rule is the owner's alone: no other role is sent to set up an authenticator.
    for user in (p.admin, p.member, p.viewer):
        assert client_for(user).get(f"/t/{p.team.slug}/").status_code == 200
    response = client_for(p.outsider).get(f"/t/{p.outsider_team.slug}/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_an_unsafe_method_on_a_page_that_declares_no_writer_is_refused_even_for_the_owner(
    personas: Personas,
):
    p = personas
    # The dashboard is declared read-only (no write role): the gate refuses before the view, which
    # would only have said 405.
    for user in (p.owner, p.viewer):
        assert client_for(user).post(f"/t/{p.team.slug}/").status_code == 403
    assert client_for(p.outsider).post(f"/t/{p.outsider_team.slug}/").status_code == 403
    assert client_for(p.outsider).post(f"/t/{p.team.slug}/").status_code == 404


def test_a_team_view_keeps_its_own_name_and_its_declared_roles_cannot_change():
    match = resolve("/t/some-team/members/")
    # Error reports and logs name the view by this path, not by the gate's wrapper.
    assert match._func_path == "ams.teams.views.members"
    declared = match.func.team_access  # type: ignore[attr-defined]
    assert declared == TeamAccess(read=Role.VIEWER, write=Role.ADMIN)
    with pytest.raises(dataclasses.FrozenInstanceError):
        declared.write = Role.VIEWER


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Ünïcødé Händler", "unicode-handler"),
        ("Straße & Søn", "strasse-son"),
        ("Łódź Œuvre Ærø", "lodz-oeuvre-aero"),
        ("東京", ""),  # no Latin letter at all: the caller falls back to "team"
    ],
)
def test_team_slugs_transliterate_rather_than_drop_letters(name: str, slug: str):
    from ams.teams.services import slug_for

    assert slug_for(name) == slug


def test_a_team_created_with_a_unicode_name_gets_a_readable_slug(personas):
    from ams.teams.services import team_create

    team = team_create(owner=personas.outsider, name="Ünïcødé Händler")
    assert team.slug == "unicode-handler"
    again = team_create(owner=personas.outsider, name="東京")
    assert again.slug.startswith("team")


def test_the_team_page_says_each_role_as_a_sentence_would(personas):
    expected = {
        personas.owner: "You are the owner of this team.",
        personas.admin: "You are an admin of this team.",
        personas.member: "You are a member of this team.",
        personas.viewer: "You are a viewer of this team.",
    }
    for user, sentence in expected.items():
        html = client_for(user).get(f"/t/{personas.team.slug}/").content.decode()
        assert sentence in html
