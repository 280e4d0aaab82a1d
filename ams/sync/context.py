"""What a syncer works with: the connection's ids, an SP-API client, and batch ingest.

A syncer never holds a transaction while it calls Amazon (the shared rate limiter and the
report download would keep rows locked for minutes). It calls Amazon, then hands a batch of
parsed rows to :meth:`SyncContext.ingest`, which commits the batch, its quarantined rows, the
read-model refresh and (on the last batch of a unit of work) the cursor in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, connections
from django.utils import timezone
from psycopg import sql

from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.core.tenancy import team_scope
from ams.sync import ingest as bulk
from ams.sync.ingest import Column, Target
from ams.sync.models import QuarantinedRow, SyncRun, SyncState
from ams.sync.parsers.flatfile import RAW_LIMIT, Parsed, Rejected
from spapi.client import SpApiClient

BATCH_ROWS = 20_000


class _Flusher:
    """Writes batch k on a thread of its own while the caller parses batch k+1.

    Parsing is Python and holds the GIL; the database work waits on a socket and does not, so
    the two overlap. One batch at a time, in order: ``submit`` first waits for the previous
    batch (and raises its error, if any). The thread has its own database connection (Django's
    are per thread), closed when the ingest ends.
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        self._pending: Future[None] | None = None

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        self.wait()
        self._pending = self._executor.submit(fn, *args)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _Flusher:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._pending is not None and not self._pending.done():
                self._pending.exception()  # let an in-flight batch finish (or fail) first
        finally:
            self._executor.submit(connections.close_all).result()
            self._executor.shutdown()


class SyncStopped(Exception):
    """The connection was disconnected or lost its authorization while the sync ran."""


@dataclass(frozen=True)
class MarketplaceInfo:
    marketplace_id: str
    country_code: str
    currency: str
    name: str


