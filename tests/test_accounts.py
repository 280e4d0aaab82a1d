"""Sign-up, verification, sign-in, lockout, reset and profile, through the real views."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from ams.accounts.models import User
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role, Team
from tests.factories import make_user
from tests.production_env import production_env

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 7"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _link(message: mail.EmailMessage, path_fragment: str) -> str:
    match = re.search(
        r"https?://[^\s\"<>]+" + re.escape(path_fragment) + r"[^\s\"<>]*", str(message.body)
    )
    assert match, message.body
    return match.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def signup(client: Client, **overrides: str):
    data = {
        "name": "Ada Seller",
        "email": "ada@example.test",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post("/accounts/signup/", data)


def test_sign_up_verify_and_land_in_your_own_team():
    client = Client()
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="ada@example.test")
    assert user.name == "Ada Seller"
    assert user.password.startswith("argon2")
    # Not signed in until the address is confirmed.
    assert client.get("/").status_code == 302

    assert len(mail.outbox) == 1
    confirmation = mail.outbox[0]
    assert isinstance(confirmation, mail.EmailMultiAlternatives)
    html = str(confirmation.alternatives[0][0])
    assert "Confirm my email address" in html
    link = _link(confirmation, "/accounts/confirm-email/")
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302

    team = Team.objects.get(name="Ada Seller's team")
    with team_scope(team.id):
        assert Membership.objects.get(team=team).user == user
        assert Membership.objects.get(team=team).role == Role.OWNER
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert b"Ada Seller&#x27;s team" in response.content


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "<script>alert(1)</script>"}, "name"),
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"password2": "something else entirely"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"password1": "1234567890123", "password2": "1234567890123"}, "password1"),
        ({"email": "x" * 250 + "@example.test"}, "email"),
    ],
)
def test_a_hostile_sign_up_form_is_refused_and_changes_nothing(overrides, field):
    response = signup(Client(), **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == 0
    assert Team.objects.count() == 0
    assert mail.outbox == []


def test_sign_up_ignores_fields_it_does_not_ask_for():
    signup(Client(), is_staff="1", is_superuser="1", role="owner")
    user = User.objects.get()
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_a_second_sign_up_with_the_same_address_creates_nothing_and_reveals_nothing():
    make_user(email="ada@example.test")
    response = signup(Client())
    assert response.status_code == 302  # the same answer as for a new address
    assert User.objects.count() == 1
    assert Team.objects.count() == 0


def _login(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_ten_failed_logins_lock_the_account_even_against_the_right_password():
    user = make_user(password=PASSWORD)
    client = Client()
    for _ in range(10):
        assert _login(client, user.email, "wrong password!").status_code == 200
    response = _login(Client(), user.email, PASSWORD)
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content
    # The message says how long: what the limit really is.
    assert b"signing in is paused for 15 minutes" in response.content
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"].endswith("/900s/key")


def test_the_lockout_ends_when_the_message_says():
    user = make_user(password=PASSWORD)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(10):
            _login(Client(), user.email, "wrong password!")
        clock.shift(timedelta(minutes=14))
        assert b"Too many failed login attempts" in _login(Client(), user.email, PASSWORD).content
        clock.shift(timedelta(minutes=1, seconds=1))
        client = Client()
        response = _login(client, user.email, PASSWORD)
        assert response.status_code == 302
        assert "_auth_user_id" in client.session


def _login_via_proxy(email: str, password: str, forwarded_for: str):
    """A login as the reverse proxy passes it on: from the proxy's address, the client appended."""
    return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for).post(
        "/accounts/login/", {"login": email, "password": password}
    )


