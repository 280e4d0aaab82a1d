"""The sync's numbers: ingest throughput beside a plain COPY, and a backfill beside its bound.

Both run against the configured database in a team of their own, removed afterwards.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from ams.sync.context import SyncContext
from ams.sync.models import Family
from ams.sync.parsers import orders as order_parser
from ams.sync.parsers.flatfile import BlockReader
from ams.teams.models import Team

US = "ATVPDKIKX0DER"
# The backfill's simulator runs its clock this many times faster than real time, so a report
# Amazon builds in a minute is built in a second; the usage plans stay at Amazon's real rates.
CLOCK_SPEED = 60.0
# The sync's own polling schedule (a first poll after 1 s, then at most every 10 s), in the
# simulator's time: polling a 60x clock every real second would be polling Amazon every minute.
FIRST_POLL_SECONDS = 1.0 / CLOCK_SPEED
POLL_SECONDS = 10.0 / CLOCK_SPEED
HEADER = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
    "sales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\t"
    "item-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\t"
    "ship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\t"
    "is-business-order\tpurchase-order-number\tprice-designation"
)
START = datetime(2024, 1, 1, tzinfo=UTC)
# The backfill's seller: 5,000 SKUs with two years of history (what the backfill reads) and
# demand scaled so the two years hold about 100,000 orders (99,000 at 0.12, 103,000 at 0.125).
HISTORY_DAYS = 730
DEMAND_SCALE = 0.122


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _bench_team(label: str) -> tuple[Team, SellerConnection]:
    stamp = f"{label}-{int(time.time() * 1000)}"
    team = Team.objects.create(name=f"Benchmark {stamp}", slug=f"bench-{stamp}")
    with team_scope(team.id):
        conn = SellerConnection.objects.create(
            team=team,
            selling_partner_id=f"BENCH{stamp}"[:64],
            region="NA",
            name="Benchmark",
            authorized_at=timezone.now(),
        )
        ConnectionMarketplace.objects.create(
            team=team,
            connection=conn,
            marketplace_id=US,
            country_code="US",
            currency="USD",
            name="Amazon.com",
        )
    return team, conn


def _drop_team(team: Team) -> None:
    """Delete set-based first: the ORM's cascade would load every row into memory."""
    with team_scope(team.id), connection.cursor() as cursor:
        for table in (
            "orders_orderline",
            "orders_order",
            "orders_orderday",
            "orders_skuday",
            "orders_skudaybacklog",
            "orders_skusummary",
            "sync_quarantinedrow",
            "sync_syncrun",
            "sync_syncstate",
            "amazon_connectionmarketplace",
        ):
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE team_id = %s").format(sql.Identifier(table)),
                [team.id],
            )
    with team_scope(team.id):
        team.delete()


def _row(i: int, changed: bool) -> tuple[str, str, datetime, datetime, str, str, str]:
    order = i // 2
    purchased = START + timedelta(seconds=order * 120)
    updated = purchased + timedelta(hours=30 if changed else 6)
    sku = f"SKU-{(i * 7919) % 5000:05d}"
    return (
        f"111-{order // 10_000_000:07d}-{order % 10_000_000:07d}",
        sku,
        purchased,
        updated,
        "Shipped",
        "19.99",
        "1.40" if not changed else "1.45",
    )


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
            team_id,
            connection_id,
            US,
            order_id,
            sku,
            f"B0{i % 99_999_999:08d}",
            purchased,
            updated,
            "shipped",
            "AFN",
            1,
            "USD",
            Decimal(price),
            zero,
            Decimal(tax),
            zero,
            "",
            now,
        )


_COPY_COLUMNS = (
    "team_id",
    "connection_id",
    "marketplace_id",
    "amazon_order_id",
    "sku",
    "asin",
    "purchased_at",
    "last_updated_at",
    "status",
    "fulfillment_channel",
    "quantity",
    "currency",
    "item_price",
    "shipping_price",
    "tax",
    "promotion_discount",
    "promotion_ids",
    "synced_at",
)
_COPY_TYPES = (
    "int8",
    "int8",
    "text",
    "text",
    "text",
    "text",
    "timestamptz",
    "timestamptz",
    "text",
    "text",
    "int4",
    "text",
    "numeric",
    "numeric",
    "numeric",
    "numeric",
    "text",
    "timestamptz",
)
_CHUNK = 1 << 20


