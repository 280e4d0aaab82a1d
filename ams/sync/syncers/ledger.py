"""The evidence of the reimbursement claims (ams.claims): the FBA inventory ledger's
adjustments, the FBA customer returns and the FBA reimbursements, per marketplace.

A run reads the three reports from where the last one stopped, less ``OVERLAP_DAYS`` (Amazon
adds a day's rows for a while after it, and a row read twice is merged, not doubled); the first
run from ``LOOKBACK_DAYS`` back, which covers the longest claim window counted from its event
(ams/claims/policy.py). The cursor keeps that first day (``since``): the claims judge only what
happened after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import cast

from ams.core import bulk
from ams.core.tenancy import team_scope
from ams.costing.refresh import sales_repriced
from ams.finance.writers import REIMBURSEMENT_WRITER
from ams.inventory.writers import CUSTOMER_RETURNS, INVENTORY_ADJUSTMENTS
from ams.sync.context import SyncContext
from ams.sync.cursors import LedgerCursor
from ams.sync.models import Family, SyncState
from ams.sync.parsers import finance as finance_parser
from ams.sync.parsers import ledger as parser
from ams.sync.parsers.flatfile import parse_timestamp
from ams.sync.syncers import reports

LOOKBACK_DAYS = 150
OVERLAP_DAYS = 3

Converter = Callable[[str], Callable[[Mapping[str, str]], Sequence[object] | None]]
REPORTS: tuple[tuple[str, Sequence[str], Converter, bulk.Writer], ...] = (
    (
        parser.LEDGER_REPORT,
        parser.LEDGER_REQUIRED,
        parser.adjustment_converter,
        INVENTORY_ADJUSTMENTS,
    ),
    (parser.RETURNS_REPORT, parser.RETURNS_REQUIRED, parser.return_converter, CUSTOMER_RETURNS),
    (
        finance_parser.REIMBURSEMENTS_REPORT,
        finance_parser.REIMBURSEMENTS_REQUIRED,
        finance_parser.reimbursement_converter,
        REIMBURSEMENT_WRITER,
    ),
)


def run(ctx: SyncContext) -> str:
    cursor = cast(LedgerCursor, ctx.cursor())
    now = ctx.now()
    read_through = parse_timestamp(str(cursor.get("read_through") or ""))
    since = parse_timestamp(str(cursor.get("since") or "")) or now - timedelta(days=LOOKBACK_DAYS)
    start = read_through - timedelta(days=OVERLAP_DAYS) if read_through else since
    steps = len(ctx.marketplaces) * len(REPORTS)
    done = 0
    for marketplace in ctx.marketplaces:
        for report_type, required, converter, writer in REPORTS:
            ctx.checkpoint()
            report = reports.request(
                ctx, report_type, marketplace_ids=[marketplace.marketplace_id], start=start, end=now
            )
            if report is not None:
                reports.ingest_document(
                    ctx,
                    report_type,
                    report=report,
                    required=required,
                    convert=converter(marketplace.marketplace_id),
                    writer=writer,
                )
            done += 1
            ctx.progress(done, steps)
    ctx.save_cursor(LedgerCursor(since=since.isoformat(), read_through=now.isoformat()))
    with team_scope(ctx.team_id):
        # Units returned to sellable stock go back to their batches (ams.costing).
        sales_repriced(ctx.team_id)
    return "incremental" if read_through else "backfill"


def evidence_since(*, team_id: int, connection_id: int) -> datetime | None:
    """From when the claims' evidence is complete: None until a first run has read it whole."""
    with team_scope(team_id):
        cursor = (
            SyncState.objects.filter(
                team_id=team_id, connection_id=connection_id, family=Family.LEDGER
            )
            .values_list("cursor", flat=True)
            .first()
        )
    if not cursor or not cursor.get("read_through"):
        return None
    return parse_timestamp(str(cursor.get("since") or ""))
