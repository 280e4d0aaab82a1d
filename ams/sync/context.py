"""What a syncer works with: the connection's ids, an SP-API client, and batch ingest.

A syncer never holds a transaction while it calls Amazon (the shared rate limiter and the
report download would keep rows locked for minutes). It calls Amazon, then hands a batch of
parsed rows to :meth:`SyncContext.ingest`, which commits the batch, its quarantined rows, the
read-model refresh and (on the last batch of a unit of work) the cursor in one transaction.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, connections
from django.utils import timezone
from psycopg.errors import DeadlockDetected

from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.core import bulk
from ams.core.bulk import Column, Writer
from ams.core.months import months_before
from ams.core.retention import AMAZON_MONTHS
from ams.core.tenancy import team_scope
from ams.sync import ingest
from ams.sync.convert_sql import Conversion
from ams.sync.models import QuarantinedRow, SyncRun, SyncState
from ams.sync.parsers.flatfile import (
    RAW_LIMIT,
    Block,
    BlockReader,
    Line,
    MissingColumns,
    Parsed,
    Rejected,
    parse,
)
from ams.teams.models import Team
from spapi.client import SpApiClient

# A family's saved position: one of the TypedDicts of ams/sync/cursors.py.
Cursor = Mapping[str, object]

T = TypeVar("T")

BATCH_ROWS = 20_000
# Lines of a flat file per block of the in-database path: smaller than a batch, so that a
# report of a few tens of thousands of lines still has blocks to write side by side.
BLOCK_LINES = 10_000
# Blocks of a flat file written at once, each by its own database connection (see _Flusher).
INGEST_WORKERS = 2
# A run's counters reach its SyncRun row (what the sync page shows) at most this often while
# it works: one small UPDATE every few seconds, never one per row or per page.
PROGRESS_SECONDS = 2.0


class _Flusher:
    """Writes batches on threads of their own while the caller reads the next ones.

    Parsing is Python and holds the GIL; the database work waits on a socket and does not, so
    the two overlap. With ``workers`` > 1, that many batches are written at once, each in its
    own transaction on its own connection (Django's are per thread), so the database uses more
    than one core; ``submit`` waits while that many are in flight, until any of them ends (not
    the oldest: a thread that finished first would wait idle for it), and raises the first
    error. The connections are closed when the ingest ends.
    """

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="ingest", initializer=_room_for_staging
        )
        self._pending: set[Future[None]] = set()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        while len(self._pending) >= self._workers:
            done, self._pending = futures.wait(self._pending, return_when=futures.FIRST_COMPLETED)
            for finished in done:
                finished.result()
        self._pending.add(self._executor.submit(fn, *args))

    def wait(self) -> None:
        for finished in futures.as_completed(list(self._pending)):
            self._pending.discard(finished)
            finished.result()

    def __enter__(self) -> _Flusher:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for pending in self._pending:
                pending.exception()  # let in-flight batches finish (or fail) first
        finally:
            # One close per thread: the barrier keeps each of them on a thread of its own.
            barrier = threading.Barrier(self._workers)

            def close() -> None:
                barrier.wait(timeout=60)
                connections.close_all()

            for closing in [self._executor.submit(close) for _ in range(self._workers)]:
                closing.result()
            self._executor.shutdown()


def _room_for_staging() -> None:
    """A flush thread's own connection (new, no temporary table used yet, the only time this
    can be set): room in memory for a block's staging tables, which otherwise spill to disk."""
    with connection.cursor() as cursor:
        cursor.execute("SET temp_buffers = '64MB'")


