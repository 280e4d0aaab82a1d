"""How much of a team's history each data family holds: whether every live connection has
finished its first sync of the family, whether a run is under way, and how far back the synced
history reaches. Pages read it so that a figure not synced yet is never shown as a zero, an alarm
is never raised on half-read data, and no comparison runs against a period the sync has not
reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db.models import (
    CharField,
    DateTimeField,
    JSONField,
    Min,
    OuterRef,
    Subquery,
    Value,
)

from ams.amazon.models import SellerConnection
from ams.sync.cursors import OrdersCursor
from ams.sync.models import Family, SyncRun, SyncState, SyncStatus
from ams.sync.parsers.flatfile import parse_timestamp
from ams.sync.syncers import finances as finances_syncer
from ams.sync.syncers import orders as orders_syncer
from ams.teams.models import Team

SYNCING = "syncing…"
NOT_SYNCED = "not synced yet"


@dataclass(frozen=True)
class Coverage:
    """One family across the team's live connections."""

    family: Family
    # Every live connection has completed the family at least once.
    synced: bool
    # A run of the family is queued or running for some live connection.
    running: bool
    # The earliest moment the history of every live connection reaches back to; None where no
    # bound is known (a family synced before its cursor said so, or one that keeps no history).
    history_from: datetime | None = None
    # When every live connection last completed the family: the oldest of them; None until all have.
    last_completed: datetime | None = None

    @property
    def waiting(self) -> str:
        """What a page says in place of a figure of this family: empty once it is synced."""
        if self.synced:
            return ""
        return SYNCING if self.running else NOT_SYNCED


def _moment(value: Any) -> datetime | None:
    return parse_timestamp(str(value)) if value else None


def _orders_from(cursor: dict[str, Any]) -> datetime | None:
    """How far back a connection's orders reach, from the backfill's position: the backfill
    reads from the newest window back, so what it has read runs from ``backfill_from`` to now."""
    position = cast(OrdersCursor, cursor)
    until = _moment(position.get("backfill_until"))
    if until is None:
        return None
    if position.get("backfill_done"):
        return until - timedelta(days=orders_syncer.BACKFILL_DAYS)
    return _moment(position.get("backfill_from")) or until


def history_from(
    family: str, cursor: dict[str, Any], *, completed: datetime | None, first_run: datetime | None
) -> datetime | None:
    """How far back one connection's history of ``family`` reaches, from its saved position,
    whether it ever completed and when its first run started (the bounds ``family_coverage``
    takes for the team, and the ledger's); None where no bound is known."""
    if family == Family.ORDERS:
        return _orders_from(cursor)
    if family == Family.FINANCES and completed is not None and first_run is not None:
        return first_run - timedelta(days=finances_syncer.BACKFILL_DAYS)
    if family == Family.LEDGER:
        return _moment(cursor.get("since")) if cursor.get("read_through") else None
    return None


def history_through(family: str, cursor: dict[str, Any]) -> datetime | None:
    """The newest moment one connection's history of ``family`` is read up to, by its saved
    position; None for a family that keeps no such mark (current stock, listings, settlements)."""
    if family == Family.ORDERS:
        position = cast(OrdersCursor, cursor)
        return _moment(position.get("updated_after")) or _moment(position.get("backfill_until"))
    if family == Family.FINANCES:
        return _moment(cursor.get("posted_through"))
    if family == Family.LEDGER:
        return _moment(cursor.get("read_through"))
    return None


def family_coverage(*, team: Team) -> dict[str, Coverage]:
    """Per family (by its value), how much the team's live connections hold, in one query."""
    # The live connections, then their states: a connection without a state for a family has
    # never completed it (as ``last_synced_by_family``).
    connections = (
        SellerConnection.objects.filter(team=team, disconnected_at__isnull=True)
        .annotate(
            no_family=Value(None, output_field=CharField()),
            no_status=Value(None, output_field=CharField()),
            never=Value(None, output_field=DateTimeField()),
            no_cursor=Value(None, output_field=JSONField()),
            no_run=Value(None, output_field=DateTimeField()),
        )
        .values_list("id", "no_family", "no_status", "never", "no_cursor", "no_run")
    )
    # A finances backfill reads BACKFILL_DAYS back from its first run, in that one run.
    first_run = (
        SyncRun.objects.filter(
            team=team, connection_id=OuterRef("connection_id"), family=OuterRef("family")
        )
        .order_by()
        .values("connection_id")
        .annotate(first=Min("started_at"))
        .values("first")
    )
    states = (
        SyncState.objects.filter(team=team, connection__disconnected_at__isnull=True)
        .annotate(first_run=Subquery(first_run, output_field=DateTimeField()))
        .values_list(
            "connection_id", "family", "status", "last_completed_at", "cursor", "first_run"
        )
    )
    live: set[int] = set()
    found: dict[str, dict[int, tuple[str, datetime | None, Any, datetime | None]]] = {
        family.value: {} for family in Family
    }
    for connection_id, family, status, completed, cursor, first in connections.union(
        states, all=True
    ):
        live.add(connection_id)
        if family is not None:
            found.setdefault(family, {})[connection_id] = (status, completed, cursor, first)
    result: dict[str, Coverage] = {}
    for family in Family:
        by_connection = found[family.value]
        completed = [by_connection.get(c, (None, None, None, None))[1] for c in live]
        synced = bool(live) and all(m is not None for m in completed)
        running = any(
            status in (SyncStatus.QUEUED, SyncStatus.RUNNING)
            for status, _m, _c, _f in by_connection.values()
        )
        bounds: list[datetime] = []
        nothing_read = False
        for c in live:
            _status, done, cursor, first = by_connection.get(c, (None, None, None, None))
            bound: datetime | None = None
            if family == Family.ORDERS:
                bound = _orders_from(cursor or {})
            elif family == Family.FINANCES and done is not None and first is not None:
                bound = first - timedelta(days=finances_syncer.BACKFILL_DAYS)
            if bound is not None:
                bounds.append(bound)
            elif done is None:
                # A connection that has read nothing yet: the team's history has no start yet.
                nothing_read = True
        result[family.value] = Coverage(
            family,
            synced,
            running,
            # The team's history is as short as its shortest connection's.
            None if nothing_read else max(bounds, default=None),
            # As ``last_synced``: the oldest, so a page never claims fresher data than its stalest source.
            min((m for m in completed if m is not None), default=None) if synced else None,
        )
    return result
