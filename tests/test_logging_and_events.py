"""Logs carry who and where, never a secret; usage events are kept only as long as configured."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ams.core.events import usage_event_record, usage_events_prune
from ams.core.models import UsageEvent
from ams.core.tenancy import team_scope
from config.logging import RedactingFilter, redact_event, redact_text
from tests.factories import Personas

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
