"""Plans and keys from the environment; the billing jobs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.billing import tasks
from ams.billing.models import EventStatus, Status, StripeEvent, Subscription
from ams.billing.plans import DEFAULT_PLANS, parse_plans
from ams.billing.services import stripe_event_process
from ams.core.tenancy import team_scope
from ams.teams.models import Team
from config.env import Env
from tests.billing.conftest import post_event


def test_the_default_plans():
    plans = parse_plans(None)
    assert [p.key for p in plans] == ["starter", "growth", "scale"]
    assert plans[0].price_id == "price_starter_monthly"
    assert plans[0].limits.seller_accounts == 1


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        json.dumps(
            [
                {
                    **DEFAULT_PLANS[0],
                    "limits": {
                        "seller_accounts": 0,
                        "marketplaces": 1,
                        "seats": 1,
                        "history_months": 1,
                    },
                }
            ]
        ),
        json.dumps([DEFAULT_PLANS[0], DEFAULT_PLANS[0]]),
        json.dumps([{**DEFAULT_PLANS[0], "amount": 29.999}]),
    ],
)
def test_a_malformed_plan_list_is_refused_at_start_up(raw):
    with pytest.raises(ValueError, match="BILLING_PLANS"):
        parse_plans(raw)


def test_production_requires_the_stripe_keys(monkeypatch):
    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ValueError, match="STRIPE_API_KEY is required") as error:
        Env()
    assert "STRIPE_WEBHOOK_SECRET is required" in str(error.value)
    monkeypatch.setenv("STRIPE_API_BASE", "inprocess")
    with pytest.raises(ValueError, match="never the local fake"):
        Env()


@pytest.mark.django_db
def test_the_hourly_reminder_job_looks_only_at_teams_young_enough_to_be_on_trial(personas):
    Team.objects.filter(id=personas.outsider_team.id).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    tasks.trial_reminders(timestamp=0)
    jobs = ProcrastinateJob.objects.filter(task_name="ams.billing.tasks.send_trial_reminder")
    assert [j.args["team_id"] for j in jobs] == [personas.team.id]


@pytest.mark.django_db(transaction=True)
def test_the_reminder_jobs_run_through_the_worker_in_their_teams_scope(personas, mailoutbox):
    from procrastinate.contrib.django import app

    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(
            trial_end=timezone.now() + timedelta(days=2)
        )
    tasks.trial_reminders(timestamp=0)
    tasks.trial_reminders(timestamp=1)
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=["billing"], wait=False, install_signal_handlers=False, listen_notify=False
        )
    billing_jobs = ProcrastinateJob.objects.filter(queue_name="billing")
    assert billing_jobs.count() >= 4
    assert set(billing_jobs.values_list("status", flat=True)) == {"succeeded"}
    # A job per team per tick, one reminder: team A's, once.
    assert [m.to for m in mailoutbox] == [[personas.owner.email]]


@pytest.mark.django_db
def test_a_processing_failure_leaves_the_event_to_be_retried(personas, fake):
    from ams.billing.services import checkout_start
    from ams.teams.models import Membership, Role

    with team_scope(personas.team.id):
        owner = Membership.objects.select_related("user").get(team=personas.team, role=Role.OWNER)
    page = checkout_start(
        team=personas.team, actor=owner, plan_key="starter", return_url="http://testserver/b/"
    )
    completed = fake.complete_checkout(page.id)[0]
    assert post_event(Client(), fake, completed).status_code == 200
    # Stripe is away when the job asks for the subscription: the job fails and will be retried.
    with (
        override_settings(STRIPE_API_BASE="http://127.0.0.1:9"),
        pytest.raises(Exception, match="Stripe"),
    ):
        stripe_event_process(event_id=completed["id"])
    assert StripeEvent.objects.get(id=completed["id"]).status == EventStatus.RECEIVED
    # The retry succeeds and applies the state once.
    assert stripe_event_process(event_id=completed["id"]) == EventStatus.PROCESSED
    with team_scope(personas.team.id):
        assert Subscription.objects.get(team=personas.team).status == Status.TRIALING
