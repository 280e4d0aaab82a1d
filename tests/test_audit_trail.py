"""The audit trail as people meet it: sign-ins on the profile, the team's log for owners and
admins with filters and an export, and the changes the services record."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from ams.core.audit_log import audit_record, email_fingerprint, unknown_account_scope
from ams.core.models import AuditEntry, UserAuditEntry
from ams.core.tenancy import team_scope, user_scope
from ams.teams.models import Membership
from tests.factories import make_personas, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 7"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _user_kinds(user_id: int) -> list[str]:
    with user_scope(user_id):
        return [e.kind for e in UserAuditEntry.objects.filter(user_id=user_id).order_by("seq")]


def _team_entries(team_id: int) -> list[AuditEntry]:
    with team_scope(team_id):
        return list(AuditEntry.objects.filter(team_id=team_id).order_by("seq"))


# --- Sign-ins ------------------------------------------------------------------------------------


def test_sign_ins_and_failures_are_recorded_without_the_password_or_a_strangers_address():
    user = make_user(email="ada@example.test", password=PASSWORD)
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Probe/1.0")
    client.post("/accounts/login/", {"login": "ada@example.test", "password": "wrong password 1"})
    client.post("/accounts/login/", {"login": "nobody@example.test", "password": "guess-9876"})
    response = client.post("/accounts/login/", {"login": "ada@example.test", "password": PASSWORD})
    assert response.status_code == 302

    assert _user_kinds(user.id) == ["signin.failed", "signin.succeeded"]
    with user_scope(user.id):
        success = UserAuditEntry.objects.get(user_id=user.id, kind="signin.succeeded")
    assert success.data == {"ip": "198.51.100.7", "agent": "Probe/1.0"}
    with unknown_account_scope():
        (unknown,) = UserAuditEntry.objects.filter(user_id__isnull=True)
    assert unknown.kind == "signin.failed_unknown_account"
    assert unknown.data["email_hmac"] == email_fingerprint("nobody@example.test")
    stored = json.dumps([success.data, unknown.data])
    for secret in ("nobody@example.test", "guess-9876", "wrong password", PASSWORD):
        assert secret not in stored

    # The person sees their own history on the profile; nobody else's.
    page = client.get("/accounts/profile/").content.decode()
    assert page.count('class="security-event"') == 2
    assert "198.51.100.7" in page
    other = make_user()
    assert "198.51.100.7" not in _client(other).get("/accounts/profile/").content.decode()


def test_two_factor_changes_are_recorded(django_capture_on_commit_callbacks):
    from allauth.mfa.totp.internal.auth import (
        SECRET_SESSION_KEY,
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    user = make_user(email="two@example.test", password=PASSWORD)
    client = Client()
    client.force_login(user)
    # Adding a second factor asks for the password again.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    counter = next(iter(yield_hotp_counters_from_time()))
    code = format_hotp_value(hotp_value(secret, counter))
    # allauth announces the new authenticator once its transaction has committed.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    with user_scope(user.id):
        added = list(UserAuditEntry.objects.filter(user_id=user.id, kind="mfa.added"))
    # The authenticator app, and the recovery codes made with it.
    assert sorted(e.data["authenticator"] for e in added) == ["recovery_codes", "totp"]
    assert secret not in json.dumps([e.data for e in added])


# --- The team's log -------------------------------------------------------------------------------


def test_role_changes_invitations_and_settings_are_in_the_teams_log(mailoutbox):
    p = make_personas()
    owner = _client(p.owner)
    with team_scope(p.team.id):
        member = Membership.objects.get(team=p.team, user=p.member)
    owner.post(f"/t/{p.team.slug}/members/{member.id}/role/", {"role": "viewer"})
    owner.post(f"/t/{p.team.slug}/members/", {"email": "new@example.test", "role": "member"})
    owner.post(f"/t/{p.team.slug}/settings/", {"name": "Renamed"})

    entries = _team_entries(p.team.id)
    kinds = [e.kind for e in entries]
    assert kinds[-3:] == ["membership.role_changed", "invitation.created", "team.updated"]
    role_change = entries[-3]
    assert role_change.actor_id == p.owner.id
    assert role_change.data["member_user_id"] == p.member.id
    assert role_change.data["role"] == "viewer"
    assert "new@example.test" not in json.dumps([e.data for e in entries])
    assert not [e for e in _team_entries(p.outsider_team.id) if e.kind != "team.created"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("admin", 200), ("member", 403), ("viewer", 403), ("outsider", 404)],
)
def test_owners_and_admins_read_the_log_members_and_viewers_may_not_and_outsiders_find_nothing(
    persona, status
):
    p = make_personas()
    audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="amazon.connected", connection_id=1)
    audit_record(team_id=p.outsider_team.id, actor_id=p.outsider.id, kind="outsider.secret")
    client = _client(getattr(p, persona))
    for query in ("", "?format=csv", "?kind=amazon.connected"):
        response = client.get(f"/t/{p.team.slug}/audit/{query}")
        assert response.status_code == status, (persona, query)
    if status == 200:
        page = client.get(f"/t/{p.team.slug}/audit/").content.decode()
        assert "amazon.connected" in page
        assert "outsider.secret" not in page
    # Nobody reads another team's log through their own team's URL either.
    own = _client(p.outsider).get(f"/t/{p.outsider_team.slug}/audit/").content.decode()
    assert "amazon.connected" not in own


def test_the_log_filters_by_kind_actor_and_dates_and_exports_what_it_shows():
    p = make_personas()
    audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="amazon.connected", connection_id=1)
    audit_record(team_id=p.team.id, actor_id=p.admin.id, kind="invitation.created")
    audit_record(team_id=p.team.id, actor_id=p.admin.id, kind="amazon.disconnected")
    client = _client(p.owner)
    url = f"/t/{p.team.slug}/audit/"

    def shown(query: str) -> list[str]:
        page = client.get(url + query).content.decode()
        return re.findall(r'class="audit-entry" data-kind="([^"]+)"', page)

    assert shown("?kind=amazon.connected") == ["amazon.connected"]
    assert shown(f"?actor={p.admin.id}") == ["amazon.disconnected", "invitation.created"]
    assert shown("?since=2000-01-01&until=2000-01-02") == []
    assert "team.created" in shown("")
    assert client.get(url + "?since=2020-02-02&until=2020-01-01").status_code == 400
    assert client.get(url + "?kind=%00").status_code == 400

    export = client.get(url + f"?actor={p.admin.id}&format=csv")
    assert export.status_code == 200
    body = b"".join(export.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["at", "seq", "kind", "actor_id", "data", "hash"]
    assert [r[2] for r in rows[1:]] == ["amazon.disconnected", "invitation.created"]
    # The download is itself in the log.
    assert _team_entries(p.team.id)[-1].kind == "audit.exported"


# --- Correction -----------------------------------------------------------------------------------


def test_an_admin_renames_the_team_but_only_the_owner_sets_the_owners_two_factor_rule():
    p = make_personas()
    admin = _client(p.admin)
    response = admin.post(
        f"/t/{p.team.slug}/settings/", {"name": "By admin", "require_owner_2fa": "on"}
    )
    assert response.status_code == 302
    p.team.refresh_from_db()
    assert (p.team.name, p.team.require_owner_2fa) == ("By admin", False)
    assert (
        'name="require_owner_2fa"' not in admin.get(f"/t/{p.team.slug}/settings/").content.decode()
    )
    assert _client(p.member).post(f"/t/{p.team.slug}/settings/", {"name": "x"}).status_code == 403
    assert _client(p.outsider).get(f"/t/{p.team.slug}/settings/").status_code == 404
    page = _client(p.owner).get(f"/t/{p.team.slug}/settings/").content.decode()
    assert 'name="require_owner_2fa"' in page
    assert "come from Amazon" in page


def test_a_new_email_address_is_the_accounts_only_once_confirmed():
    user = make_user(email="old@example.test", password=PASSWORD)
    client = _client(user)
    mail.outbox.clear()
    response = client.post("/accounts/email/", {"action_add": "", "email": "new@example.test"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "old@example.test"
    (message,) = mail.outbox
    assert message.to == ["new@example.test"]
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s\"<>]+)", str(message.body))
    assert link, message.body
    assert client.post(link.group(1)).status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.test"
    assert "email.changed" in _user_kinds(user.id)
    assert (
        Client()
        .post("/accounts/login/", {"login": "new@example.test", "password": PASSWORD})
        .status_code
        == 302
    )


def test_the_amazon_page_says_where_its_names_come_from():
    p = make_personas()
    page = _client(p.owner).get(f"/t/{p.team.slug}/amazon/").content.decode()
    assert 'id="amazon-source"' in page
    assert "Seller Central" in page


def test_a_data_export_is_recorded_with_who_downloaded_it():
    p = make_personas()
    response = _client(p.viewer).get(f"/t/{p.team.slug}/orders/?format=csv")
    assert response.status_code == 200
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert _client(p.owner).get(f"/t/{p.team.slug}/costs/export/?format=xlsx").status_code == 200
    assert _client(p.outsider).get(f"/t/{p.team.slug}/orders/?format=csv").status_code == 404
    exports = [e for e in _team_entries(p.team.id) if e.kind == "export.downloaded"]
    assert [(e.actor_id, e.data) for e in exports] == [
        (p.viewer.id, {"page": "orders", "format": "csv"}),
        (p.owner.id, {"page": "costs", "format": "xlsx"}),
    ]
    assert not [e for e in _team_entries(p.outsider_team.id) if e.kind == "export.downloaded"]
