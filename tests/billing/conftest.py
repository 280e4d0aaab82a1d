from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ams.billing.fake_stripe import FakeStripe, default_fake
from ams.billing.models import EventStatus, StripeEvent
from ams.billing.services import stripe_event_process
from tests.factories import Personas

WEBHOOK = "/billing/stripe/webhook/"


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    fake = default_fake()
    fake.reset()
    yield fake
    fake.reset()


def post_event(client: Client, fake: FakeStripe, event: dict[str, Any], **sign: Any) -> Any:
    payload, header = fake.sign(event, **sign)
    return client.post(WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def process_received() -> list[str]:
    """Run the processing job for every stored event still waiting, oldest delivery first."""
    ids = list(StripeEvent.objects.filter(status=EventStatus.RECEIVED).order_by("received_at").values_list("id", flat=True))
    return [stripe_event_process(event_id=i) for i in ids]


def deliver(client: Client, fake: FakeStripe, events: list[dict[str, Any]]) -> None:
    for event in events:
        assert post_event(client, fake, event).status_code == 200
    process_received()


def billing_url(p: Personas) -> str:
    return reverse("billing", args=[p.team.slug])


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dumps(value: Any) -> str:
    return json.dumps(value)
