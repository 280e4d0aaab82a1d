"""The sync's numbers: ingest throughput beside a plain COPY, and a backfill beside its bound.

Both run against the configured database in a team of their own, removed afterwards.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.core.tenancy import team_scope
from ams.sync.context import SyncContext
from ams.sync.models import Family
from ams.sync.parsers import orders as order_parser
from ams.sync.parsers.flatfile import parse, split_lines
from ams.teams.models import Team

US = "ATVPDKIKX0DER"
# The simulator builds a report in two polls whatever their spacing; Amazon takes seconds to
# minutes, and the sync polls every 10 s by default.
POLL_SECONDS = 2.0
HEADER = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
    "sales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\t"
    "item-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\t"
    "ship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\t"
    "is-business-order\tpurchase-order-number\tprice-designation"
)
START = datetime(2024, 1, 1, tzinfo=UTC)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _bench_team(label: str) -> tuple[Team, SellerConnection]:
    stamp = f"{label}-{int(time.time() * 1000)}"
    team = Team.objects.create(name=f"Benchmark {stamp}", slug=f"bench-{stamp}")
    with team_scope(team.id):
        conn = SellerConnection.objects.create(
            team=team, selling_partner_id=f"BENCH{stamp}"[:64], region="NA", name="Benchmark", authorized_at=timezone.now()
        )
        ConnectionMarketplace.objects.create(
            team=team, connection=conn, marketplace_id=US, country_code="US", currency="USD", name="Amazon.com"
        )
    return team, conn


def _drop_team(team: Team) -> None:
    """Delete set-based first: the ORM's cascade would load every row into memory."""
    with team_scope(team.id), connection.cursor() as cursor:
        for table in ("orders_orderline", "orders_order", "orders_orderday", "orders_skuday", "orders_skusummary", "sync_quarantinedrow", "sync_syncrun", "sync_syncstate", "amazon_connectionmarketplace"):
            cursor.execute(sql.SQL("DELETE FROM {} WHERE team_id = %s").format(sql.Identifier(table)), [team.id])
    with team_scope(team.id):
        team.delete()


def _row(i: int, changed: bool) -> tuple[str, str, datetime, datetime, str, str, str]:
    order = i // 2
    purchased = START + timedelta(seconds=order * 120)
    updated = purchased + timedelta(hours=30 if changed else 6)
    sku = f"SKU-{(i * 7919) % 5000:05d}"
    return f"111-{order // 10_000_000:07d}-{order % 10_000_000:07d}", sku, purchased, updated, "Shipped", "19.99", "1.40" if not changed else "1.45"


def report_chunks(rows: int, *, changed: bool) -> Iterator[bytes]:
    """An all-orders report of ``rows`` lines, two SKUs per order, generated block by block."""
    yield (HEADER + "\n").encode()
    block: list[str] = []
    for i in range(rows):
        order_id, sku, purchased, updated, status, price, tax = _row(i, changed)
        block.append(
            f"{order_id}\t\t{purchased:%Y-%m-%dT%H:%M:%S+00:00}\t{updated:%Y-%m-%dT%H:%M:%S+00:00}\t{status}\tAmazon\t"
            f"Amazon.com\t\tStandard\tA product\t{sku}\tB0{i % 99_999_999:08d}\tShipped\t1\tUSD\t{price}\t{tax}\t0.00\t0.00"
            f"\t\t\t\t\t\t\t\tUS\t\tfalse\t\t\n"
        )
        if len(block) == 5000:
            yield "".join(block).encode()
            block = []
    if block:
        yield "".join(block).encode()


def _copy_rows(rows: int, team_id: int, connection_id: int) -> Iterator[tuple[object, ...]]:
    now = timezone.now()
    zero = Decimal("0.00")
    for i in range(rows):
        order_id, sku, purchased, updated, _status, price, tax = _row(i, False)
        yield (
            team_id, connection_id, US, order_id, sku, f"B0{i % 99_999_999:08d}", purchased, updated, "shipped",
            "AFN", 1, "USD", Decimal(price), zero, Decimal(tax), zero, "", now,
        )


