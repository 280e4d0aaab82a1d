"""Reads for the sync status page and for every data page's "last synced" line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, DateTimeField, Value

from ams.amazon.models import SellerConnection
from ams.sync.coverage import connection_history
from ams.sync.models import Family, PendingReport, SettlementUpload, SyncState, SyncStatus
from ams.teams.models import Team


@dataclass(frozen=True)
class FamilyRow:
    family: Family
    state: SyncState | None

    @property
    def status(self) -> SyncStatus:
        return self.state.status_enum if self.state else SyncStatus.NEVER

    @property
    def is_active(self) -> bool:
        return self.status in (SyncStatus.QUEUED, SyncStatus.RUNNING)

    @property
    def history_from(self) -> datetime | None:
        """How far back this connection's history of the family reaches (the backfills read
        newest first, so this moves back while older history fills in); None where unknown."""
        return connection_history(self.family, self.state.cursor if self.state else {})[0]

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


def sync_overview(*, team: Team) -> list[ConnectionRow]:
    """Every live connection of the team with the state of each data family."""
    connections = list(
        SellerConnection.objects.filter(team=team, disconnected_at__isnull=True).order_by(
            "created_at", "id"
        )
    )
    states: dict[tuple[int, str], SyncState] = {
        (s.connection_id, s.family): s
        for s in SyncState.objects.filter(team=team, connection_id__in=[c.id for c in connections])
    }
    pending: dict[int, list[PendingReport]] = {}
    for report in PendingReport.objects.filter(
        team=team, connection_id__in=[c.id for c in connections], resolved_at__isnull=True
    ).order_by("first_attempt_at", "id"):
        pending.setdefault(report.connection_id, []).append(report)
    return [
        ConnectionRow(
            c, [FamilyRow(f, states.get((c.id, f))) for f in Family], pending.get(c.id, [])
        )
        for c in connections
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