@dataclass(frozen=True)
class _BlockJob:
    """What every block of one flat file is converted with."""

    header: list[str]
    header_line: str
    conversion: Conversion
    types: dict[str, str]
    required: Sequence[str]
    convert: Callable[[Mapping[str, str]], Sequence[object] | None]
    columns: Sequence[Column]

    def convert_in_python(
        self, block: Block, declined: list[tuple[int, str]]
    ) -> tuple[list[tuple[object, ...]], list[Rejected]]:
        """The lines SQL declined, through the Python converter: rows (each with its row number
        in the block, for the staging table) and the lines it refused, with their reasons."""
        lines = [
            Line(0, self.header_line),
            *(Line(block.first_line + n - 1, text) for n, text in declined),
        ]
        rows: list[tuple[object, ...]] = []
        refused: list[Rejected] = []
        for item in parse(lines, required=self.required, convert=self.convert):
            if isinstance(item, Rejected):
                refused.append(item)
            else:
                rows.append((*item.value, item.line_number - block.first_line + 1))
        return rows, refused


class SyncStopped(Exception):
    """The connection was disconnected or lost its authorization while the sync ran."""


class RecentRead(Exception):
    """A first sync's backfill has stored the last 30 days and gives its worker up to the other
    families' first syncs; its job queues itself again for the older history (``yield_recent``)."""


@dataclass(frozen=True)
class MarketplaceInfo:
    marketplace_id: str
    country_code: str
    currency: str
    name: str