def _write_binary_copy(rows: int, team: Team, conn: SellerConnection, encoded: IO[bytes]) -> None:
    """The rows in COPY's binary format, into ``encoded``: encoded by PostgreSQL itself
    (through a temporary table), so that timing the COPY times the database alone."""
    names = sql.SQL(", ").join(sql.Identifier(c) for c in _COPY_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            "CREATE TEMP TABLE bench_rows (LIKE orders_orderline INCLUDING DEFAULTS INCLUDING IDENTITY) ON COMMIT DROP"
        )
        with raw.copy(
            sql.SQL("COPY bench_rows ({}) FROM STDIN (FORMAT BINARY)").format(names)
        ) as copy:
            copy.set_types(list(_COPY_TYPES))
            for row in _copy_rows(rows, team.id, conn.id):
                copy.write_row(row)
        with raw.copy(
            sql.SQL("COPY bench_rows ({}) TO STDOUT (FORMAT BINARY)").format(names)
        ) as copy:
            for data in copy:
                encoded.write(data)
    encoded.seek(0)


def plain_copy(rows: int, team: Team, conn: SellerConnection) -> float:
    """Rows per second of a plain binary COPY of the same rows into a table like order lines:
    the same columns and indexes, WAL-logged like it, without row-level security (PostgreSQL
    refuses COPY FROM into a table under it). The owner role creates and drops it; the rows are
    encoded beforehand, so only the COPY and its commit are timed."""
    names = sql.SQL(", ").join(sql.Identifier(c) for c in _COPY_COLUMNS)
    table = sql.Identifier(f"bench_copy_{os.getpid()}")
    copy_from = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table, names)
    with tempfile.TemporaryFile() as encoded:
        _write_binary_copy(rows, team, conn, encoded)
        with connected_as("owner"):
            with connection.cursor() as cursor:
                cursor.cursor.execute(
                    sql.SQL("CREATE TABLE {} (LIKE orders_orderline INCLUDING ALL)").format(table)
                )
            try:
                started = time.perf_counter()
                with (
                    transaction.atomic(),
                    connection.cursor() as cursor,
                    cursor.cursor.copy(copy_from) as copy,
                ):
                    while data := encoded.read(_CHUNK):
                        copy.write(data)
                elapsed = time.perf_counter() - started
            finally:
                with connection.cursor() as cursor:
                    cursor.cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    return rows / elapsed


def _context(team: Team, conn: SellerConnection) -> SyncContext:
    with team_scope(team.id):
        from ams.sync.models import SyncRun, SyncState

        SyncState.objects.get_or_create(team=team, connection=conn, family=Family.ORDERS)
        run = SyncRun.objects.create(
            team=team,
            connection=conn,
            family=Family.ORDERS,
            mode="bench",
            started_at=timezone.now(),
        )
    return SyncContext(
        team_id=team.id,
        connection_id=conn.id,
        selling_partner_id=conn.selling_partner_id,
        family=Family.ORDERS,
        client=None,  # type: ignore[arg-type]  # ingest never calls Amazon
        marketplaces=[],
        run_id=run.id,
    )


def _write_report(rows: int, report: IO[bytes], *, changed: bool) -> None:
    for chunk in report_chunks(rows, changed=changed):
        report.write(chunk)


def _read(report: IO[bytes]) -> Iterator[bytes]:
    """The document as a download gives it: pieces of 64 KiB."""
    report.seek(0)
    while data := report.read(1 << 16):
        yield data


def parsed_ingest(
    rows: int, team: Team, conn: SellerConnection, report: IO[bytes]
) -> tuple[float, int]:
    """Rows per second through the real path of an all-orders report: bytes → blocks → COPY to
    staging → conversion in the database (and Python for the lines it declines) → upserts into
    orders and lines → day rollups, block by block, as a backfill does."""
    from ams.orders import writers

    ctx = _context(team, conn)
    started = time.perf_counter()
    ctx.ingest_blocks(
        BlockReader(_read(report), keep_together="amazon-order-id"),
        conversion=order_parser.report_sql({US}),
        required=order_parser.REQUIRED,
        convert=order_parser.report_converter({US}),
        writer=writers.order_lines(conn.id, from_report=True),
        source="bench",
    )
    elapsed = time.perf_counter() - started
    return rows / elapsed, ctx.stats.rows_changed


