"""Logs carry who and where, never a secret; usage events are kept only as long as configured."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from ams.core.events import usage_event_record, usage_events_prune
from ams.core.models import UsageEvent
from ams.core.tenancy import team_scope
from config.logging import RedactingFilter, redact_event, redact_text
from tests.factories import Personas, make_user

SECRETS = [
    "Atzr|IwEBIA-refresh-token-value-0123456789abcdef",
    "Atza|IwEBIA-access-token-value-0123456789abcdef",
    "amzn1.oa2-cs.v1.0123456789abcdef0123456789abcdef",
    "sk_live_0123456789abcdefghij",
    "whsec_0123456789abcdefghijABCDEFG=",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_secrets_are_redacted_from_text(secret):
    assert secret not in redact_text(f"calling with {secret} now")


def test_secrets_under_sensitive_keys_and_in_query_strings_are_redacted():
    event = redact_event(
        None,
        "info",
        {
            "event": "callback",
            "password": "hunter2hunter2",
            "refresh_token": "anything at all",
            "request": "GET /amazon/callback/?state=abc123&spapi_oauth_code=ANxyz&selling_partner_id=A1",
            "nested": {"client_secret": "s3cret", "ok": "fine"},
            "code": 200,
        },
    )
    rendered = json.dumps(event)
    for leaked in ("hunter2hunter2", "anything at all", "ANxyz", "abc123", "s3cret"):
        assert leaked not in rendered
    assert event["code"] == 200
    assert event["nested"]["ok"] == "fine"
    assert "selling_partner_id=A1" in event["request"]


def test_standard_library_records_are_scrubbed_too():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (SECRETS[0],), None)
    RedactingFilter().filter(record)
    assert SECRETS[0] not in record.getMessage()


@pytest.mark.django_db
def test_request_logs_carry_request_user_and_team(personas: Personas, caplog):
    client = Client()
    client.force_login(personas.member)
    caplog.set_level(logging.INFO, logger="django_structlog")
    client.get(f"/t/{personas.team.slug}/members/")
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    finished = [e for e in events if e.get("event") == "request_finished"]
    assert finished
    assert finished[0]["request_id"]
    assert finished[0]["user_id"] == personas.member.id
    assert finished[0]["team_id"] == personas.team.id


@pytest.mark.django_db
def test_usage_events_are_pruned_after_the_retention_period(personas: Personas, settings):
    settings.USAGE_EVENT_RETENTION_DAYS = 30
    team_ids = [personas.team.id, personas.outsider_team.id]
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        usage_event_record(team_id=personas.team.id, user_id=personas.owner.id, kind="old.event")
        usage_event_record(
            team_id=personas.outsider_team.id, user_id=personas.outsider.id, kind="old.event"
        )
    usage_event_record(team_id=personas.team.id, user_id=personas.owner.id, kind="new.event")
    deleted = usage_events_prune(team_ids=team_ids)
    assert deleted == 2
    for team_id in team_ids:
        with team_scope(team_id):
            kinds = set(UsageEvent.objects.values_list("kind", flat=True))
            assert "old.event" not in kinds
    with team_scope(personas.team.id):
        assert UsageEvent.objects.filter(kind="new.event").count() == 1


# --- The logs of whole flows -----------------------------------------------------------------------


@pytest.fixture
def written_logs() -> Iterator[io.StringIO]:
    """What the product's log handler writes (after its redaction), captured instead of printed."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    handlers = [h for h in handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    assert handlers, "the product's console handler is not installed"
    stream = io.StringIO()
    previous = [h.setStream(stream) for h in handlers]
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logging.getLogger().setLevel(level)
        for handler, old in zip(handlers, previous, strict=True):
            handler.setStream(old)


def _path_in(message: mail.EmailMessage, fragment: str) -> str:
    match = re.search(
        r"https?://[^/\s]+(" + re.escape(fragment) + r"[^\s\"<>]*)", str(message.body)
    )
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_sign_up_reset_invite_and_connect_leave_no_key_in_the_logs(
    written_logs, personas: Personas
):
    from tests.test_accounts import PASSWORD, signup
    from tests.test_teams import client_for, invite

    secrets: list[str] = []
    client = Client()
    signup(client, email="log@example.test")
    confirm = _path_in(mail.outbox[-1], "/accounts/confirm-email/")
    secrets.append(confirm.rstrip("/").rsplit("/", 1)[1])
    client.get(confirm)
    client.post(confirm)

    Client().post("/accounts/password/reset/", {"email": "log@example.test"})
    reset = _path_in(mail.outbox[-1], "/accounts/password/reset/key/")
    secrets.append(reset.rstrip("/").rsplit("/", 1)[1].split("-", 1)[1])
    Client().get(reset)

    invitation = invite(personas, "invitee@example.test")
    secrets.append(invitation.rstrip("/").rsplit("/", 1)[1])
    client_for(make_user(email="invitee@example.test", password=PASSWORD)).get(invitation)

    # Amazon's callback: the code and state travel in the query string (refused here, as forged).
    client_for(personas.owner).get(
        "/amazon/callback/",
        {
            "state": "state-0123456789abcdef",
            "spapi_oauth_code": "RHcode0123456789",
            "selling_partner_id": "A1",
        },
    )
    secrets += ["state-0123456789abcdef", "RHcode0123456789"]

    written = written_logs.getvalue()
    assert "/accounts/confirm-email/" in written  # the flows were logged, and
    assert "/amazon/callback/" in written
    for secret in secrets:
        assert secret not in written, secret  # none of their keys was


def test_the_access_log_redacts_what_the_request_line_carries():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from config.gunicorn_logging import RedactingLogger

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/amazon/callback/?state=s3cr3t-state&spapi_oauth_code=RHc0de&selling_partner_id=A1",
        "PATH_INFO": "/accounts/confirm-email/MQ:1vX:k3y/",
        "QUERY_STRING": "state=s3cr3t-state&spapi_oauth_code=RHc0de",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://ams.example.com/invitations/abcdefghijklmnopqrstuvwxyz0123/",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = RedactingLogger(Config()).atoms(
        response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1)
    )
    written = json.dumps(atoms)
    for secret in ("s3cr3t-state", "RHc0de", "MQ:1vX:k3y", "abcdefghijklmnopqrstuvwxyz0123"):
        assert secret not in written
    assert "selling_partner_id=A1" in atoms["r"]