_COPY_COLUMNS = (
    "team_id", "connection_id", "marketplace_id", "amazon_order_id", "sku", "asin", "purchased_at",
    "last_updated_at", "status", "fulfillment_channel", "quantity", "currency", "item_price",
    "shipping_price", "tax", "promotion_discount", "promotion_ids", "synced_at",
)
_COPY_TYPES = (
    "int8", "int8", "text", "text", "text", "text", "timestamptz", "timestamptz", "text", "text", "int4",
    "text", "numeric", "numeric", "numeric", "numeric", "text", "timestamptz",
)


def plain_copy(rows: int, team: Team, conn: SellerConnection) -> float:
    """Rows per second of a binary COPY of the same rows into a table shaped like order lines,
    with the same indexes. A temporary copy of the table: PostgreSQL refuses COPY FROM into a
    table under row-level security, and the app role may not create tables."""
    with team_scope(team.id), connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("CREATE TEMP TABLE bench_copy (LIKE orders_orderline INCLUDING ALL) ON COMMIT DROP")
        started = time.perf_counter()
        names = sql.SQL(", ").join(sql.Identifier(c) for c in _COPY_COLUMNS)
        with raw.copy(sql.SQL("COPY bench_copy ({}) FROM STDIN (FORMAT BINARY)").format(names)) as copy:
            copy.set_types(list(_COPY_TYPES))
            for row in _copy_rows(rows, team.id, conn.id):
                copy.write_row(row)
        elapsed = time.perf_counter() - started
    return rows / elapsed


def _context(team: Team, conn: SellerConnection) -> SyncContext:
    with team_scope(team.id):
        from ams.sync.models import SyncRun, SyncState

        SyncState.objects.get_or_create(team=team, connection=conn, family=Family.ORDERS)
        run = SyncRun.objects.create(team=team, connection=conn, family=Family.ORDERS, mode="bench", started_at=timezone.now())
    return SyncContext(
        team_id=team.id,
        connection_id=conn.id,
        selling_partner_id=conn.selling_partner_id,
        family=Family.ORDERS,
        client=None,  # type: ignore[arg-type]  # ingest never calls Amazon
        marketplaces=[],
        run_id=run.id,
    )


def parsed_ingest(rows: int, team: Team, conn: SellerConnection, *, changed: bool) -> tuple[float, int]:
    """Rows per second through the real path: bytes → lines → parser → COPY to staging → upserts
    into orders and lines → day rollups, batch by batch."""
    from ams.orders import rollups

    ctx = _context(team, conn)
    convert = order_parser.report_converter({US})

    def after_merge(staged: str) -> None:
        rollups.order_days_refresh_from_stage(connection_id=conn.id, staged=staged)

    started = time.perf_counter()
    ctx.ingest(
        parse(split_lines(report_chunks(rows, changed=changed)), required=order_parser.REQUIRED, convert=convert),
        columns=order_parser.LINE_COLUMNS,
        targets=[order_parser.ORDERS, order_parser.LINES],
        source="bench",
        after_merge=after_merge,
    )
    elapsed = time.perf_counter() - started
    return rows / elapsed, ctx.stats.rows_changed


def bench_ingest(rows: int = 1_000_000) -> dict[str, Any]:
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("run outside a transaction")
    team, conn = _bench_team("ingest")
    try:
        copy_rate = plain_copy(rows, team, conn)
        new_rate, new_changed = parsed_ingest(rows, team, conn, changed=False)
        same_rate, same_changed = parsed_ingest(rows, team, conn, changed=False)
        update_rate, update_changed = parsed_ingest(rows, team, conn, changed=True)
    finally:
        _drop_team(team)
    return {
        "rows": rows,
        "rows_per_s": round(new_rate),
        "copy_rows_per_s": round(copy_rate),
        "ratio_new": round(new_rate / copy_rate, 3),
        "update_rows_per_s": round(update_rate),
        "ratio_update": round(update_rate / copy_rate, 3),
        "unchanged_rows_per_s": round(same_rate),
        "rows_written": {"new": new_changed, "unchanged": same_changed, "update": update_changed},
        "peak_rss_mb": peak_rss_mb(),
        "copy_target": "temporary table LIKE orders_orderline INCLUDING ALL (binary COPY)",
    }