def bench_ingest(rows: int = 1_000_000) -> dict[str, Any]:
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("run outside a transaction")
    team, conn = _bench_team("ingest")
    try:
        with tempfile.TemporaryFile() as new_report, tempfile.TemporaryFile() as changed_report:
            _write_report(rows, new_report, changed=False)
            _write_report(rows, changed_report, changed=True)
            # The COPY is timed before and after the ingest, and the faster of the two counts:
            # on a shared machine a checkpoint or autovacuum can slow either, and the faster COPY
            # makes the ratios the harder ones.
            copy_rates = [plain_copy(rows, team, conn)]
            new_rate, new_changed = parsed_ingest(rows, team, conn, new_report)
            same_rate, same_changed = parsed_ingest(rows, team, conn, new_report)
            update_rate, update_changed = parsed_ingest(rows, team, conn, changed_report)
            copy_rates.append(plain_copy(rows, team, conn))
            copy_rate = max(copy_rates)
    finally:
        _drop_team(team)
    return {
        "rows": rows,
        "rows_per_s": round(new_rate),
        "copy_rows_per_s": round(copy_rate),
        "copy_rows_per_s_before_and_after": [round(rate) for rate in copy_rates],
        "ratio_new": round(new_rate / copy_rate, 3),
        "update_rows_per_s": round(update_rate),
        "ratio_update": round(update_rate / copy_rate, 3),
        "unchanged_rows_per_s": round(same_rate),
        "rows_written": {"new": new_changed, "unchanged": same_changed, "update": update_changed},
        "peak_rss_mb": peak_rss_mb(),
        "copy_target": "table LIKE orders_orderline INCLUDING ALL, WAL-logged, rows pre-encoded (binary COPY)",
    }