@dataclass
class RunStats:
    rows_read: int = 0
    rows_changed: int = 0
    quarantined: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class SyncContext:
    team_id: int
    connection_id: int
    selling_partner_id: str
    family: str
    client: SpApiClient
    marketplaces: list[MarketplaceInfo]
    run_id: int
    now: Callable[[], datetime] = timezone.now
    stats: RunStats = field(default_factory=RunStats)
    # 0: BATCH_ROWS, read when a batch is cut (tests lower it to cut many).
    batch_rows: int = 0

    @property
    def marketplace_ids(self) -> list[str]:
        return [m.marketplace_id for m in self.marketplaces]

    # --- state --------------------------------------------------------------------------------

    def cursor(self) -> dict[str, Any]:
        with team_scope(self.team_id):
            state = SyncState.objects.get(team_id=self.team_id, connection_id=self.connection_id, family=self.family)
            return dict(state.cursor)

    def _save_cursor(self, cursor: dict[str, Any]) -> None:
        """Inside the caller's transaction: the cursor commits with the rows it covers."""
        SyncState.objects.filter(team_id=self.team_id, connection_id=self.connection_id, family=self.family).update(
            cursor=cursor, updated_at=timezone.now()
        )

    def save_cursor(self, cursor: dict[str, Any]) -> None:
        with team_scope(self.team_id):
            self._save_cursor(cursor)

    def progress(self, done: int, total: int | None) -> None:
        with team_scope(self.team_id):
            SyncState.objects.filter(
                team_id=self.team_id, connection_id=self.connection_id, family=self.family
            ).update(progress_done=done, progress_total=total, updated_at=timezone.now())
            SyncRun.objects.filter(id=self.run_id).update(
                rows_read=self.stats.rows_read, rows_changed=self.stats.rows_changed, quarantined=self.stats.quarantined
            )

    def checkpoint(self) -> None:
        """Stop at a safe point if the connection was disconnected or needs re-authorization."""
        with team_scope(self.team_id):
            status = (
                SellerConnection.objects.filter(id=self.connection_id, disconnected_at__isnull=True)
                .values_list("status", flat=True)
                .first()
            )
        if status != ConnectionStatus.ACTIVE:
            raise SyncStopped(f"connection is {status or 'disconnected'}")

    def forget_unseen(self, table: str, *, marketplace_id: str, seen: set[str], channel: str | None = None) -> int:
        """After a complete read of a marketplace's current state, delete the SKUs Amazon no
        longer lists (a removed listing, a SKU with no FBA stock record any more)."""
        query = sql.SQL(
            "DELETE FROM {} WHERE team_id = %s AND connection_id = %s AND marketplace_id = %s AND NOT (sku = ANY(%s))"
        ).format(sql.Identifier(table))
        params: list[Any] = [self.team_id, self.connection_id, marketplace_id, sorted(seen)]
        if channel is not None:
            query = query + sql.SQL(" AND fulfillment_channel = %s")
            params.append(channel)
        with team_scope(self.team_id), connection.cursor() as cursor:
            cursor.execute(query.as_string(cursor.cursor.connection), params)
            return int(cursor.rowcount)

    def problem(self, message: str) -> None:
        if message not in self.stats.problems:
            self.stats.problems.append(message)

    # --- ingest -------------------------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Parsed[Any] | Rejected],
        *,
        columns: Sequence[Column],
        targets: Sequence[Target],
        source: str,
        document: str = "",
        after_merge: Callable[[str], None] | None = None,
        cursor: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
        before_merge: Callable[[str], None] | None = None,
    ) -> None:
        """Ingest a stream in batches. ``cursor`` is saved with the last batch, only if the stream
        ends normally: an exception (a truncated download) leaves the cursor where it was, after
        committing the complete rows read before it."""
        rows: list[Sequence[object]] = []
        rejected: list[Rejected] = []
        iterator: Iterator[Parsed[Any] | Rejected] = iter(items)
        with _Flusher() as flusher:
            while True:
                try:
                    item = next(iterator)
                except StopIteration:
                    break
                except BaseException:
                    flusher.submit(self._flush, rows, rejected, columns, targets, source, document, (before_merge, after_merge), None)
                    flusher.wait()
                    raise
                if isinstance(item, Rejected):
                    rejected.append(item)
                else:
                    rows.append(item.value)
                if len(rows) >= (self.batch_rows or BATCH_ROWS):
                    flusher.submit(self._flush, rows, rejected, columns, targets, source, document, (before_merge, after_merge), None)
                    rows, rejected = [], []
                    bulk.test_pause()
            final = cursor() if callable(cursor) else cursor
            flusher.submit(self._flush, rows, rejected, columns, targets, source, document, (before_merge, after_merge), final)
            flusher.wait()

    def _flush(
        self,
        rows: list[Sequence[object]],
        rejected: list[Rejected],
        columns: Sequence[Column],
        targets: Sequence[Target],
        source: str,
        document: str,
        hooks: tuple[Callable[[str], None] | None, Callable[[str], None] | None],
        cursor: dict[str, Any] | None,
    ) -> None:
        # Read models refresh in the batch's transaction: ``before_merge`` sees the rows as they
        # were (to take out what the batch replaces), ``after_merge`` as they are now.
        before_merge, after_merge = hooks
        if not rows and not rejected and cursor is None:
            return
        with team_scope(self.team_id):
            # The cursor commits with the rows it covers, so a commit lost in a database crash
            # loses both together and the batch is read again: no need to wait for the flush.
            bulk.commit_without_flush_wait()
            if rows:
                staged, count = bulk.stage(columns, rows)
                self.stats.rows_read += count
                if before_merge is not None:
                    before_merge(staged)
                for target in targets:
                    self.stats.rows_changed += bulk.merge(target, staged, connection_id=self.connection_id).changed
                if after_merge is not None:
                    after_merge(staged)
                bulk.drop_stage(staged)
            if rejected:
                self.quarantine(rejected, source=source, document=document)
            if cursor is not None:
                self._save_cursor(cursor)

    def quarantine(
        self, rejected: Sequence[Rejected], *, source: str, document: str = "", counted: bool = True
    ) -> None:
        """Record refused rows (inside the caller's transaction when there is one). ``counted``
        False: a note about a document (a broken download) rather than a row that was lost."""
        with team_scope(self.team_id):
            QuarantinedRow.objects.bulk_create(
                QuarantinedRow(
                    team_id=self.team_id,
                    connection_id=self.connection_id,
                    family=self.family,
                    source=source[:80],
                    document=document[:80],
                    line_number=r.line_number or None,
                    reason=r.reason[:300],
                    raw=r.raw[:RAW_LIMIT],
                )
                for r in rejected
            )
        if counted:
            self.stats.quarantined += len(rejected)
