"""Reads of core's own tables: the security audit trail, for its owners and for each person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from ams.core.models import AuditEntry, UserAuditEntry
from ams.core.tenancy import team_scope, user_scope


@dataclass(frozen=True)
class AuditFilter:
    kind: str = ""
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def team_audit_entries(*, team_id: int, filters: AuditFilter) -> QuerySet[AuditEntry]:
    """The team's trail, newest first; to be read inside the team's scope (the view's)."""
    qs = AuditEntry.objects.filter(team_id=team_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.since is not None:
        qs = qs.filter(created_at__gte=_day_start(filters.since))
    if filters.until is not None:
        qs = qs.filter(created_at__lt=_day_start(filters.until + timedelta(days=1)))
    return qs.order_by("-seq")


def team_audit_kinds(*, team_id: int) -> list[str]:
    with team_scope(team_id):
        return list(
            AuditEntry.objects.filter(team_id=team_id)
            .order_by("kind")
            .values_list("kind", flat=True)
            .distinct()
        )


def user_audit_entries(*, user_id: int, limit: int = 50) -> list[UserAuditEntry]:
    """A person's own sign-ins and security changes, newest first (only their scope reads them)."""
    with user_scope(user_id):
        return list(UserAuditEntry.objects.filter(user_id=user_id).order_by("-seq")[:limit])
