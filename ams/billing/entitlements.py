"""The one place that answers "may this team do X now?".

Billing never takes away what a team already has: reading is always allowed, and nothing is
deleted when a trial or subscription ends (deletion follows the privacy rules only). What stops
is change: edits, sync and growth (accounts, marketplaces, seats) until the owner resumes.

Callers are inside the team's scope (a ``@team_view`` or a ``@team_task``). ``Action`` and
``Decision`` are defined in ``ams.teams.entitlements``, which asks this module's ``may`` through
the policy installed by ``BillingConfig.ready``, so teams never import billing.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ams.billing.selectors import in_good_standing, subscription_for, subscription_plan
from ams.teams.entitlements import ALLOWED, Action, Decision
from ams.teams.models import Team

__all__ = ["ALLOWED", "Action", "Decision", "history_months", "may"]


# Actions capped by a plan limit, and the limit that caps each.
_LIMIT_OF = {
    Action.CONNECT_ACCOUNT: "seller_accounts",
    Action.ADD_MARKETPLACE: "marketplaces",
    Action.INVITE_MEMBER: "seats",
}
_ALWAYS = frozenset({Action.READ, Action.MANAGE_BILLING})


LAPSED = Decision(
    False,
    "This team's subscription has ended, so AMS is read-only and sync is paused. "
    "Nothing was deleted: the owner can resume on the billing page.",
    "lapsed",
)


def may(
    team: Team, action: Action, *, in_use: int | None = None, now: datetime | None = None
) -> Decision:
    """May ``team`` do ``action`` now?

    ``in_use`` is how many of the limited thing the team has already (connected seller accounts
    for CONNECT_ACCOUNT, marketplaces for ADD_MARKETPLACE, members plus open invitations for
    INVITE_MEMBER); the action is allowed while it is below the plan's limit.

    For the sync jobs: call ``may(team, Action.SYNC)`` at the start of every run, inside the
    team's scope, and when it is refused skip the run without error (log the ``code``). Sync
    pauses when a subscription ends and resumes by itself on the next scheduled run once the
    team pays again; nothing has to be re-enabled.
    """
    if action in _ALWAYS:
        return ALLOWED
    subscription = subscription_for(team)
    if not in_good_standing(subscription, now or timezone.now()):
        return LAPSED
    limit_name = _LIMIT_OF.get(action)
    if limit_name is None:
        return ALLOWED
    if in_use is None:
        raise TypeError(f"may(team, {action}) needs in_use=<how many the team has now>")
    plan = subscription_plan(subscription)
    limit: int = getattr(plan.limits, limit_name)
    if in_use >= limit:
        return Decision(
            False,
            f"The {plan.name} plan includes {limit} {limit_name.replace('_', ' ')}. "
            "The owner can change the plan on the billing page.",
            "limit",
        )
    return ALLOWED


def history_months(team: Team) -> int:
    """How many months of history the team's plan keeps (for sync backfill and retention)."""
    return subscription_plan(subscription_for(team)).limits.history_months
