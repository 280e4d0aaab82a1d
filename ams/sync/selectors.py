"""Reads for the sync status page and for every data page's "last synced" line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ams.amazon.models import SellerConnection
from ams.sync.models import Family, SyncState, SyncStatus
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


@dataclass(frozen=True)
class ConnectionRow:
    connection: SellerConnection
    families: list[FamilyRow]

    @property
    def is_active(self) -> bool:
        return any(f.is_active for f in self.families)


def sync_overview(*, team: Team) -> list[ConnectionRow]:
    """Every live connection of the team with the state of each data family."""
    connections = list(
        SellerConnection.objects.filter(team=team, disconnected_at__isnull=True).order_by("created_at", "id")
    )
    states: dict[tuple[int, str], SyncState] = {
        (s.connection_id, s.family): s
        for s in SyncState.objects.filter(team=team, connection_id__in=[c.id for c in connections])
    }
    return [
        ConnectionRow(c, [FamilyRow(f, states.get((c.id, f))) for f in Family]) for c in connections
    ]


def last_synced(*, team: Team, family: Family) -> datetime | None:
    """When ``family`` last completed for every live connection of the team: the oldest of them,
    so a page never claims fresher data than its stalest source. None if one never completed."""
    connections = SellerConnection.objects.filter(team=team, disconnected_at__isnull=True).values_list("id", flat=True)
    moments = {
        s.connection_id: s.last_completed_at
        for s in SyncState.objects.filter(team=team, family=family, connection_id__in=list(connections))
    }
    if not connections or any(moments.get(c) is None for c in connections):
        return None
    return min(m for m in moments.values() if m is not None)
