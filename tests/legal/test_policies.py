"""The privacy policy and the terms: versions at stable addresses, announced once, acknowledged."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from ams.accounts.models import User
from ams.core.models import UserAuditEntry
from ams.core.tenancy import user_scope
from ams.legal import documents
from ams.legal.models import PolicyNotice
from ams.legal.services import policy_announce
from tests.factories import make_personas, make_user

pytestmark = pytest.mark.django_db
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def _joined_long_ago(*users: User) -> None:
    User.objects.filter(id__in=[u.id for u in users]).update(date_joined=LONG_AGO)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_document_has_a_latest_address_and_one_per_version():
    for name, title in documents.DOCUMENTS.items():
        latest = documents.latest(name)
        assert latest is not None, name
        page = Client().get(f"/legal/{name}/")
        assert page.status_code == 200
        assert f'data-version="{latest.version}"' in page.content.decode()
        assert f"<h1>{title}</h1>" in page.content.decode()
        for version in documents.versions(name):
            assert Client().get(version.url).status_code == 200
    for missing in ("/legal/privacy/1999-01-01/", "/legal/cookies/", "/legal/privacy/latest/"):
        assert Client().get(missing).status_code == 404


def test_every_page_links_the_policy_the_terms_and_the_contact_form():
    footer = Client().get("/accounts/login/").content.decode().split("<footer", 1)[1]
    for href in ('href="/legal/privacy/"', 'href="/legal/terms/"', 'href="/support/"'):
        assert href in footer


def test_a_document_can_hold_no_markup_and_a_malformed_header_is_refused():
    text = "---\ntitle: T\nmaterial: false\nsummary: S\n---\n# Hi <script>alert(1)</script>\n\n[x](javascript:alert(1))\n"
    html = documents.parse("privacy", "2030-01-01", text).html()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    for bad_name, bad_text in (
        ("2030-13-01", text),
        ("latest", text),
        ("2030-01-01", "# no header"),
        ("2030-01-01", text.replace("material: false", "material: maybe")),
        ("2030-01-01", text.replace("summary: S\n", "")),
    ):
        with pytest.raises((documents.DocumentError, ValueError)):
            documents.parse("privacy", bad_name, bad_text)


def test_a_material_change_emails_every_earlier_user_once(mailoutbox):
    p = make_personas()
    _joined_long_ago(p.owner, p.member, p.outsider)
    User.objects.filter(id=p.viewer.id).update(is_active=False, date_joined=LONG_AGO)
    newcomer = make_user()  # joined after the versions took effect: nothing to announce

    result = policy_announce(batch_size=2)
    material = documents.material_versions()
    assert {v.document for v in material} == {"privacy", "terms"}
    assert result.emailed == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [p.owner.email, p.member.email, p.outsider.email]
    )
    message = next(m for m in mailoutbox if m.to == [p.owner.email])
    assert message.subject == "[AMS] Changes to our privacy policy and terms of service"
    for version in material:
        assert version.summary in str(message.body)
        assert "http://testserver" not in str(message.body)
        assert version.url in str(message.body)
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert f'href="http://127.0.0.1:8000{material[0].url}"' in str(html)
    assert newcomer.email not in [m.to[0] for m in mailoutbox]
    assert PolicyNotice.objects.filter(user=p.owner, emailed_at__isnull=False).count() == 2

    mailoutbox.clear()
    call_command("policy_announce")
    assert mailoutbox == []


def test_the_notice_shows_until_acknowledged_and_the_acknowledgement_is_recorded():
    user = make_user()
    _joined_long_ago(user)
    client = _client(user)
    page = client.get("/accounts/profile/").content.decode()
    assert page.count('class="policy-notice"') == 2
    privacy = documents.material_versions()[0]
    assert privacy.document == "privacy"

    response = client.post(
        f"/legal/privacy/{privacy.version}/acknowledge/", {"next": "/accounts/profile/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    page = client.get("/accounts/profile/").content.decode()
    assert 'id="policy-notice-privacy"' not in page
    assert 'id="policy-notice-terms"' in page
    notice = PolicyNotice.objects.get(user=user, document="privacy")
    assert notice.version == privacy.version
    assert notice.acknowledged_at is not None
    with user_scope(user.id):
        assert UserAuditEntry.objects.filter(kind="policy.acknowledged").count() == 1

    # Acknowledging again keeps the first time; a link off-site is not followed.
    first = notice.acknowledged_at
    response = client.post(
        f"/legal/privacy/{privacy.version}/acknowledge/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    notice.refresh_from_db()
    assert notice.acknowledged_at == first
    # Someone who acknowledged is not emailed about that version either.
    mail.outbox.clear()
    policy_announce()
    (message,) = mail.outbox
    assert "Terms of service" in str(message.body)
    assert "Privacy policy" not in str(message.body)


def test_a_newcomer_sees_no_notice_and_acknowledging_needs_a_real_version_and_a_session():
    newcomer = make_user()
    page = _client(newcomer).get("/accounts/profile/").content.decode()
    assert 'class="policy-notice"' not in page
    assert _client(newcomer).post("/legal/privacy/1999-01-01/acknowledge/").status_code == 404
    version = documents.material_versions()[0].version
    anonymous = Client().post(f"/legal/privacy/{version}/acknowledge/")
    assert anonymous.status_code == 302
    assert re.match(r"^/accounts/login/", anonymous["Location"])
    assert not PolicyNotice.objects.exists()