@dataclass
class RunStats:
    rows_read: int = 0
    # Rows written (inserted or changed), and of them the rows inserted.
    rows_changed: int = 0
    rows_added: int = 0
    quarantined: int = 0
    # Reports asked of Amazon (createReport), report documents downloaded and read (or refused
    # whole), pages of a paged API read.
    reports_requested: int = 0
    reports_downloaded: int = 0
    pages_read: int = 0
    # Whole report files refused (a column missing), apart from the rows set aside.
    refused_files: int = 0
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
    # A job started right after a connect: a backfill that has stored the last 30 days stops
    # there (RecentRead) and is queued again behind the other families' first syncs.
    yield_recent: bool = False
    _stats_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # When the counters were last written to the run (time.monotonic()); see PROGRESS_SECONDS.
    _reported_at: float = field(default=0.0, repr=False)

    @property
    def marketplace_ids(self) -> list[str]:
        return [m.marketplace_id for m in self.marketplaces]

    # --- state --------------------------------------------------------------------------------

    def cursor(self) -> dict[str, object]:
        """The family's saved position, as the syncer reads it (its shape: ams/sync/cursors.py)."""
        with team_scope(self.team_id):
            state = SyncState.objects.get(
                team_id=self.team_id, connection_id=self.connection_id, family=self.family
            )
            return dict(state.cursor)

    def _save_cursor(self, cursor: Cursor) -> None:
        """Inside the caller's transaction: the cursor commits with the rows it covers."""
        SyncState.objects.filter(
            team_id=self.team_id, connection_id=self.connection_id, family=self.family
        ).update(cursor=dict(cursor), updated_at=timezone.now())

    def save_cursor(self, cursor: Cursor) -> None:
        with team_scope(self.team_id):
            self._save_cursor(cursor)

    def progress(self, done: int, total: int | None) -> None:
        with team_scope(self.team_id):
            SyncState.objects.filter(
                team_id=self.team_id, connection_id=self.connection_id, family=self.family
            ).update(progress_done=done, progress_total=total, updated_at=timezone.now())
        self.report(force=True)

    def counts(self) -> dict[str, int]:
        """The run's counters, as the fields of its SyncRun."""
        stats = self.stats
        return {
            "rows_read": stats.rows_read,
            "rows_changed": stats.rows_changed,
            "rows_added": stats.rows_added,
            "quarantined": stats.quarantined,
            "reports_requested": stats.reports_requested,
            "reports_downloaded": stats.reports_downloaded,
            "pages_read": stats.pages_read,
        }

    def report(self, *, force: bool = False) -> None:
        """Write the counters to the run for the sync page: at once with ``force``, otherwise
        only if ``PROGRESS_SECONDS`` have passed since the last time. Outside any batch's
        transaction, so that a page reading them never waits on an ingest."""
        with self._stats_lock:
            now = time.monotonic()
            if not force and now - self._reported_at < PROGRESS_SECONDS:
                return
            self._reported_at = now
            counts = self.counts()
        with team_scope(self.team_id):
            SyncRun.objects.filter(id=self.run_id).update(**counts)

    def report_requested(self) -> None:
        """A report was asked of Amazon."""
        with self._stats_lock:
            self.stats.reports_requested += 1
        self.report()

    def report_downloaded(self) -> None:
        """A report document was downloaded and read (or refused whole)."""
        with self._stats_lock:
            self.stats.reports_downloaded += 1
        self.report()

    def pages(self, pages: Iterable[T]) -> Iterator[T]:
        """``pages`` (of ``client.iter_pages``), counted as they are read."""
        for page in pages:
            with self._stats_lock:
                self.stats.pages_read += 1
            self.report()
            yield page

    def retention_start(self) -> datetime:
        """The oldest moment the team keeps Amazon data for (``ams.core.retention``): a backfill
        reads no further back, since the nightly job would only delete it again."""
        months = Team.objects.filter(id=self.team_id).values_list("retention_months", flat=True)
        return months_before(self.now(), months.first() or AMAZON_MONTHS)

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

    def problem(self, message: str) -> None:
        if message not in self.stats.problems:
            self.stats.problems.append(message)

    # --- ingest -------------------------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Parsed[Any] | Rejected],
        *,
        writer: Writer,
        source: str,
        document: str = "",
        cursor: Cursor | Callable[[], Cursor] | None = None,
    ) -> None:
        """Ingest a stream of a domain's rows in batches, each through ``writer``. ``cursor`` is
        saved with the last batch, only if the stream ends normally: an exception (a truncated
        download) leaves the cursor where it was, after committing the complete rows read
        before it."""
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
                    flusher.submit(self._flush, rows, rejected, writer, source, document, None)
                    flusher.wait()
                    raise
                if isinstance(item, Rejected):
                    rejected.append(item)
                else:
                    rows.append(item.value)
                if len(rows) >= (self.batch_rows or BATCH_ROWS):
                    flusher.submit(self._flush, rows, rejected, writer, source, document, None)
                    rows, rejected = [], []
            final = cursor() if callable(cursor) else cursor
            flusher.submit(self._flush, rows, rejected, writer, source, document, final)
            flusher.wait()

    def _flush(
        self,
        rows: list[Sequence[object]],
        rejected: list[Rejected],
        writer: Writer,
        source: str,
        document: str,
        cursor: Cursor | None,
    ) -> None:
        # The writer's read models refresh in the batch's transaction.
        if not rows and not rejected and cursor is None:
            return
        with team_scope(self.team_id):
            # The cursor commits with the rows it covers, so a commit lost in a database crash
            # loses both together and the batch is read again: no need to wait for the flush.
            bulk.commit_without_flush_wait()
            if rows:
                ingest.hold_connection(self.connection_id)
                staged, count = bulk.stage(writer.columns, rows)
                merged = bulk.write(writer, staged, connection_id=self.connection_id)
                with self._stats_lock:
                    self.stats.rows_read += count
                    self.stats.rows_changed += merged.changed
                    self.stats.rows_added += merged.added
                bulk.drop_stage(staged)
            if rejected:
                self.quarantine(rejected, source=source, document=document)
            if cursor is not None:
                self._save_cursor(cursor)
        self.report()

    def ingest_blocks(
        self,
        reader: BlockReader,
        *,
        conversion: Conversion,
        required: Sequence[str],
        convert: Callable[[Mapping[str, str]], Sequence[object] | None],
        writer: Writer,
        source: str,
        document: str = "",
        cursor: Cursor | Callable[[], Cursor] | None = None,
    ) -> None:
        """:meth:`ingest` for a flat file converted in the database (ams/sync/convert_sql.py):
        block by block, the same transactions, quarantine and cursor rules. The writer's
        ``before_merge`` is not run: blocks are written side by side."""
        if writer.before_merge is not None:
            raise ValueError("a writer with a before_merge is written a batch at a time (ingest)")
        missing = [name for name in required if name not in reader.header]
        if missing:
            raise MissingColumns(missing)
        reader.lines_per_block = self.batch_rows or BLOCK_LINES
        types = {c.name: c.sql_type for c in writer.columns}
        job = _BlockJob(
            reader.header, reader.header_line, conversion, types, required, convert, writer.columns
        )
        flush = functools.partial(
            self._flush_block, job, writer=writer, source=source, document=document
        )
        # Blocks are written INGEST_WORKERS at a time; the last one waits for all the others, so
        # that the cursor commits with it and after every row it covers.
        last: Block | None = None
        with _Flusher(INGEST_WORKERS) as flusher:
            try:
                for block in reader:
                    if last is not None:
                        flusher.submit(flush, last, None)
                    last = block
            except BaseException:
                if last is not None:
                    flusher.submit(flush, last, None)
                flusher.wait()
                raise
            flusher.wait()
            final = cursor() if callable(cursor) else cursor
            flusher.submit(flush, last, final)
            flusher.wait()

    def _flush_block(
        self,
        job: _BlockJob,
        block: Block | None,
        cursor: Cursor | None,
        *,
        writer: Writer,
        source: str,
        document: str,
    ) -> None:
        if block is None and cursor is None:
            return
        for attempt in itertools.count(1):
            try:
                self._write_block(job, block, cursor, writer, source, document)
                return
            except Exception as exc:
                # Two blocks written at once can, rarely, wait on each other's rows (an order
                # at the border of both); PostgreSQL then cancels one, which is written again.
                deadlock = isinstance(exc, DeadlockDetected) or isinstance(
                    exc.__cause__, DeadlockDetected
                )
                if not deadlock or attempt == 3:
                    raise

    def _write_block(
        self,
        job: _BlockJob,
        block: Block | None,
        cursor: Cursor | None,
        writer: Writer,
        source: str,
        document: str,
    ) -> None:
        read = changed = added = 0
        with team_scope(self.team_id):
            bulk.commit_without_flush_wait()  # see _flush
            rejected: list[Rejected] = []
            if block is not None and block.lines:
                ingest.hold_connection(self.connection_id)
                rejected.extend(block.rejected)
                width = len(job.header)
                # COPY splits the cells itself when every line has one per column (the usual
                # case, and the fast one); otherwise the block goes in as whole lines.
                lines = (
                    ingest.stage_cells(block.data, width)
                    if not block.odd_whitespace and width > 1
                    else None
                )
                split = lines is not None
                if lines is None:
                    lines = ingest.stage_lines(block.data)
                select = functools.partial(
                    job.conversion.select,
                    job.header,
                    job.types,
                    lines,
                    split=split,
                    odd_whitespace=block.odd_whitespace,
                )
                staged, count = ingest.stage_converted(
                    job.columns, lambda guarded: select(guarded=guarded)
                )
                # Every row of the raw table is one line of the block: when all were converted,
                # there is nothing to look for.
                declined = (
                    []
                    if count == block.lines
                    else ingest.declined_lines(lines, staged, width=width if split else None)
                )
                if declined:
                    rows, refused = job.convert_in_python(block, declined)
                    count += ingest.stage_more(staged, job.columns, rows)
                    rejected.extend(refused)
                read = count
                if count:
                    merged = bulk.merge_all(
                        writer.targets, staged, connection_id=self.connection_id
                    )
                    changed, added = merged.changed, merged.added
                    if writer.after_merge is not None:
                        # Read models are rebuilt from the rows of whole days: one block at a
                        # time per connection, each seeing the blocks committed before it.
                        ingest.lock_read_models(self.connection_id)
                        writer.after_merge(staged, merged.added_only)
                bulk.drop_stage(staged)
                bulk.drop_stage(lines)
            if rejected:
                self.quarantine(rejected, source=source, document=document, counted=False)
            if cursor is not None:
                self._save_cursor(cursor)
        with self._stats_lock:
            self.stats.rows_read += read
            self.stats.rows_changed += changed
            self.stats.rows_added += added
            self.stats.quarantined += len(rejected)
        self.report()

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
