from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.billing import emails
from ams.billing.models import EventStatus, StripeEvent
from ams.billing.services import stripe_event_process
from ams.core.tenancy import team_scope
from ams.teams.models import Team
from devtools.fake_stripe import FakeStripe, default_fake
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
    return client.post(
        WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def process_received() -> list[str]:
    """Run the processing job for every stored event still waiting, oldest delivery first."""
    ids = list(
        StripeEvent.objects.filter(status=EventStatus.RECEIVED)
        .order_by("received_at")
        .values_list("id", flat=True)
    )
    return [stripe_event_process(event_id=i) for i in ids]


def run_email_jobs() -> int:
    """Run the billing email jobs still waiting, as the worker would (without its connection handling)."""
    jobs = ProcrastinateJob.objects.filter(
        task_name="ams.billing.tasks.send_billing_email", status="todo"
    ).order_by("id")
    ran = 0
    for job in jobs:
        args = dict(job.args)
        team_id = int(args.pop("team_id"))
        with team_scope(team_id):
            emails.dispatch(team=Team.objects.get(id=team_id), **args)
        ProcrastinateJob.objects.filter(id=job.id).update(status="succeeded")
        ran += 1
    return ran


def deliver(client: Client, fake: FakeStripe, events: list[dict[str, Any]]) -> None:
    """POST the events as Stripe would, then run the jobs they deferred."""
    for event in events:
        assert post_event(client, fake, event).status_code == 200
    process_received()
    run_email_jobs()


def billing_url(p: Personas) -> str:
    return reverse("billing", args=[p.team.slug])


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dumps(value: Any) -> str:
    return json.dumps(value)
