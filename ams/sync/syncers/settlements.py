"""Settlements: the V2 settlement flat files Amazon generates at the end of each period.

They cannot be requested, only listed (the last 90 days) and read. A report is read once: the
ids of the reports already ingested are kept in the cursor, committed with the report's rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from ams.core.tenancy import team_scope
from ams.finance import writers
from ams.finance.reconcile import settlements_reconcile
from ams.sync.context import SyncContext
from ams.sync.cursors import SettlementsCursor
from ams.sync.parsers import finance as parser
from ams.sync.syncers import reports

LISTABLE_DAYS = 90
REMEMBERED = 500


def run(ctx: SyncContext) -> str:
    cursor = cast(SettlementsCursor, ctx.cursor())
    done: list[str] = list(cursor.get("reports") or [])
    available: list[dict[str, Any]] = []
    pages = ctx.client.iter_pages(
        ctx.client.get_reports,
        report_types=[parser.SETTLEMENT_REPORT],
        processing_statuses=["DONE"],
        created_since=ctx.now() - timedelta(days=LISTABLE_DAYS),
    )
    for page in pages:
        available.extend(r for r in page.get("reports") or [] if isinstance(r, dict))
    new = [r for r in available if str(r.get("reportId")) not in done and r.get("reportDocumentId")]
    new.sort(key=lambda r: str(r.get("createdTime") or ""))
    for number, report in enumerate(new):
        ctx.checkpoint()
        done = [*done, str(report["reportId"])][-REMEMBERED:]
        cursor = {**cursor, "reports": done}
        reports.ingest_document(
            ctx,
            parser.SETTLEMENT_REPORT,
            report=report,
            required=parser.SETTLEMENT_REQUIRED,
            convert=parser.SettlementRows(str(report["reportId"])),
            writer=writers.settlements(ctx.connection_id),
            cursor=cursor,
        )
        ctx.progress(number + 1, len(new))
    with team_scope(ctx.team_id):
        settlements_reconcile(connection_id=ctx.connection_id)
    return "incremental"