@pytest.mark.parametrize("spoofed", ["", "1.2.3.4, "])
def test_behind_a_proxy_one_client_s_failures_lock_out_that_client_only(settings, spoofed):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    victims = [make_user(password=PASSWORD) for _ in range(10)]
    # An attacker tries one password on ten accounts: the per-account lock never trips, the
    # per-address one does, whatever the attacker puts before the proxy's entry.
    for victim in victims:
        _login_via_proxy(victim.email, "wrong password!", f"{spoofed}203.0.113.9")
    locked = _login_via_proxy(victims[0].email, PASSWORD, f"{spoofed}203.0.113.9")
    assert b"Too many failed login attempts" in locked.content
    # Another client behind the same proxy signs in.
    other = make_user(password=PASSWORD)
    assert _login_via_proxy(other.email, PASSWORD, "198.51.100.7").status_code == 302


def test_nine_failures_do_not_lock_a_real_user_out():
    user = make_user(password=PASSWORD)
    client = Client()
    for _ in range(9):
        _login(client, user.email, "wrong password!")
    assert _login(client, user.email, PASSWORD).status_code == 302


def test_the_admin_has_no_login_form_of_its_own():
    staff = make_user(password=PASSWORD)
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client = Client()
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    # So the lockout of the one login view covers the admin too.
    for _ in range(10):
        _login(client, staff.email, "wrong password!")
    assert b"Too many failed login attempts" in _login(client, staff.email, PASSWORD).content


def test_password_reset_by_email_link():
    user = make_user(password=PASSWORD)
    client = Client()
    client.post("/accounts/password/reset/", {"email": user.email})
    assert len(mail.outbox) == 1
    link = _link(mail.outbox[0], "/accounts/password/reset/key/")
    response = client.get(link)
    assert response.status_code == 302
    new_password = "a brand new passphrase 42"
    response = client.post(
        response["Location"], {"password1": new_password, "password2": new_password}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_password_reset_does_not_reveal_whether_an_address_exists():
    client = Client()
    known = client.post("/accounts/password/reset/", {"email": make_user().email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_profile_corrects_the_name_and_refuses_an_empty_one():
    user = make_user(name="Ada Typo")
    client = Client()
    client.force_login(user)
    assert client.post("/accounts/profile/", {"name": "Ada Lovelace"}).status_code == 302
    user.refresh_from_db()
    assert user.name == "Ada Lovelace"
    response = client.post("/accounts/profile/", {"name": "   "})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.name == "Ada Lovelace"


def test_only_essential_cookies_are_ever_set():
    user = make_user(password=PASSWORD)
    client = Client()
    names: set[str] = set()
    for response in (
        client.get("/accounts/login/"),
        _login(client, user.email, PASSWORD),
        client.get("/", follow=True),
        client.get("/accounts/profile/"),
        client.post("/accounts/profile/", {"name": "New name"}),
        client.get("/accounts/logout/"),
    ):
        names |= set(response.cookies.keys())
        for morsel in response.cookies.values():
            if morsel.value:
                assert morsel["samesite"] == "Lax"
                assert morsel["httponly"] is True
    assert names <= {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}


def test_pages_carry_a_strict_content_security_policy_and_security_headers():
    user = make_user()
    client = Client()
    client.force_login(user)
    for response in (Client().get("/accounts/login/"), client.get("/accounts/profile/")):
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert "object-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in client.get("/accounts/profile/")["Cache-Control"]


def test_check_deploy_reports_no_issue_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR),
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_static_files_build(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--skip-checks"],
        cwd=Path(settings.BASE_DIR),
        env=production_env(STATIC_ROOT=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    # Hashed names for our own assets and the packaged ones, nothing fetched at run time.
    assert {"css/app.css", "vendor/pico/pico.min.css", "vendor/chartjs/chart.umd.min.js"} <= set(
        manifest
    )


def test_the_confirmation_page_says_what_to_do_without_a_contact_that_does_not_exist():
    response = Client().post(
        "/accounts/signup/",
        {
            "name": "Cleo",
            "email": "cleo@example.test",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
    )
    html = response.content.decode()
    assert 'id="verification-sent"' in html
    assert "spam" in html
    assert "sign in again with the same address" in html
    assert "contact us" not in html
