"""Inventory: FBA buckets from getInventorySummaries (from the MYI report where that API refuses
the marketplace), merchant-fulfilled quantities from the listings report, a daily snapshot, and
Amazon's replenishment advice (restock and planning reports, at most every ``ADVICE_HOURS``:
Amazon regenerates them a few times a day).

Every run reads the whole current state, so the cursor only remembers when the advice reports
were last read. A run requests all its reports at its start, so Amazon builds them side by side
(a connect's first inventory is on the overview within minutes), and reads each in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import structlog

from ams.core import bulk
from ams.core.tenancy import team_scope
from ams.inventory import writers
from ams.inventory.writers import StockRow
from ams.sync.context import SyncContext
from ams.sync.cursors import InventoryCursor
from ams.sync.parsers import inventory as parser
from ams.sync.parsers.flatfile import Parsed, Rejected, RowError, parse_timestamp
from ams.sync.syncers import reports
from spapi.errors import InvalidInput, ReportFailed

log = structlog.get_logger(__name__)

ADVICE_HOURS = 4


# Reports requested at the start of a run, by (report type, marketplace), each then waited for
# where the run reads it: Amazon builds them side by side instead of one after the other.
Ahead = dict[tuple[str, str], str]


def run(ctx: SyncContext) -> str:
    cursor = cast(InventoryCursor, ctx.cursor())
    last_advice = parse_timestamp(str(cursor.get("advice_at") or ""))
    advice_due = last_advice is None or ctx.now() - last_advice >= timedelta(hours=ADVICE_HOURS)
    steps = len(ctx.marketplaces) * (3 if advice_due else 2)
    done = 0
    types = [parser.LISTINGS_REPORT, *(ADVICE_TYPES if advice_due else ())]
    ahead: Ahead = {
        (report_type, m.marketplace_id): reports.create(
            ctx, report_type, marketplace_ids=[m.marketplace_id]
        )
        for m in ctx.marketplaces
        for report_type in types
    }
    for marketplace in ctx.marketplaces:
        ctx.checkpoint()
        fba_stock(ctx, marketplace.marketplace_id)
        done += 1
        merchant_stock(ctx, marketplace.marketplace_id, ahead)
        done += 1
        snapshot(ctx, marketplace.marketplace_id, ctx.now())
        if advice_due:
            advice(ctx, marketplace.marketplace_id, ahead)
            done += 1
        ctx.progress(done, steps)
    if advice_due:
        advised: InventoryCursor = {**cursor, "advice_at": ctx.now().isoformat()}
        ctx.save_cursor(advised)
    return "full"


def fba_stock(ctx: SyncContext, marketplace_id: str) -> None:
    # The page token lives 30 seconds: read every page first, then ingest.
    items: list[Parsed[StockRow] | Rejected] = []
    pages = ctx.pages(
        ctx.client.iter_pages(
            ctx.client.get_inventory_summaries, marketplace_id=marketplace_id, details=True
        )
    )
    try:
        for page in pages:
            for summary in (page.get("payload") or {}).get("inventorySummaries") or []:
                try:
                    items.append(Parsed(0, parser.summary_row(marketplace_id, summary)))
                except RowError as exc:
                    items.append(Rejected(0, str(exc), str(summary.get("sellerSku") or "")[:64]))
    except InvalidInput as exc:
        # Amazon refuses the marketplace itself (the API does not serve it): the MYI report
        # has the same buckets.
        log.info("sync.inventory_summaries_refused", marketplace_id=marketplace_id, error=str(exc))
        fba_stock_from_report(ctx, marketplace_id)
        return
    ctx.ingest(items, writer=writers.STOCK_LEVELS, source="getInventorySummaries")
    if all(isinstance(i, Parsed) for i in items):
        seen = {i.value.sku for i in items if isinstance(i, Parsed)}
        _forget_unseen(ctx, marketplace_id, seen, channel="AFN")


def _requested(
    ctx: SyncContext, ahead: Ahead | None, report_type: str, marketplace_id: str
) -> dict[str, Any] | None:
    """The report requested ahead for the marketplace, once Amazon has built it; requested
    again (``reports.request``, with its retries) if it failed or none was requested ahead."""
    report_id = (ahead or {}).pop((report_type, marketplace_id), None)
    if report_id is not None:
        try:
            return reports.wait(ctx, report_id)
        except ReportFailed as exc:
            log.info("sync.report_failed", report_type=report_type, status=exc.processing_status)
    return reports.request(ctx, report_type, marketplace_ids=[marketplace_id])


def merchant_stock(ctx: SyncContext, marketplace_id: str, ahead: Ahead | None = None) -> None:
    """Merchant-fulfilled quantities from the listings report. The report lists every SKU the
    seller has, so after a whole read with no row set aside, an MFN SKU it no longer lists (a
    deleted listing) is deleted too. A report cancelled for want of data deletes nothing: Amazon
    also cancels for other reasons."""
    report = _requested(ctx, ahead, parser.LISTINGS_REPORT, marketplace_id)
    if report is None:
        return
    _stock_report(
        ctx,
        marketplace_id,
        report,
        parser.LISTINGS_REPORT,
        parser.LISTINGS_REQUIRED,
        parser.merchant_stock_converter(marketplace_id),
        channel="MFN",
    )


def fba_stock_from_report(ctx: SyncContext, marketplace_id: str) -> None:
    """FBA buckets from the MYI report, for a marketplace the inventory summaries API refuses."""
    report = reports.request(ctx, parser.MYI_REPORT, marketplace_ids=[marketplace_id])
    if report is None:
        return
    _stock_report(
        ctx,
        marketplace_id,
        report,
        parser.MYI_REPORT,
        parser.MYI_REQUIRED,
        parser.myi_converter(marketplace_id),
        channel="AFN",
    )


def _stock_report(
    ctx: SyncContext,
    marketplace_id: str,
    report: dict[str, Any],
    report_type: str,
    required: Sequence[str],
    convert: Callable[[Mapping[str, str]], StockRow | None],
    *,
    channel: str,
) -> None:
    """Ingest a report that lists a channel's whole stock in the marketplace; after a whole
    read with no row set aside, delete that channel's SKUs it no longer lists."""
    seen: set[str] = set()

    def converting(row: Mapping[str, str]) -> StockRow | None:
        value = convert(row)
        if value is not None:
            seen.add(value.sku)
        return value

    quarantined = ctx.stats.quarantined
    whole = reports.ingest_document(
        ctx,
        report_type,
        report=report,
        required=required,
        convert=converting,
        writer=writers.STOCK_LEVELS,
    )
    if whole and ctx.stats.quarantined == quarantined:
        _forget_unseen(ctx, marketplace_id, seen, channel=channel)


