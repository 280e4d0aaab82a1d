"""Reads for the sync status page and for every data page's "last synced" line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db.models import CharField, DateTimeField, OuterRef, Subquery, Value
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.sync import coverage
from ams.sync.coverage import connection_history
from ams.sync.models import (
    Family,
    PendingReport,
    SettlementUpload,
    SyncRun,
    SyncState,
    SyncStatus,
)
from ams.sync.services import REAUTHORIZE_REASON
from ams.sync.tasks import lock_for
from ams.teams.models import Team


class Remedy(StrEnum):
    """What the seller can do about a family's state, shown beside it."""

    NONE = "none"
    # The connection's authorization was revoked or expired: re-authorize it.
    REAUTHORIZE = "reauthorize"
    # A failed run that AMS tries again by itself, at ``FamilyRow.retry_at``.
    RETRY_SCHEDULED = "retry_scheduled"
    # A failed run with no further attempt queued: "Sync now" starts one.
    SYNC_NOW = "sync_now"
    # Reports AMS could not read: "Try again" on each, listed with the connection.
    PENDING_REPORTS = "pending_reports"
    # Billing paused the team's sync (the reason says why).
    BILLING = "billing"


@dataclass(frozen=True)
class FamilyRow:
    """One data family of one connection, as the sync page shows it."""

    family: Family
    state: SyncState | None
    # The latest run (running or ended), and the latest that ended (the same when none runs).
    run: SyncRun | None = None
    last_finished: SyncRun | None = None
    # The history the connection holds: from, and through (None where the family keeps none).
    history_from: datetime | None = None
    history_through: datetime | None = None
    # When the queued job of a failed run starts again (Amazon throttling, an outage).
    retry_at: datetime | None = None
    remedy: Remedy = Remedy.NONE
    pending_reports: int = 0

    @property
    def status(self) -> SyncStatus:
        return self.state.status_enum if self.state else SyncStatus.NEVER

    @property
    def is_active(self) -> bool:
        return self.status in (SyncStatus.QUEUED, SyncStatus.RUNNING)

    @property
    def running_run(self) -> SyncRun | None:
        """The run under way, whose counters move as it works."""
        if self.status == SyncStatus.RUNNING and self.run is not None and not self.run.finished_at:
            return self.run
        return None

    @property
    def reason(self) -> str:
        return self.state.reason if self.state else ""

    @property
    def history_complete(self) -> bool:
        """The backfill has read all the history it reads."""
        return connection_history(self.family, self.state.cursor if self.state else {})[1]


@dataclass(frozen=True)
class ConnectionRow:
    connection: SellerConnection
    families: list[FamilyRow]
    # Report documents AMS could not read, still pending, oldest first.
    pending: list[PendingReport]

    @property
    def is_active(self) -> bool:
        return any(f.is_active for f in self.families)

    @property
    def needs_reauthorization(self) -> bool:
        return self.connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION


def _remedy(
    connection: SellerConnection,
    state: SyncState | None,
    *,
    retry_at: datetime | None,
    retry_queued: bool,
    pending_reports: int,
) -> Remedy:
    status = state.status_enum if state else SyncStatus.NEVER
    if connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION or (
        state is not None and state.reason == REAUTHORIZE_REASON
    ):
        return Remedy.REAUTHORIZE
    if status == SyncStatus.FAILED:
        return Remedy.RETRY_SCHEDULED if retry_queued and retry_at else Remedy.SYNC_NOW
    if status == SyncStatus.PAUSED and state is not None and state.reason:
        return Remedy.BILLING
    if pending_reports:
        return Remedy.PENDING_REPORTS
    return Remedy.NONE


def _queued_jobs(connection_ids: list[int]) -> dict[tuple[int, str], datetime | None]:
    """The sync jobs waiting to run for these connections, by (connection, family): when each
    is scheduled (None: as soon as a worker is free). A failed run's retry is one of them."""
    locks = {lock_for(c, f): (c, f.value) for c in connection_ids for f in Family}
    queued: dict[tuple[int, str], datetime | None] = {}
    for lock, scheduled in ProcrastinateJob.objects.filter(
        lock__in=list(locks), status="todo"
    ).values_list("lock", "scheduled_at"):
        queued[locks[lock]] = scheduled
    return queued


