"""Fees and transactions: Finances 2024-06-19 ``listTransactions`` since the watermark.

Amazon posts some transactions late with an earlier posted date, so each run reads again from
``OVERLAP`` before the latest posted date it has seen; the upsert makes the overlap free.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import cast

from ams.core.tenancy import team_scope
from ams.finance import writers
from ams.finance.fee_rollups import charge_months_rebuild
from ams.finance.reconcile import settlements_reconcile
from ams.finance.writers import ChargeRow
from ams.sync.context import SyncContext
from ams.sync.cursors import FinancesCursor
from ams.sync.parsers import finance as parser
from ams.sync.parsers.flatfile import Parsed, Rejected, RowError, parse_timestamp

BACKFILL_DAYS = 730
OVERLAP = timedelta(days=2)
# The cursor's ``charge_months`` is set once the charges rollup covers every charge held: a
# connection synced before the rollup existed has it built once, in full, then kept by deltas.


def run(ctx: SyncContext) -> str:
    cursor = cast(FinancesCursor, ctx.cursor())
    seen = parse_timestamp(str(cursor.get("posted_through") or ""))
    backfill_from = max(ctx.now() - timedelta(days=BACKFILL_DAYS), ctx.retention_start())
    after = seen - OVERLAP if seen else backfill_from
    latest: dict[str, datetime] = {}
    if not cursor.get("charge_months"):
        with team_scope(ctx.team_id):
            charge_months_rebuild(connection_id=ctx.connection_id)

    def items() -> Iterator[Parsed[ChargeRow] | Rejected]:
        for page in ctx.pages(
            ctx.client.iter_pages(ctx.client.list_transactions, posted_after=after)
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
        through = latest.get("posted") or seen
        return {
            **cursor,
            "posted_through": through.isoformat() if through else None,
            "charge_months": True,
        }

    ctx.ingest(
        items(),
        writer=writers.transactions(ctx.connection_id),
        source="listTransactions",
        cursor=final_cursor,
    )
    with team_scope(ctx.team_id):
        settlements_reconcile(connection_id=ctx.connection_id)
    return "incremental" if seen else "backfill"