def _forget_unseen(ctx: SyncContext, marketplace_id: str, seen: set[str], *, channel: str) -> None:
    with team_scope(ctx.team_id):
        writers.stock_forget_unseen(
            connection_id=ctx.connection_id,
            marketplace_id=marketplace_id,
            seen=seen,
            channel=channel,
        )


def snapshot(ctx: SyncContext, marketplace_id: str, now: datetime) -> None:
    with team_scope(ctx.team_id):
        writers.stock_snapshot(
            connection_id=ctx.connection_id, marketplace_id=marketplace_id, day=now.date()
        )


ADVICE_TYPES = (parser.RESTOCK_REPORT, parser.PLANNING_REPORT)


def advice(ctx: SyncContext, marketplace_id: str, ahead: Ahead | None = None) -> None:
    advice_reports: tuple[
        tuple[
            str,
            Sequence[str],
            Callable[[str], Callable[[Mapping[str, str]], tuple[object, ...]]],
            bulk.Writer,
        ],
        ...,
    ] = (
        (
            parser.RESTOCK_REPORT,
            parser.RESTOCK_REQUIRED,
            parser.restock_converter,
            writers.RESTOCK_ADVICE,
        ),
        (
            parser.PLANNING_REPORT,
            parser.PLANNING_REQUIRED,
            parser.planning_converter,
            writers.INVENTORY_HEALTH,
        ),
    )
    for report_type, required, converter, writer in advice_reports:
        report = _requested(ctx, ahead, report_type, marketplace_id)
        if report is None:
            continue
        reports.ingest_document(
            ctx,
            report_type,
            report=report,
            required=required,
            convert=converter(marketplace_id),
            writer=writer,
        )
