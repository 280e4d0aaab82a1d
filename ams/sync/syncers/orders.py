"""Orders: a two-year backfill through the all-orders report, then Orders v2026-01-01.

Backfill: the all-orders report by last update, newest first (ams/sync/backfill.py): the last
``RECENT_DAYS``, then windows of ``WINDOW_DAYS`` going back, every marketplace of the connection in
one report (createReport has the scarcest usage plan). The cursor ``backfill_from`` moves back to a
window's start in the transaction of its last batch. Once the recent window is in, the SKU days and
summaries and the stock at a glance are rebuilt, so the overview's last 30 days are whole while the
older history is still being read.

Incremental: ``searchOrders`` with ``lastUpdatedAfter`` = the watermark less ``OVERLAP`` (an
order updated while the previous run read may have been missed; reading it twice is harmless),
up to Amazon's own "now" (the ``lastUpdatedBefore`` it answers with), which becomes the new
watermark, again in the transaction of the last batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast

from ams.core.tenancy import team_scope
from ams.costing.refresh import sales_repriced
from ams.inventory.stock_health import stock_health_refresh
from ams.orders import rollups, writers
from ams.orders.writers import OrderLineRow
from ams.procurement import window_costs
from ams.profit import rollups as profit_rollups
from ams.sync import backfill as history
from ams.sync import pending
from ams.sync.context import RecentRead, SyncContext
from ams.sync.cursors import OrdersCursor
from ams.sync.parsers import orders as parser
from ams.sync.parsers.flatfile import Parsed, Rejected, RowError, parse_timestamp
from ams.sync.syncers import reports
from spapi.errors import ReportFailed
from spapi.reports import CANCELLED

BACKFILL_DAYS = 730
WINDOW_DAYS = 30
OVERLAP = timedelta(minutes=10)
# Reports in flight at once during the backfill.
PIPELINE = 3
INCLUDED_DATA = ("PROCEEDS", "FULFILLMENT", "PROMOTION", "CANCELLATION")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _moment(value: Any) -> datetime | None:
    return parse_timestamp(str(value)) if value else None


def run(ctx: SyncContext) -> str:
    retry_pending(ctx)
    cursor = cast(OrdersCursor, ctx.cursor())
    mode = "incremental"
    if not cursor.get("backfill_done"):
        backfill(ctx, cursor)
        mode = "backfill"
    incremental(ctx)
    refresh_summaries(ctx)
    return mode


def _nothing_before(ctx: SyncContext, earliest: datetime, end: datetime, newest: bool) -> bool:
    """True if the seller has no order created between ``earliest`` and ``end``: one cheap
    searchOrders call instead of a report per empty window back to the start of the backfill."""
    page = ctx.client.search_orders(
        marketplace_ids=ctx.marketplace_ids,
        created_after=earliest,
        # The newest window ends "now" by AMS's clock, which may run ahead of Amazon's.
        created_before=None if newest else end,
        max_results_per_page=1,
    )
    return not page.get("orders")


def backfill(ctx: SyncContext, cursor: OrdersCursor) -> None:
    """Report windows from the newest back to ``BACKFILL_DAYS`` ago (or the team's retention
    window, if shorter), ``PIPELINE`` reports in
    flight: createReport's usage plan (one a minute after a burst of 15) is the bound, so the
    next reports are being built by Amazon while the current one is ingested. The newest window
    comes first so recent orders are there within minutes; the cursor ``backfill_from`` moves
    back window by window, each time with the window's last batch."""
    until = _moment(cursor.get("backfill_until")) or ctx.now().replace(microsecond=0)
    earliest = max(until - timedelta(days=BACKFILL_DAYS), ctx.retention_start())
    done_from = _moment(cursor.get("backfill_from")) or until
    cursor = {**cursor, "backfill_until": _iso(until)}
    ctx.save_cursor(cursor)
    windows = history.windows(until, done_from, earliest, window_days=WINDOW_DAYS)
    total = sum(1 for _ in history.windows(until, done_from, earliest, window_days=WINDOW_DAYS))
    pending_reports: deque[tuple[datetime, datetime, str, int]] = deque()

    def submit(a: datetime, b: datetime, attempt: int, *, front: bool = False) -> None:
        report_id = reports.create(
            ctx, parser.REPORT_TYPE, marketplace_ids=ctx.marketplace_ids, start=a, end=b
        )
        if front:
            pending_reports.appendleft((a, b, report_id, attempt))
        else:
            pending_reports.append((a, b, report_id, attempt))

    # A job that gives its worker up once the last 30 days are in asks for nothing older before.
    recent_only = ctx.yield_recent and done_from == until

    def refill() -> None:
        while len(pending_reports) < (1 if recent_only else PIPELINE):
            window = next(windows, None)
            if window is None:
                return
            submit(*window, 0)

    refill()
    finished = 0
    while pending_reports:
        ctx.checkpoint()
        a, b, report_id, attempt = pending_reports.popleft()
        newest = b == until
        try:
            report: dict[str, Any] | None = reports.wait(ctx, report_id)
        except ReportFailed as exc:
            if exc.processing_status == CANCELLED and _nothing_before(ctx, earliest, b, newest):
                # No order at all before this window's end: the backfill is complete.
                pending_reports.clear()
                report, a = None, earliest
            elif attempt + 1 < reports.ATTEMPTS:
                submit(a, b, attempt + 1, front=True)
                continue
            elif exc.processing_status == CANCELLED:
                report = None  # a gap in the seller's history
            else:
                raise
        next_cursor: OrdersCursor = {
            **cursor,
            "backfill_from": _iso(a),
            "backfill_done": a <= earliest,
        }
        if "updated_after" not in next_cursor:
            # Amazon's clock (the report's covered end) decides where the incremental sync starts.
            covered = reports.covered_until(report, b) if report is not None else earliest
            next_cursor["updated_after"] = _iso(min(covered, b))
        if report is None:
            ctx.save_cursor(next_cursor)
        else:
            # A window the reader refuses is kept pending (to be requested again), and the
            # backfill moves on to older windows in the same transaction.
            _ingest_window(
                ctx,
                report,
                pending.PendingKey(str(report.get("reportId") or ""), parser.PARSER_VERSION, a, b),
                cursor=next_cursor,
                cursor_on_refusal=next_cursor,
            )
        cursor = next_cursor
        finished += 1
        if newest and not cursor.get("backfill_done"):
            # The last 30 days are in: what the overview reads of them is made whole now, not
            # after the older history.
            recent_ready(ctx)
            if recent_only:
                ctx.progress(finished, total)
                raise RecentRead("orders: the last 30 days are stored")
        ctx.progress(finished, total)
        if not cursor.get("backfill_done"):
            refill()


