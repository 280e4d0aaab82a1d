"""Report documents the parser refused whole, kept pending until they can be read.

A document without a column AMS needs cannot be fixed by downloading it again: only a change to
the reader can. So it is never counted as read. It is recorded here (``PendingReport``) with its
reason and the version of the reader that refused it, and the syncer of its family tries it
again when that reader's ``PARSER_VERSION`` is newer than the one recorded (a deploy taught it
the format) or when an owner or admin asked for another attempt from the sync page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.sync.models import PendingReport


@dataclass(frozen=True)
class PendingKey:
    """Under which report id a refused document is kept (the first report of it: a window
    requested again gets a new report id, but is the same pending report), the reader's
    version, and the window an order report covers, to request it again."""

    report_id: str
    version: int
    window_start: datetime | None = None
    window_end: datetime | None = None


def record_refused(
    *,
    team_id: int,
    connection_id: int,
    family: str,
    key: PendingKey,
    report_type: str,
    document_id: str,
    reason: str,
    save_cursor: Callable[[], None] | None = None,
) -> None:
    """Keep the refused document pending (or count one more attempt at it), in one transaction
    with ``save_cursor()`` when given: a syncer that moves past it does so only once it is
    recorded."""
    now = timezone.now()
    with team_scope(team_id), transaction.atomic():
        existing = (
            PendingReport.objects.select_for_update()
            .filter(connection_id=connection_id, family=family, report_id=key.report_id)
            .first()
        )
        if existing is None:
            PendingReport.objects.create(
                team_id=team_id,
                connection_id=connection_id,
                family=family,
                report_type=report_type[:80],
                report_id=key.report_id[:80],
                document_id=document_id[:200],
                window_start=key.window_start,
                window_end=key.window_end,
                reason=reason[:500],
                parser_version=key.version,
                first_attempt_at=now,
                last_attempt_at=now,
            )
        else:
            existing.document_id = document_id[:200] or existing.document_id
            existing.reason = reason[:500]
            existing.parser_version = key.version
            existing.attempts += 1
            existing.last_attempt_at = now
            existing.retry_requested = False
            existing.expired = False
            existing.resolved_at = None
            existing.save()
        if save_cursor is not None:
            save_cursor()


def open_reports(*, team_id: int, connection_id: int, family: str) -> list[PendingReport]:
    """The family's documents still pending, oldest first."""
    with team_scope(team_id):
        return list(
            PendingReport.objects.filter(
                connection_id=connection_id, family=family, resolved_at__isnull=True
            ).order_by("first_attempt_at", "id")
        )


def is_due(pending: PendingReport, version: int) -> bool:
    """To be tried again: the reader changed since it refused it, or someone asked. A document
    Amazon no longer has is tried again only when asked (it may have been restored)."""
    if pending.retry_requested:
        return True
    return not pending.expired and pending.parser_version < version


def resolve(*, team_id: int, pending_id: int) -> None:
    """Read at last: no longer pending (kept, resolved, for the record)."""
    now = timezone.now()
    with team_scope(team_id):
        PendingReport.objects.filter(id=pending_id).update(
            resolved_at=now, last_attempt_at=now, attempts=F("attempts") + 1, retry_requested=False
        )


def mark_expired(*, team_id: int, pending_id: int, version: int) -> None:
    """Amazon no longer has the document: it stays listed, saying so."""
    now = timezone.now()
    with team_scope(team_id):
        PendingReport.objects.filter(id=pending_id).update(
            expired=True,
            retry_requested=False,
            parser_version=version,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
