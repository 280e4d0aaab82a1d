"""How much of a team's history each data family holds: whether every live connection has
finished its first sync of the family, whether a run is under way, and how far back the synced
history reaches. Pages read it so that a figure not synced yet is never shown as a zero, an alarm
is never raised on half-read data, and no comparison runs against a period the sync has not
reached.

The backfills read newest first (ams/sync/backfill.py), so while a first sync is still reading
older history, the last ``RECENT_DAYS`` are already whole: ``recent`` says so, and
``history_from`` says how far back the history has reached."""

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
from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.sync.backfill import RECENT_DAYS, reached
from ams.sync.cursors import FinancesCursor, OrdersCursor, SettlementsCursor
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
    # The last RECENT_DAYS are whole for every live connection: synced, or a first sync whose
    # newest-first backfill has reached back past them (for listings: every listing read; for
    # settlements: every marketplace's latest one).
    recent: bool = False

    @property
    def waiting(self) -> str:
        """What a page says in place of a figure of this family: empty once it is synced."""
        if self.synced:
            return ""
        return SYNCING if self.running else NOT_SYNCED

    @property
    def waiting_recent(self) -> str:
        """The same, for a figure that needs only the last RECENT_DAYS (the last payout, the
        stock at risk at the last 30 days' rate of sale): empty once those are whole."""
        return "" if self.recent else self.waiting


def _moment(value: Any) -> datetime | None:
    return parse_timestamp(str(value)) if value else None


def _history_from(
    family: str, cursor: dict[str, Any], done: datetime | None, first: datetime | None
) -> datetime | None:
    """How far back one connection's history of ``family`` reaches, from its cursor: the
    backfills read from the newest window back, so what they have read runs from there to now."""
    if family == Family.ORDERS:
        return reached(cursor, full_days=orders_syncer.BACKFILL_DAYS)
    if family == Family.FINANCES:
        if not finances_syncer.backfill_pending(cast(FinancesCursor, cursor)) and (
            "backfill_until" not in cursor
        ):
            # Read whole in one run before the backfill kept its position: from the first run.
            if done is None or first is None:
                return None
            return first - timedelta(days=finances_syncer.BACKFILL_DAYS)
        return reached(cursor, full_days=finances_syncer.BACKFILL_DAYS)
    if family == Family.SETTLEMENTS:
        return _moment(cast(SettlementsCursor, cursor).get("read_back_to"))
    return None


def connection_history(family: str, cursor: dict[str, Any]) -> tuple[datetime | None, bool]:
    """One connection's history of ``family`` as its sync page row shows it: how far back it
    reaches (None: not known, or a family that keeps no history), and whether its backfill has
    read all of it."""
    if family == Family.ORDERS:
        return reached(cursor, full_days=orders_syncer.BACKFILL_DAYS), bool(
            cursor.get("backfill_done")
        )
    if family == Family.FINANCES:
        if "backfill_until" not in cursor:
            return None, "posted_through" in cursor
        return reached(cursor, full_days=finances_syncer.BACKFILL_DAYS), bool(
            cursor.get("backfill_done")
        )
    if family == Family.SETTLEMENTS:
        return _moment(cursor.get("read_back_to")), bool(cursor.get("listed"))
    return None, False


def history_from(
    family: str, cursor: dict[str, Any], *, completed: datetime | None, first_run: datetime | None
) -> datetime | None:
    """How far back one connection's history of ``family`` reaches, from its saved position,
    whether it ever completed and when its first run started (the bounds ``family_coverage``
    takes for the team, and the ledger's); None where no bound is known."""
    if family == Family.LEDGER:
        return _moment(cursor.get("since")) if cursor.get("read_through") else None
    return _history_from(family, cursor, completed, first_run)


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
    # A finances backfill read before the cursor kept its position read BACKFILL_DAYS back from
    # its first run, in that one run.
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
    recent_from = timezone.now() - timedelta(days=RECENT_DAYS)
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
        recent = bool(live)
        for c in live:
            _status, done, cursor, first = by_connection.get(c, (None, None, None, None))
            bound = _history_from(family.value, cursor or {}, done, first)
            if bound is not None:
                bounds.append(bound)
            elif done is None:
                # A connection that has read nothing yet: the team's history has no start yet.
                nothing_read = True
            if family == Family.LISTINGS and (cursor or {}).get("listings_read"):
                continue  # the listings are there; the catalogue, prices and fees follow
            if family == Family.SETTLEMENTS and (cursor or {}).get("latest_read"):
                continue  # the last payout is there; older settlements follow
            if done is None and (bound is None or bound > recent_from):
                recent = False
        history_from = None if nothing_read else max(bounds, default=None)
        result[family.value] = Coverage(
            family,
            synced,
            running,
            # The team's history is as short as its shortest connection's.
            history_from,
            # As ``last_synced``: the oldest, so a page never claims fresher data than its stalest source.
            min((m for m in completed if m is not None), default=None) if synced else None,
            recent,
        )
    return result