def _ingest_window(
    ctx: SyncContext,
    report: dict[str, Any],
    keep: pending.PendingKey,
    *,
    cursor: OrdersCursor | None,
    cursor_on_refusal: OrdersCursor | None,
) -> bool:
    return reports.ingest_document(
        ctx,
        parser.REPORT_TYPE,
        report=report,
        required=parser.REQUIRED,
        convert=parser.report_converter(set(ctx.marketplace_ids)),
        writer=writers.order_lines(ctx.connection_id, from_report=True),
        cursor=cursor,
        conversion=parser.report_sql(set(ctx.marketplace_ids)),
        keep_together="amazon-order-id",
        keep=keep,
        cursor_on_refusal=cursor_on_refusal,
    )


def retry_pending(ctx: SyncContext) -> None:
    """Report windows the reader refused, requested and read again once it has changed (or
    someone asked): a requested report can always be built again, so none is ever expired."""
    for kept in pending.open_reports(
        team_id=ctx.team_id, connection_id=ctx.connection_id, family=ctx.family
    ):
        if not pending.is_due(kept, parser.PARSER_VERSION):
            continue
        if kept.window_start is None or kept.window_end is None:
            continue
        ctx.checkpoint()
        report = reports.request(
            ctx,
            parser.REPORT_TYPE,
            marketplace_ids=ctx.marketplace_ids,
            start=kept.window_start,
            end=kept.window_end,
        )
        key = pending.PendingKey(
            kept.report_id, parser.PARSER_VERSION, kept.window_start, kept.window_end
        )
        if report is None or _ingest_window(ctx, report, key, cursor=None, cursor_on_refusal=None):
            pending.resolve(team_id=ctx.team_id, pending_id=kept.id)


def incremental(ctx: SyncContext) -> None:
    cursor = cast(OrdersCursor, ctx.cursor())
    after = (_moment(cursor.get("updated_after")) or ctx.now() - timedelta(days=1)) - OVERLAP
    marketplace_ids = set(ctx.marketplace_ids)
    watermark: dict[str, datetime] = {}

    def items() -> Iterator[Parsed[OrderLineRow] | Rejected]:
        pages = ctx.pages(
            ctx.client.iter_pages(
                ctx.client.search_orders,
                marketplace_ids=ctx.marketplace_ids,
                last_updated_after=after,
                included_data=list(INCLUDED_DATA),
                max_results_per_page=100,
            )
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

    def final_cursor() -> OrdersCursor:
        before = watermark.get("before") or after + OVERLAP
        return {**cursor, "updated_after": _iso(before)}

    ctx.ingest(
        items(),
        writer=writers.order_lines(ctx.connection_id, from_report=False),
        source="searchOrders",
        cursor=final_cursor,
    )


def sku_summary_refresh(*, connection_id: int, marketplace_id: str, now: datetime) -> None:
    """Rebuild one marketplace's SKU summary and price its rows' cost of goods over the same
    windows, in the caller's transaction: the overview reads both, and never reads priced windows
    older than the summary. Orders knows nothing of costs; procurement, above it, prices them."""
    rollups.sku_summaries_refresh(
        connection_id=connection_id, marketplace_id=marketplace_id, now=now
    )
    window_costs.sku_window_costs_refresh(
        connection_id=connection_id, marketplace_id=marketplace_id
    )


def recent_ready(ctx: SyncContext) -> None:
    """The SKU days, summaries and stock at a glance rebuilt from the orders stored so far."""
    refresh_summaries(ctx)
    with team_scope(ctx.team_id):
        stock_health_refresh(connection_id=ctx.connection_id, marketplace_ids=ctx.marketplace_ids)


def refresh_summaries(ctx: SyncContext) -> None:
    now = ctx.now()
    with team_scope(ctx.team_id):
        rebuilt = rollups.sku_days_catch_up(connection_id=ctx.connection_id)
        # The new lines consume their batches (ams.costing): from their own day, not from scratch.
        sales_repriced(ctx.team_id)
        # The profit read model's sales and cost of goods follow the SKU days, in their transaction.
        for marketplace_id, first_day, last_day in rebuilt:
            profit_rollups.sales_refresh(
                connection_id=ctx.connection_id,
                marketplace_id=marketplace_id,
                first_day=first_day,
                last_day=last_day,
            )
    for marketplace_id in ctx.marketplace_ids:
        with team_scope(ctx.team_id):
            sku_summary_refresh(
                connection_id=ctx.connection_id, marketplace_id=marketplace_id, now=now
            )
