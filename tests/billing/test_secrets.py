"""No Stripe secret in a page or a log line."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ams.billing.models import Subscription
from ams.core.tenancy import team_scope
from config.logging import redact_text
from tests.billing.conftest import WEBHOOK, as_user, deliver

pytestmark = pytest.mark.django_db


def test_stripe_secrets_appear_in_no_page_and_no_log(personas, fake, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = [settings.STRIPE_API_KEY, settings.STRIPE_WEBHOOK_SECRET]
    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(
            trial_end=timezone.now() + timedelta(hours=1)
        )
    owner = as_user(personas.owner)
    pages = [owner.get(reverse("billing", args=[personas.team.slug]))]
    subscribe = owner.post(
        reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "starter"}
    )
    deliver(Client(), fake, fake.complete_checkout(subscribe["Location"].rsplit("/", 1)[1]))
    pages += [
        owner.get(reverse("billing", args=[personas.team.slug])),
        owner.get(reverse("team_dashboard", args=[personas.team.slug])),
        Client().post(
            WEBHOOK, data="{}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=bad"
        ),
    ]
    for response in pages:
        for secret in secrets:
            assert secret.encode() not in response.content
    for secret in secrets:
        assert secret not in caplog.text
    # The API key went to the fake as a bearer token, so it was in play, not merely absent.
    assert fake.requests[0].headers["authorization"] == f"Bearer {settings.STRIPE_API_KEY}"


def test_the_log_redactor_knows_stripe_secrets():
    assert "sk_live_abc123" not in redact_text("key sk_live_abc123 used")
    assert "whsec_abc123" not in redact_text("secret whsec_abc123")
