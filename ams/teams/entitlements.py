"""What a team may do now, asked by the layers that sit below billing.

Teams sit below billing (billing's subscriptions belong to a team), yet the team gate refuses
changes while a subscription has lapsed and invitations past the plan's seats. So the question and
its answer's shape live here, and ``ams.billing`` installs the one policy that answers it when the
app registry is ready (``BillingConfig.ready``). Without a policy every question raises: a missing
billing app must never mean "everything is allowed".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from ams.teams.models import Team


class Action(enum.Enum):
    READ = "read"
    WRITE = "write"
    SYNC = "sync"
    CONNECT_ACCOUNT = "connect_account"
    ADD_MARKETPLACE = "add_marketplace"
    INVITE_MEMBER = "invite_member"
    MANAGE_BILLING = "manage_billing"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Why not, in words an owner or member can act on; empty when allowed.
    reason: str = ""
    # Machine-readable: "", "lapsed" or "limit".
    code: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


class Policy(Protocol):
    def __call__(
        self, team: Team, action: Action, *, in_use: int | None = None, now: datetime | None = None
    ) -> Decision: ...


_policy: list[Policy] = []


def policy_install(policy: Policy) -> None:
    """Make ``policy`` the one that answers ``may``; installing again replaces it."""
    _policy[:] = [policy]


def may(
    team: Team, action: Action, *, in_use: int | None = None, now: datetime | None = None
) -> Decision:
    """May ``team`` do ``action`` now? Answered by the installed policy (billing's)."""
    if not _policy:
        raise ImproperlyConfigured(
            "No entitlement policy is installed: is ams.billing in INSTALLED_APPS?"
        )
    return _policy[0](team, action, in_use=in_use, now=now)
