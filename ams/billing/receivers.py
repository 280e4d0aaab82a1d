"""Billing's reactions to the rest of AMS, kept here so teams need not know billing exists."""

from __future__ import annotations

from typing import Any

import structlog
from anymail.signals import AnymailTrackingEvent, tracking
from django.db.models.signals import post_save
from django.dispatch import receiver

from ams.billing import services
from ams.teams.deletion import team_purging
from ams.teams.models import Team

log = structlog.get_logger(__name__)


@receiver(post_save, sender=Team, dispatch_uid="billing.trial_for_new_team")
def _start_trial(
    sender: type[Team], instance: Team, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    # In the same transaction as the team: a team never exists without its trial.
    if created and not raw:
        services.subscription_start_trial(team=instance)


@receiver(tracking, dispatch_uid="billing.email_suppression")
def _suppress_bounces(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    if event.event_type in ("bounced", "complained", "rejected") and event.recipient:
        services.email_suppress(email=event.recipient, reason=event.event_type)
        log.info("email.suppressed", reason=event.event_type, esp=esp_name)


@receiver(team_purging, dispatch_uid="billing.forget_deleted_team")
def _forget(sender: Any, team_id: int, **kwargs: Any) -> None:
    services.team_billing_forget(team_id=team_id)