def sync_overview(*, team: Team) -> list[ConnectionRow]:
    """Every live connection of the team with the state of each data family: the run under
    way and its counters, the last run's rows added and changed, the history held, and what
    to do about a failure. A fixed number of queries, whatever the number of runs kept."""
    connections = list(
        SellerConnection.objects.filter(team=team, disconnected_at__isnull=True).order_by(
            "created_at", "id"
        )
    )
    ids = [c.id for c in connections]
    runs = SyncRun.objects.filter(
        team=team, connection_id=OuterRef("connection_id"), family=OuterRef("family")
    ).order_by("-started_at", "-id")
    first_run = (
        SyncRun.objects.filter(
            team=team, connection_id=OuterRef("connection_id"), family=OuterRef("family")
        )
        .order_by("started_at", "id")
        .values("started_at")[:1]
    )
    states: dict[tuple[int, str], SyncState] = {
        (s.connection_id, s.family): s
        for s in SyncState.objects.filter(team=team, connection_id__in=ids).annotate(
            latest_run=Subquery(runs.values("id")[:1]),
            finished_run=Subquery(runs.filter(finished_at__isnull=False).values("id")[:1]),
            first_run_at=Subquery(first_run, output_field=DateTimeField()),
        )
    }
    run_ids = {
        run_id
        for s in states.values()
        for run_id in (getattr(s, "latest_run", None), getattr(s, "finished_run", None))
        if run_id is not None
    }
    by_id = {r.id: r for r in SyncRun.objects.filter(team=team, id__in=run_ids)}
    pending: dict[int, list[PendingReport]] = {}
    for report in PendingReport.objects.filter(
        team=team, connection_id__in=ids, resolved_at__isnull=True
    ).order_by("first_attempt_at", "id"):
        pending.setdefault(report.connection_id, []).append(report)
    queued = _queued_jobs(ids)

    def row(connection: SellerConnection, family: Family) -> FamilyRow:
        state = states.get((connection.id, family.value))
        key = (connection.id, family.value)
        cursor = dict(state.cursor) if state is not None else {}
        kept = sum(1 for p in pending.get(connection.id, []) if p.family == family.value)
        retry_at = queued.get(key)
        return FamilyRow(
            family,
            state,
            run=by_id.get(getattr(state, "latest_run", None) or 0),
            last_finished=by_id.get(getattr(state, "finished_run", None) or 0),
            history_from=coverage.history_from(
                family,
                cursor,
                completed=state.last_completed_at if state else None,
                first_run=getattr(state, "first_run_at", None),
            ),
            history_through=coverage.history_through(family, cursor),
            retry_at=retry_at,
            remedy=_remedy(
                connection,
                state,
                retry_at=retry_at,
                retry_queued=key in queued,
                pending_reports=kept,
            ),
            pending_reports=kept,
        )

    return [
        ConnectionRow(c, [row(c, f) for f in Family], pending.get(c.id, [])) for c in connections
    ]


def last_synced_by_family(*, team: Team) -> dict[str, datetime | None]:
    """``last_synced`` of every data family (by its value), in one query."""
    live: set[int] = set()
    moments: dict[str, dict[int, datetime | None]] = {family.value: {} for family in Family}
    # The live connections, then their states: a connection without a state for a family has
    # never completed it.
    connections = (
        SellerConnection.objects.filter(team=team, disconnected_at__isnull=True)
        .annotate(
            no_family=Value(None, output_field=CharField()),
            never=Value(None, output_field=DateTimeField()),
        )
        .values_list("id", "no_family", "never")
    )
    states = SyncState.objects.filter(
        team=team, connection__disconnected_at__isnull=True
    ).values_list("connection_id", "family", "last_completed_at")
    rows = connections.union(states, all=True)
    for connection_id, family, completed in rows:
        live.add(connection_id)
        if family is not None:
            moments.setdefault(family, {})[connection_id] = completed
    result: dict[str, datetime | None] = {}
    for family, by_connection in moments.items():
        found = [by_connection.get(c) for c in live]
        result[family] = (
            min(m for m in found if m is not None)
            if live and all(m is not None for m in found)
            else None
        )
    return result


def last_synced(*, team: Team, family: Family) -> datetime | None:
    """When ``family`` last completed for every live connection of the team: the oldest of them,
    so a page never claims fresher data than its stalest source. None if one never completed."""
    return last_synced_by_family(team=team)[family.value]


def settlement_uploads(*, team: Team, limit: int = 50) -> list[SettlementUpload]:
    """The team's latest settlement uploads, newest first."""
    return list(
        SettlementUpload.objects.filter(team=team)
        .select_related("connection")
        .order_by("-created_at", "-id")[:limit]
    )