def bench_backfill(*, skus: int = 5000, days: int = 95, seed: int = 7) -> dict[str, Any]:
    """An orders backfill of a simulated seller at Amazon's real usage plans, timed, beside the
    lower bound: the waits the usage plans impose on the calls made (beyond each burst) plus a
    plain COPY of the same number of rows."""
    import httpx

    from ams.sync import clients
    from ams.sync.services import sync_run
    from spapi import LwaClient, SpApiClient
    from spapi.ratelimit import MemoryLimiter, usage_plan

    # The simulator runs in a process of its own, so its document generation does not compete
    # with the sync for this process's interpreter lock.
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
        [
            sys.executable, "-m", "spapi_sim", "serve", "--port", str(port), "--seed", str(seed), "--sellers", "1",
            "--skus", str(skus), "--history-days", str(days), "--clock-speed", "60", "--rate-scale", "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    team, conn = _bench_team("backfill")
    try:
        http = httpx.Client(base_url=base_url, timeout=60)
        info = _wait_for(http)
        seller = info["sellers"][0]
        code = http.post("/_sim/authorize", json={"selling_partner_id": seller["selling_partner_id"]}).json()["code"]
        lwa = LwaClient(f"{base_url}/auth/o2/token", info["client_id"], info["client_secret"])
        refresh = lwa.exchange_code(code).refresh_token
        assert refresh is not None
        client = SpApiClient(
            base_url=base_url, lwa=lwa, seller_id=seller["selling_partner_id"],
            refresh_token_provider=lambda: refresh, limiter=MemoryLimiter(),
        )
        with team_scope(team.id):
            SellerConnection.objects.filter(id=conn.id).update(selling_partner_id=seller["selling_partner_id"])
            ConnectionMarketplace.objects.filter(connection=conn).delete()
            for m in seller["marketplaces"]:
                ConnectionMarketplace.objects.create(
                    team=team, connection=conn, marketplace_id=m["id"], country_code=m["country_code"],
                    currency=m["currency"], name=m["country_code"],
                )
        original = clients.client_for
        clients.client_for = lambda _c: client  # type: ignore[assignment]
        settings.SYNC_REPORT_POLL_SECONDS = POLL_SECONDS
        try:
            started = time.perf_counter()
            status = sync_run(team_id=team.id, connection_id=conn.id, family=Family.ORDERS)
            elapsed = time.perf_counter() - started
        finally:
            clients.client_for = original
        stats = http.get("/_sim/stats").json()["operations"]
        truth = http.get(f"/_sim/truth/{seller['selling_partner_id']}", params={"families": "orders"}).json()
        with team_scope(team.id):
            from ams.orders.models import Order, OrderLine

            orders = Order.objects.filter(connection=conn).count()
            lines = OrderLine.objects.filter(connection=conn).count()
        waits = {}
        for operation, counts in stats.items():
            name = _OPERATIONS.get(operation)
            if name is None:
                continue
            plan = usage_plan(name)
            waits[operation] = max(0.0, (counts["requests"] - plan.burst) / plan.rate)
        copy_rate = plain_copy(max(lines, 1), team, conn)
        bound = max(waits.values(), default=0.0) + lines / copy_rate
    finally:
        _drop_team(team)
        server.terminate()
        server.wait(10)
    return {
        "status": str(status),
        "skus": skus,
        "history_days": days,
        "orders": orders,
        "truth_orders": truth.get("orders", {}).get("count"),
        "order_lines": lines,
        "sim_seconds": round(elapsed, 2),
        "bound_seconds": round(bound, 2),
        "ratio": round(elapsed / bound, 2) if bound else None,
        "requests": {op: c["requests"] for op, c in sorted(stats.items())},
        "throttled": sum(c["throttled"] for c in stats.values()),
        "report_poll_seconds": POLL_SECONDS,
        "peak_rss_mb": peak_rss_mb(),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(http: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        try:
            info: dict[str, Any] = http.get("/_sim/info").json()
            return info
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# The simulator's operation names → the client's, for their usage plans.
_OPERATIONS = {
    "createReport": "reports_2021-06-30.createReport",
    "getReport": "reports_2021-06-30.getReport",
    "getReportDocument": "reports_2021-06-30.getReportDocument",
    "searchOrders": "orders_2026-01-01.searchOrders",
}
