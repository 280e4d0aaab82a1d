"""Fees and transactions: Finances 2024-06-19 ``listTransactions``.

Backfill, newest first (ams/sync/backfill.py): the transactions posted in the last
``RECENT_DAYS``, then windows of ``WINDOW_DAYS`` going back ``BACKFILL_DAYS`` (or the team's
retention window, if shorter), each committed with the cursor that records it. Amazon answers
nothing for a ``postedAfter`` and ``postedBefore`` more than 180 days apart, so no window is
longer; ``postedBefore`` excludes its own instant, so consecutive windows meet exactly.

Incremental: Amazon posts some transactions late with an earlier posted date, so each run reads
again from ``OVERLAP`` before the latest posted date it has seen; the upsert makes the overlap free.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

from ams.core import bulk
from ams.core.tenancy import team_scope
from ams.finance import writers
from ams.finance.fee_rollups import charge_months_rebuild
from ams.finance.reconcile import settlements_reconcile
from ams.finance.writers import ChargeRow
from ams.profit.rollups import MoneyRefresh
from ams.sync import backfill as history
from ams.sync.context import RecentRead, SyncContext
from ams.sync.cursors import FinancesCursor
from ams.sync.parsers import finance as parser
from ams.sync.parsers.flatfile import Parsed, Rejected, RowError, parse_timestamp

BACKFILL_DAYS = 730
WINDOW_DAYS = 90
OVERLAP = timedelta(days=2)
# The cursor's ``charge_months`` is set once the charges rollup covers every charge held: a
# connection synced before the rollup existed has it built once, in full, then kept by deltas.


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def backfill_pending(cursor: FinancesCursor) -> bool:
    """Whether the newest-first backfill still has windows to read. A cursor with a watermark
    but no backfill keys was filled by the single read of the whole history that came before."""
    if cursor.get("backfill_done"):
        return False
    return "backfill_until" in cursor or "posted_through" not in cursor


def run(ctx: SyncContext) -> str:
    cursor = cast(FinancesCursor, ctx.cursor())
    if not cursor.get("charge_months"):
        with team_scope(ctx.team_id):
            charge_months_rebuild(connection_id=ctx.connection_id)
    mode = "incremental"
    if backfill_pending(cursor):
        backfill(ctx, cursor)
        mode = "backfill"
    incremental(ctx)
    with team_scope(ctx.team_id):
        settlements_reconcile(connection_id=ctx.connection_id)
    return mode


def _read(
    ctx: SyncContext,
    *,
    after: datetime,
    before: datetime | None,
    cursor: FinancesCursor,
    moved: FinancesCursor,
) -> None:
    """Ingest the transactions posted from ``after`` to ``before`` (Amazon's now when None),
    then save ``moved``, with the latest posted date read as the watermark if it is later than
    the one ``cursor`` holds, in the transaction of the last batch."""
    latest: dict[str, datetime] = {}

    def items() -> Iterator[Parsed[ChargeRow] | Rejected]:
        for page in ctx.pages(
            ctx.client.iter_pages(
                ctx.client.list_transactions, posted_after=after, posted_before=before
            )
        ):
            for transaction in (page.get("payload") or {}).get("transactions") or []:
                try:
                    rows = parser.transaction_rows(transaction)
                except RowError as exc:
                    yield Rejected(0, str(exc), str(transaction.get("transactionId") or "")[:80])
                    continue
                posted = rows[0].posted_at
                if "posted" not in latest or posted > latest["posted"]:
                    latest["posted"] = posted
                for row in rows:
                    yield Parsed(0, row)
            ctx.checkpoint()

    def final_cursor() -> FinancesCursor:
        seen = parse_timestamp(str(cursor.get("posted_through") or ""))
        through = max((m for m in (seen, latest.get("posted")) if m is not None), default=None)
        return {
            **moved,
            "posted_through": _iso(through) if through else None,
            "charge_months": True,
        }

    ctx.ingest(
        items(),
        writer=transactions_writer(ctx.connection_id),
        source="listTransactions",
        cursor=final_cursor,
    )


def transactions_writer(connection_id: int) -> bulk.Writer:
    """Finance's writer of transactions, with the profit read model's fees and refunds kept by
    difference in each batch's transaction too: finance sits below ``ams.profit`` and cannot
    call it, so the sync, above both, joins the two refreshes."""
    finance = writers.transactions(connection_id)
    money = MoneyRefresh(connection_id=connection_id)

    def before_merge(staged: str) -> None:
        if finance.before_merge is not None:
            finance.before_merge(staged)
        money.retract(staged)

    def after_merge(staged: str, added_only: bool) -> None:
        if finance.after_merge is not None:
            finance.after_merge(staged, added_only)
        money.add(staged)

    return replace(finance, before_merge=before_merge, after_merge=after_merge)


def backfill(ctx: SyncContext, cursor: FinancesCursor) -> None:
    until = parse_timestamp(str(cursor.get("backfill_until") or "")) or ctx.now().replace(
        microsecond=0
    )
    earliest = max(until - timedelta(days=BACKFILL_DAYS), ctx.retention_start())
    done_from = parse_timestamp(str(cursor.get("backfill_from") or "")) or until
    cursor = {**cursor, "backfill_until": _iso(until)}
    ctx.save_cursor(cursor)
    windows = list(history.windows(until, done_from, earliest, window_days=WINDOW_DAYS))
    for number, (a, b) in enumerate(windows):
        ctx.checkpoint()
        moved: FinancesCursor = {**cursor, "backfill_from": _iso(a), "backfill_done": a <= earliest}
        # The newest window reads up to Amazon's own now, which AMS's clock may run ahead of.
        _read(ctx, after=a, before=None if b == until else b, cursor=cursor, moved=moved)
        cursor = cast(FinancesCursor, ctx.cursor())
        ctx.progress(number + 1, len(windows))
        if ctx.yield_recent and b == until and a > earliest:
            # Stored: the last 30 days. The older history waits behind the other families.
            with team_scope(ctx.team_id):
                settlements_reconcile(connection_id=ctx.connection_id)
            raise RecentRead("finances: the last 30 days are stored")
    if not windows:
        ctx.save_cursor({**cursor, "backfill_done": True})


def incremental(ctx: SyncContext) -> None:
    cursor = cast(FinancesCursor, ctx.cursor())
    seen = parse_timestamp(str(cursor.get("posted_through") or ""))
    # Nothing posted yet: from where the backfill started counting back (a cursor from before
    # the backfill kept it: the whole history again, as then).
    start = seen or parse_timestamp(str(cursor.get("backfill_until") or ""))
    if start is None:
        after = max(ctx.now() - timedelta(days=BACKFILL_DAYS), ctx.retention_start())
    else:
        after = start - OVERLAP
    _read(ctx, after=after, before=None, cursor=cursor, moved=cursor)
