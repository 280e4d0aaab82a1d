"""Orders: a two-year backfill through the all-orders report, then Orders v2026-01-01.

Backfill: the all-orders report by last update, in windows of ``WINDOW_DAYS``, oldest first,
every marketplace of the connection in one report (createReport has the scarcest usage plan). The
cursor ``backfill_through`` moves to a window's end in the transaction of its last batch.

Incremental: ``searchOrders`` with ``lastUpdatedAfter`` = the watermark less ``OVERLAP`` (an
order updated while the previous run read may have been missed; reading it twice is harmless),
up to Amazon's own "now" (the ``lastUpdatedBefore`` it answers with), which becomes the new
watermark, again in the transaction of the last batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from ams.core.tenancy import team_scope
from ams.orders import rollups
from ams.sync.context import SyncContext
from ams.sync.parsers import orders as parser
from ams.sync.parsers.flatfile import Parsed, Rejected, RowError, parse_timestamp
from ams.sync.syncers import reports

BACKFILL_DAYS = 730
WINDOW_DAYS = 30
OVERLAP = timedelta(minutes=10)
# Amazon answers with whole seconds; an end earlier than asked by more than this was clamped.
CLAMP_TOLERANCE = timedelta(minutes=1)
INCLUDED_DATA = ("PROCEEDS", "FULFILLMENT", "PROMOTION", "CANCELLATION")
TARGETS = (parser.ORDERS, parser.LINES)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _moment(value: Any) -> datetime | None:
    return parse_timestamp(str(value)) if value else None


def run(ctx: SyncContext) -> str:
    cursor = ctx.cursor()
    mode = "incremental"
    if not cursor.get("backfill_done"):
        backfill(ctx, cursor)
        mode = "backfill"
    incremental(ctx)
    refresh_summaries(ctx)
    return mode


def _refresh_days(ctx: SyncContext) -> Any:
    def after_merge(staged: str) -> None:
        rollups.order_days_refresh_from_stage(connection_id=ctx.connection_id, staged=staged)

    return after_merge


def backfill(ctx: SyncContext, cursor: dict[str, Any]) -> None:
    now = ctx.now().replace(microsecond=0)
    until = _moment(cursor.get("backfill_until")) or now
    start = _moment(cursor.get("backfill_through")) or until - timedelta(days=BACKFILL_DAYS)
    cursor = {**cursor, "backfill_until": _iso(until), "backfill_through": _iso(start)}
    ctx.save_cursor(cursor)
    windows: list[tuple[datetime, datetime]] = []
    a = start
    while a < until:
        b = min(a + timedelta(days=WINDOW_DAYS), until)
        windows.append((a, b))
        a = b
    convert = parser.report_converter(set(ctx.marketplace_ids))
    for done, (a, b) in enumerate(windows):
        ctx.checkpoint()
        report = reports.request(
            ctx, parser.REPORT_TYPE, marketplace_ids=ctx.marketplace_ids, start=a, end=b
        )
        through = reports.covered_until(report, b) if report is not None else b
        # Amazon clamps a window that reaches past its own clock: nothing newer exists yet, and
        # the incremental sync takes over from there.
        last = done == len(windows) - 1 or through < b - CLAMP_TOLERANCE
        next_cursor = {**cursor, "backfill_through": _iso(through)}
        if last:
            # Amazon's clock decides where the incremental sync picks up.
            next_cursor.update(backfill_done=True, updated_after=_iso(min(through, b)))
        if report is None:
            ctx.save_cursor(next_cursor)
        else:
            reports.ingest_document(
                ctx,
                parser.REPORT_TYPE,
                report=report,
                required=parser.REQUIRED,
                convert=convert,
                columns=parser.LINE_COLUMNS,
                targets=TARGETS,
                after_merge=_refresh_days(ctx),
                cursor=next_cursor,
            )
        cursor = next_cursor
        ctx.progress(done + 1, len(windows))
        if last:
            break


def incremental(ctx: SyncContext) -> None:
    cursor = ctx.cursor()
    after = (_moment(cursor.get("updated_after")) or ctx.now() - timedelta(days=1)) - OVERLAP
    marketplace_ids = set(ctx.marketplace_ids)
    watermark: dict[str, datetime] = {}

    def items() -> Iterator[Parsed[tuple[object, ...]] | Rejected]:
        pages = ctx.client.iter_pages(
            ctx.client.search_orders,
            marketplace_ids=ctx.marketplace_ids,
            last_updated_after=after,
            included_data=list(INCLUDED_DATA),
            max_results_per_page=100,
        )
        for number, page in enumerate(pages):
            if number == 0:
                before = _moment(page.get("lastUpdatedBefore"))
                if before is not None:
                    watermark["before"] = before
            for order in page.get("orders") or []:
                try:
                    rows = parser.api_rows(order, marketplace_ids)
                except RowError as exc:
                    yield Rejected(0, str(exc), str(order.get("orderId") or "")[:40])
                    continue
                for row in rows:
                    yield Parsed(0, row)
            ctx.checkpoint()

    def final_cursor() -> dict[str, Any]:
        before = watermark.get("before") or after + OVERLAP
        return {**cursor, "updated_after": _iso(before)}

    ctx.ingest(
        items(),
        columns=parser.LINE_COLUMNS,
        targets=TARGETS,
        source="searchOrders",
        after_merge=_refresh_days(ctx),
        cursor=final_cursor,
    )


def refresh_summaries(ctx: SyncContext) -> None:
    now = ctx.now()
    for marketplace_id in ctx.marketplace_ids:
        with team_scope(ctx.team_id):
            rollups.sku_summaries_refresh(connection_id=ctx.connection_id, marketplace_id=marketplace_id, now=now)