def bench_backfill(
    *, skus: int = 5000, days: int = HISTORY_DAYS, demand_scale: float | None = None, seed: int = 7
) -> dict[str, Any]:
    """An orders backfill of a simulated seller at Amazon's real usage plans, timed, beside its
    lower bound (docs/sync.md, "The backfill's bound"): no client can finish before the usage
    plans allow the calls it needs, nor before the first report exists plus the time a plain
    binary COPY of the same rows takes."""
    import httpx

    demand = DEMAND_SCALE if demand_scale is None else demand_scale

    from ams.sync import clients
    from ams.sync.services import sync_run
    from spapi import LwaClient, SpApiClient
    from spapi.ratelimit import MemoryLimiter

    # The simulator runs in a process of its own, so its document generation does not compete
    # with the sync for this process's interpreter lock.
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
        [
            sys.executable,
            "-m",
            "spapi_sim",
            "serve",
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--sellers",
            "1",
            "--skus",
            str(skus),
            "--history-days",
            str(days),
            "--demand-scale",
            str(demand),
            "--clock-speed",
            str(CLOCK_SPEED),
            "--rate-scale",
            "1",
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
        code = http.post(
            "/_sim/authorize", json={"selling_partner_id": seller["selling_partner_id"]}
        ).json()["code"]
        lwa = LwaClient(f"{base_url}/auth/o2/token", info["client_id"], info["client_secret"])
        refresh = lwa.exchange_code(code).refresh_token
        assert refresh is not None
        client = SpApiClient(
            base_url=base_url,
            lwa=lwa,
            seller_id=seller["selling_partner_id"],
            refresh_token_provider=lambda: refresh,
            limiter=MemoryLimiter(),
        )
        with team_scope(team.id):
            SellerConnection.objects.filter(id=conn.id).update(
                selling_partner_id=seller["selling_partner_id"]
            )
            ConnectionMarketplace.objects.filter(connection=conn).delete()
            for m in seller["marketplaces"]:
                ConnectionMarketplace.objects.create(
                    team=team,
                    connection=conn,
                    marketplace_id=m["id"],
                    country_code=m["country_code"],
                    currency=m["currency"],
                    name=m["country_code"],
                )
        http.post("/_sim/stats/reset")
        original = clients.client_for
        clients.client_for = lambda _c: client  # type: ignore[assignment]
        settings.SYNC_REPORT_FIRST_POLL_SECONDS = FIRST_POLL_SECONDS
        settings.SYNC_REPORT_POLL_SECONDS = POLL_SECONDS
        spent = _Stopwatch()
        try:
            with spent.watching():
                sim_cpu = _cpu_seconds(server.pid)
                own_cpu = time.process_time()
                started = time.perf_counter()
                status = sync_run(team_id=team.id, connection_id=conn.id, family=Family.ORDERS)
                elapsed = time.perf_counter() - started
                own_cpu = time.process_time() - own_cpu
                sim_cpu = _cpu_seconds(server.pid) - sim_cpu
        finally:
            clients.client_for = original
        stats = http.get("/_sim/stats").json()["operations"]
        truth = http.get(
            f"/_sim/truth/{seller['selling_partner_id']}", params={"families": "orders"}
        ).json()
        first_report = (
            _build_seconds(client, spent.report_ids[0]) / CLOCK_SPEED if spent.report_ids else 0.0
        )
        with team_scope(team.id):
            from ams.orders.models import Order, OrderLine

            orders = Order.objects.filter(connection=conn).count()
            lines = OrderLine.objects.filter(connection=conn).count()
        plan_seconds = _usage_plan_seconds({op: c["requests"] for op, c in stats.items()})
        copy_rate = plain_copy(max(lines, 1), team, conn)
        copy_seconds = lines / copy_rate
        bound = max(plan_seconds, first_report + copy_seconds)
    finally:
        _drop_team(team)
        server.terminate()
        server.wait(10)
    waiting = spent.seconds["report_waits"] + spent.seconds["empty_history_check"]
    return {
        "status": str(status),
        "skus": skus,
        "history_days": days,
        "demand_scale": demand,
        "orders": orders,
        "truth_orders": truth.get("orders", {}).get("count"),
        "order_lines": lines,
        "sim_seconds": round(elapsed, 2),
        "bound_seconds": round(bound, 2),
        "ratio": round(elapsed / bound, 2) if bound else None,
        "bound_parts": {
            "usage_plans": round(plan_seconds, 2),
            "first_report": round(first_report, 2),
            "copy": round(copy_seconds, 2),
            "copy_rows_per_s": round(copy_rate),
        },
        "time_parts": {
            "ingest": round(spent.seconds["ingest"], 2),
            "waiting_for_reports": round(waiting, 2),
            # createReport calls, nearly all of it waiting for the usage plan's next token.
            "creating_reports": round(spent.seconds["create"], 2),
            "sku_summaries": round(spent.seconds["summaries"], 2),
            "other": round(elapsed - sum(spent.seconds.values()), 2),
        },
        # CPU seconds during the run: the sync's process (parsing, on two threads) and the
        # simulator's (mostly rendering documents), which share this machine's cores.
        "cpu_seconds": {"sync": round(own_cpu, 2), "simulator": round(sim_cpu, 2)},
        "requests": {op: c["requests"] for op, c in sorted(stats.items())},
        "throttled": sum(c["throttled"] for c in stats.values()),
        "clock_speed": CLOCK_SPEED,
        "report_poll_seconds": [round(FIRST_POLL_SECONDS, 3), round(POLL_SECONDS, 3)],
        "peak_rss_mb": peak_rss_mb(),
    }


class _Stopwatch:
    """Seconds the backfill spends inside ingest and waiting for reports, and the reports it
    created in order: the bench wraps the functions for the length of one run."""

    def __init__(self) -> None:
        self.seconds = {
            "ingest": 0.0,
            "report_waits": 0.0,
            "empty_history_check": 0.0,
            "summaries": 0.0,
            "create": 0.0,
        }
        self.report_ids: list[str] = []

    def _timed(self, name: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    @contextmanager
    def watching(self) -> Iterator[None]:
        from ams.sync.syncers import orders, reports

        def create(*args: Any, **kwargs: Any) -> str:
            report_id: str = timed_create(*args, **kwargs)
            self.report_ids.append(report_id)
            return report_id

        original_ingest, original_wait, original_create = (
            reports.ingest_document,
            reports.wait,
            reports.create,
        )
        original_check, original_summaries = orders._nothing_before, orders.refresh_summaries
        timed_create = self._timed("create", original_create)
        # A document's download and its ingest overlap; both count as ingest.
        reports.ingest_document = self._timed("ingest", original_ingest)
        reports.wait = self._timed("report_waits", original_wait)
        reports.create = create
        orders._nothing_before = self._timed("empty_history_check", original_check)
        orders.refresh_summaries = self._timed("summaries", original_summaries)
        try:
            yield
        finally:
            reports.ingest_document = original_ingest
            reports.wait, reports.create, orders._nothing_before = (
                original_wait,
                original_create,
                original_check,
            )
            orders.refresh_summaries = original_summaries


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _build_seconds(client: Any, report_id: str) -> float:
    """Simulated seconds Amazon took to build the report, by its own timestamps."""
    report = client.get_report(report_id)
    created = datetime.fromisoformat(report["createdTime"])
    return (datetime.fromisoformat(report["processingEndTime"]) - created).total_seconds()


def _usage_plan_seconds(requests: dict[str, int]) -> float:
    """The least time Amazon's usage plans allow for these calls: each operation's calls past
    its burst at its rate, the slowest operation deciding. getReport counts one call per report
    (a client that knew when each is ready): polling more must not make the bound looser."""
    from spapi.ratelimit import usage_plan

    needed = dict(requests)
    if "getReport" in needed:
        needed["getReport"] = min(needed["getReport"], needed.get("createReport", 0))
    waits = [0.0]
    for operation, count in needed.items():
        name = _OPERATIONS.get(operation)
        if name is not None:
            plan = usage_plan(name)
            waits.append(max(0.0, (count - plan.burst) / plan.rate))
    return max(waits)


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
