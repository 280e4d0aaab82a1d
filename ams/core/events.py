from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.utils import timezone

from ams.core.models import UsageEvent
from ams.core.tenancy import team_scope

log = structlog.get_logger(__name__)


def usage_event_record(*, team_id: int, user_id: int | None, kind: str, **data: Any) -> None:
    """Record a usage event in the team's history and in the structured log."""
    with team_scope(team_id):
        UsageEvent.objects.create(team_id=team_id, user_id=user_id, kind=kind, data=data)
    log.info(kind, team_id=team_id, user_id=user_id, **data)


def usage_events_prune(*, team_ids: list[int]) -> int:
    """Delete events past the retention period, team by team (row-level security allows no other way)."""
    cutoff = timezone.now() - timedelta(days=settings.USAGE_EVENT_RETENTION_DAYS)
    deleted = 0
    for team_id in team_ids:
        with team_scope(team_id):
            deleted += UsageEvent.objects.filter(team_id=team_id, created_at__lt=cutoff).delete()[0]
    return deleted
