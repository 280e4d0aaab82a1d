"""A team's retention windows: set by its owner, enforced every night (``ams.core.retention``)."""

from __future__ import annotations

from datetime import datetime

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ams.core.audit_log import audit_record
from ams.core.retention import AMAZON_MONTHS, FINANCIAL_MAX_MONTHS, retention_enforce
from ams.teams.models import Membership, Role, Team

log = structlog.get_logger(__name__)

MIN_MONTHS = 3


@transaction.atomic
def team_retention_set(
    *,
    team: Team,
    actor: Membership,
    months: int,
    financial_months: int | None,
    reason: str,
) -> Team:
    """The owner's choice: Amazon data for ``months`` (at most 18), financial records for
    ``financial_months`` where tax law requires longer, with the reason stated."""
    if actor.role_enum is not Role.OWNER:
        raise PermissionDenied("only the owner sets how long data is kept")
    if not MIN_MONTHS <= months <= AMAZON_MONTHS:
        raise ValidationError(
            f"Amazon data is kept between {MIN_MONTHS} and {AMAZON_MONTHS} months "
            f"({AMAZON_MONTHS} is the longest Amazon allows)."
        )
    reason = reason.strip()
    longer = financial_months is not None and financial_months > months
    if longer:
        assert financial_months is not None
        if financial_months > FINANCIAL_MAX_MONTHS:
            raise ValidationError(
                f"Financial records are kept at most {FINANCIAL_MAX_MONTHS} months."
            )
        if len(reason) < 10:
            raise ValidationError(
                "Say which law requires keeping financial records longer (for example "
                "“§ 147 AO: 10 years for accounting records”)."
            )
    team = Team.objects.select_for_update().get(id=team.id)
    team.retention_months = months
    team.financial_retention_months = financial_months if longer else None
    team.financial_retention_reason = reason if longer else ""
    team.financial_retention_set_by_id = actor.user_id if longer else None
    team.financial_retention_set_at = timezone.now() if longer else None
    team.save(
        update_fields=[
            "retention_months",
            "financial_retention_months",
            "financial_retention_reason",
            "financial_retention_set_by",
            "financial_retention_set_at",
        ]
    )
    audit_record(
        team_id=team.id,
        actor_id=actor.user_id,
        kind="retention.set",
        months=months,
        financial_months=team.financial_retention_months,
        reason=team.financial_retention_reason,
    )
    return team


def team_retention_run(*, team_id: int, now: datetime | None = None) -> dict[str, int]:
    """Delete the team's rows older than its windows, and record how many went."""
    team = Team.objects.get(id=team_id)
    deleted = retention_enforce(
        team_id=team_id, window=team.retention_window, now=now or timezone.now()
    )
    audit_record(
        team_id=team_id,
        actor_id=None,
        kind="retention.run",
        months=team.retention_months,
        financial_months=team.retention_window.financial_months,
        rows_deleted=deleted,
    )
    return deleted
