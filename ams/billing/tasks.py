"""Billing jobs: thin entry points around the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from procrastinate import RetryStrategy

from ams.billing import emails, services
from ams.core.jobs import app, team_task
from ams.teams.models import Team

log = structlog.get_logger(__name__)


# Not a team_task: a webhook arrives without a team. The service finds the team in the event's
# metadata and enters its scope itself. Retries cover Stripe or the database being briefly away;
# the event row stays "received" until a run succeeds, so nothing is lost or done twice.
@app.task(
    queue="billing", retry=RetryStrategy(max_attempts=8, exponential_wait=2), pass_context=False
)
def process_stripe_event(event_id: str) -> None:
    close_old_connections()
    try:
        status = services.stripe_event_process(event_id=event_id)
    finally:
        close_old_connections()
    log.info("stripe.event_processed", event_id=event_id, status=status)


@team_task(queue="billing", retry=RetryStrategy(max_attempts=6, exponential_wait=10))
def send_billing_email(*, team_id: int, kind: str, to: list[str], data: dict[str, Any]) -> None:
    emails.dispatch(team=Team.objects.get(id=team_id), kind=kind, to=to, data=data)


@team_task(queue="billing", retry=RetryStrategy(max_attempts=3))
def send_trial_reminder(*, team_id: int) -> None:
    services.trial_reminder_send(team=Team.objects.get(id=team_id))


@app.periodic(cron="7 * * * *")
@app.task(queue="billing", queueing_lock="billing_trial_reminders", pass_context=False)
def trial_reminders(timestamp: int) -> None:
    """Hourly: a job per team still young enough to be on its first trial; each decides in its scope."""
    # A card-less trial ends TRIAL_DAYS after the team was created, so older teams need no look.
    since = timezone.now() - timedelta(days=settings.TRIAL_DAYS + 1)
    for team_id in Team.objects.filter(created_at__gte=since).values_list("id", flat=True):
        send_trial_reminder.defer(team_id=team_id)


@team_task(queue="billing", retry=RetryStrategy(max_attempts=3, exponential_wait=60))
def reconcile_subscription(*, team_id: int) -> None:
    services.subscription_reconcile(team=Team.objects.get(id=team_id))


@app.periodic(cron="41 4 * * *")
@app.task(queue="billing", queueing_lock="billing_reconcile", pass_context=False)
def reconcile_subscriptions(timestamp: int) -> None:
    """Nightly: compare every team's subscription with Stripe (a job per team, each in its scope)."""
    for team_id in Team.objects.values_list("id", flat=True):
        reconcile_subscription.defer(team_id=team_id)
