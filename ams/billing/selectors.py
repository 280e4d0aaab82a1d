"""Reads of a team's billing state. Callers are inside the team's scope (a team view or a team job)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from ams.billing.models import Status, Subscription
from ams.billing.plans import Plan, plan_by_key
from ams.teams.models import Membership, Role, Team

# Stripe keeps retrying a failed payment while the subscription is past due, so the team keeps
# working meanwhile; these statuses mean the subscription has ended or never started.
LAPSED_STATUSES = frozenset(
    {Status.CANCELED, Status.UNPAID, Status.INCOMPLETE_EXPIRED, Status.PAUSED}
)
PAID_STATUSES = frozenset({Status.ACTIVE, Status.TRIALING, Status.PAST_DUE})
TRIAL_ENDING_WITHIN = timedelta(days=3)


def plans() -> tuple[Plan, ...]:
    return tuple(settings.BILLING_PLANS)


def default_plan() -> Plan:
    """The plan a new team's trial runs on: the most generous one, so a trial shows the whole
    product. From checkout on, the chosen plan's limits apply; what the team already has stays."""
    return max(
        plans(),
        key=lambda p: (
            p.limits.seller_accounts,
            p.limits.marketplaces,
            p.limits.seats,
            p.limits.history_months,
        ),
    )


def subscription_for(team: Team) -> Subscription:
    """The team's subscription row, or, for a team that predates billing, the trial it would have had.

    The unsaved default means no read ever has to write; services create the row when they need it.
    """
    subscription = Subscription.objects.filter(team=team).first()
    if subscription is None:
        subscription = Subscription(
            team=team,
            plan=default_plan().key,
            status=Status.TRIAL,
            trial_end=team.created_at + timedelta(days=settings.TRIAL_DAYS),
        )
    return subscription


def subscription_plan(subscription: Subscription) -> Plan:
    return plan_by_key(plans(), subscription.plan) or default_plan()


def in_good_standing(subscription: Subscription, now: datetime | None = None) -> bool:
    """True while the team has paid, or its trial has not run out."""
    now = now or timezone.now()
    if subscription.status in PAID_STATUSES:
        return True
    if subscription.status in (Status.TRIAL, Status.INCOMPLETE):
        # An incomplete first payment does not cut short a trial that is still running.
        return subscription.trial_end is not None and subscription.trial_end > now
    return False


def payment_failed(subscription: Subscription) -> bool:
    """The last payment was declined and not paid since: Stripe is retrying, or gave up."""
    return subscription.payment_failed_at is not None or subscription.status in (
        Status.PAST_DUE,
        Status.UNPAID,
    )


def trial_days_left(subscription: Subscription, now: datetime | None = None) -> int | None:
    if subscription.status not in (Status.TRIAL, Status.TRIALING) or subscription.trial_end is None:
        return None
    seconds = (subscription.trial_end - (now or timezone.now())).total_seconds()
    # "Ends in 1 day" until the very last second, then 0.
    return max(0, -int(-seconds // 86400))


@dataclass(frozen=True)
class Banner:
    kind: str  # trial_ending | payment_failed | lapsed
    text: str
    action_label: str | None
    action_url: str | None


def billing_banner(
    team: Team, membership: Membership, now: datetime | None = None
) -> Banner | None:
    now = now or timezone.now()
    subscription = subscription_for(team)
    is_owner = membership.role_enum is Role.OWNER
    url = reverse("billing", args=[team.slug]) if is_owner else None
    if not in_good_standing(subscription, now):
        text = "This team's subscription has ended: AMS is read-only and sync is paused. Nothing was deleted."
        if not is_owner:
            text += " Ask the team's owner to resume billing."
        return Banner("lapsed", text, "Billing: resume" if is_owner else None, url)
    if payment_failed(subscription):
        text = "The last payment for this team failed. Stripe will retry it."
        if not is_owner:
            text += " The team's owner can update the card."
        return Banner("payment_failed", text, "Update the card" if is_owner else None, url)
    days = trial_days_left(subscription, now)
    if (
        subscription.status == Status.TRIAL
        and days is not None
        and subscription.trial_end is not None
        and subscription.trial_end - now <= TRIAL_ENDING_WITHIN
    ):
        text = f"The free trial ends in {days} day{'s' if days != 1 else ''}."
        if not is_owner:
            text += " The team's owner can subscribe to keep things running."
        return Banner("trial_ending", text, "Subscribe" if is_owner else None, url)
    return None
