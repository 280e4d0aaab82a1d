"""Settlements: the V2 settlement flat files Amazon generates at the end of each period.

They cannot be requested, only listed (the last 90 days) and read. A report is read once: the
ids of the reports already ingested are kept in the cursor, committed with the report's rows.
A report the reader refuses is not one of them: it is kept pending with its report and document
ids (ams/sync/pending.py), so it can be downloaded again after it has left Amazon's list, and is
read when the reader learns its format (``SETTLEMENT_PARSER_VERSION``) or someone asks.

New reports are read newest first, so the latest payouts are there before the older ones; on the
first pass over the list the cursor also keeps ``read_back_to``, the creation time of the oldest
report read so far (how far back the settlements reach), ``latest_read`` once every marketplace's
latest settlement is read (the overview's last payout), and ``listed`` once the pass is done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from ams.core.tenancy import team_scope
from ams.finance import writers
from ams.finance.reconcile import settlements_reconcile
from ams.sync import pending
from ams.sync.context import SyncContext
from ams.sync.cursors import SettlementsCursor
from ams.sync.models import PendingReport
from ams.sync.parsers import finance as parser
from ams.sync.syncers import reports
from spapi.errors import NotFound

LISTABLE_DAYS = 90
REMEMBERED = 500


def run(ctx: SyncContext) -> str:
    cursor = cast(SettlementsCursor, ctx.cursor())
    done: list[str] = list(cursor.get("reports") or [])
    version = parser.SETTLEMENT_PARSER_VERSION
    kept = pending.open_reports(
        team_id=ctx.team_id, connection_id=ctx.connection_id, family=ctx.family
    )
    available: list[dict[str, Any]] = []
    pages = ctx.pages(
        ctx.client.iter_pages(
            ctx.client.get_reports,
            report_types=[parser.SETTLEMENT_REPORT],
            processing_statuses=["DONE"],
            created_since=ctx.now() - timedelta(days=LISTABLE_DAYS),
        )
    )
    for page in pages:
        available.extend(r for r in page.get("reports") or [] if isinstance(r, dict))
    skipped = set(done) | {p.report_id for p in kept}
    new = [
        r for r in available if str(r.get("reportId")) not in skipped and r.get("reportDocumentId")
    ]
    # Newest first: the latest payouts before the older ones.
    new.sort(key=lambda r: str(r.get("createdTime") or ""), reverse=True)
    retries = [p for p in kept if pending.is_due(p, version)]
    total = len(retries) + len(new)
    for number, kept_report in enumerate(retries):
        ctx.checkpoint()
        done = _retry(ctx, kept_report, done, cursor)
        cursor = {**cursor, "reports": done}
        ctx.progress(number + 1, total)
    # A cursor with reports read and neither key made its first pass before they were kept.
    first_pass = not cursor.get("listed") and ("read_back_to" in cursor or "reports" not in cursor)
    latest = _latest_payouts(available)
    for number, report in enumerate(new, start=len(retries)):
        ctx.checkpoint()
        created = str(report.get("createdTime") or "")
        if first_pass and created:
            cursor = {**cursor, "read_back_to": created}
        done, _whole = _read(ctx, report, done, cursor)
        cursor = {**cursor, "reports": done}
        if first_pass and not cursor.get("latest_read") and created and created <= latest:
            # Every marketplace's latest settlement is read: the last payout is whole.
            cursor = {**cursor, "latest_read": True}
            ctx.save_cursor(cursor)
        ctx.progress(number + 1, total)
    if first_pass:
        ctx.save_cursor({**cursor, "listed": True})
    with team_scope(ctx.team_id):
        settlements_reconcile(connection_id=ctx.connection_id)
    return "incremental"


def _latest_payouts(available: list[dict[str, Any]]) -> str:
    """The creation time from which the newest settlement of every marketplace is listed: once
    the reports read newest first reach it, the last payout of each is there."""
    newest: dict[str, str] = {}
    for report in available:
        created = str(report.get("createdTime") or "")
        for marketplace_id in report.get("marketplaceIds") or [""]:
            newest[str(marketplace_id)] = max(newest.get(str(marketplace_id), ""), created)
    return min(newest.values(), default="")


def _read(
    ctx: SyncContext, report: dict[str, Any], done: list[str], cursor: SettlementsCursor
) -> tuple[list[str], bool]:
    """Ingest one settlement report: the ids read (with this one if it was read), and whether
    it was."""
    report_id = str(report["reportId"])
    read = [*done, report_id][-REMEMBERED:]
    whole = reports.ingest_document(
        ctx,
        parser.SETTLEMENT_REPORT,
        report=report,
        required=parser.SETTLEMENT_REQUIRED,
        convert=parser.SettlementRows(report_id),
        writer=writers.settlements(ctx.connection_id),
        cursor={**cursor, "reports": read},
        keep=pending.PendingKey(report_id, parser.SETTLEMENT_PARSER_VERSION),
    )
    return (read if whole else done), whole


def _retry(
    ctx: SyncContext, kept: PendingReport, done: list[str], cursor: SettlementsCursor
) -> list[str]:
    """A pending settlement report, downloaded again by its document id (it may have left
    Amazon's list): read, refused again, or gone from Amazon."""
    report = {"reportId": kept.report_id, "reportDocumentId": kept.document_id}
    try:
        read, whole = _read(ctx, report, done, cursor)
    except NotFound:
        pending.mark_expired(
            team_id=ctx.team_id, pending_id=kept.id, version=parser.SETTLEMENT_PARSER_VERSION
        )
        ctx.problem(
            f"Settlement report {kept.report_id} is no longer available from Amazon; it stays "
            "listed as not imported."
        )
        return done
    if whole:
        pending.resolve(team_id=ctx.team_id, pending_id=kept.id)
    return read
