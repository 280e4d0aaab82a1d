"""How fast the data pages answer over a large seller: a team of its own is filled set-based
(generate_series), every page is requested through the full middleware stack, and the team is
removed afterwards.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from psycopg import sql

from ams.accounts.models import User
from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.core.db_roles import connected_as
from ams.core.exports import export_write
from ams.core.tenancy import team_scope
from ams.dashboard.exports import orders_export
from ams.finance.fee_rollups import charge_months_rebuild
from ams.finance.selectors import month_end
from ams.inventory.stock_health import stock_health_refresh
from ams.orders.rollups import order_days_refresh
from ams.profit.rollups import team_rebuild
from ams.sync.models import Family, SyncState, SyncStatus
from ams.sync.syncers.orders import sku_summary_refresh
from ams.teams.models import Membership, Role, Team

US = "ATVPDKIKX0DER"

_FILL = [
    # Orders: one every `spacing` seconds back from now, with 1 or 2 lines.
    """
    INSERT INTO orders_order (team_id, connection_id, marketplace_id, amazon_order_id, purchased_at, last_updated_at,
        status, fulfillment_channel, sales_channel, currency, synced_at)
    SELECT %(team)s, %(conn)s, %(mkt)s, 'B-' || lpad(i::text, 9, '0'), now() - make_interval(secs => i * %(spacing)s),
        now() - make_interval(secs => i * %(spacing)s), CASE WHEN i %% 50 = 0 THEN 'cancelled' ELSE 'shipped' END,
        CASE WHEN i %% 5 = 0 THEN 'MFN' ELSE 'AFN' END, 'Amazon.com', 'USD', now()
    FROM generate_series(1, %(orders)s) AS i
    """,
    """
    INSERT INTO orders_orderline (team_id, connection_id, marketplace_id, amazon_order_id, sku, asin, purchased_at,
        last_updated_at, status, fulfillment_channel, quantity, currency, item_price, shipping_price, tax,
        promotion_discount, promotion_ids, synced_at)
    SELECT o.team_id, o.connection_id, o.marketplace_id, o.amazon_order_id,
        'SKU-' || lpad(((n::bigint * 7919 + k * 104729) %% %(skus)s)::text, 5, '0'), 'B0TEST', o.purchased_at, o.last_updated_at,
        o.status, o.fulfillment_channel, 1 + (n %% 3), 'USD', 19.99, 0, 1.40, 0, '', now()
    FROM (SELECT *, substr(amazon_order_id, 3)::int AS n FROM orders_order WHERE team_id = %(team)s) AS o
    CROSS JOIN generate_series(1, 2) AS k
    WHERE k = 1 OR o.n %% 3 = 0
    """,
    """
    INSERT INTO inventory_stocklevel (team_id, connection_id, marketplace_id, sku, fulfillment_channel, fnsku, asin,
        fulfillable, inbound_working, inbound_shipped, inbound_receiving, reserved, unfulfillable, researching, total, synced_at)
    SELECT %(team)s, %(conn)s, %(mkt)s, 'SKU-' || lpad(s::text, 5, '0'), CASE WHEN s %% 5 = 0 THEN 'MFN' ELSE 'AFN' END,
        '', '', s %% 200, 0, s %% 30, 0, 2, 0, 0, s %% 200 + s %% 30 + 2, now()
    FROM generate_series(0, %(skus)s - 1) AS s
    """,
    """
    INSERT INTO catalog_listing (team_id, connection_id, marketplace_id, sku, asin, title, status, fulfillment_channel,
        currency, price, quantity, issues, issue_summary, image_url, buy_box_price, buy_box_is_mine, estimated_fees, synced_at)
    SELECT %(team)s, %(conn)s, %(mkt)s, 'SKU-' || lpad(s::text, 5, '0'), 'B0TEST', 'Product ' || s,
        CASE WHEN s %% 97 = 0 THEN 'suppressed' ELSE 'active' END, 'AFN', 'USD', 19.99, NULL,
        CASE WHEN s %% 97 = 0 THEN 1 ELSE 0 END, CASE WHEN s %% 97 = 0 THEN 'Missing main image' ELSE '' END, '',
        19.99, true, 5.10, now()
    FROM generate_series(0, %(skus)s - 1) AS s
    """,
    """
    INSERT INTO procurement_productcost (team_id, sku, marketplace_id, currency, unit_cost, effective_from, note, created_at)
    SELECT %(team)s, 'SKU-' || lpad(s::text, 5, '0'), NULL, 'USD', 4 + (s %% 5), current_date - 400 + k * 90, '', now()
    FROM generate_series(0, %(skus)s - 1) AS s CROSS JOIN generate_series(0, 3) AS k
    WHERE s %% 10 <> 0
    """,
    """
    INSERT INTO finance_chargeday (team_id, connection_id, marketplace_id, day, currency, transaction_type, category,
        kind, charges, amount)
    SELECT %(team)s, %(conn)s, %(mkt)s, current_date - d, 'USD', t.type, t.category, t.kind, 40 + d %% 7,
        t.amount * (40 + d %% 7)
    FROM generate_series(0, 729) AS d
    CROSS JOIN (VALUES ('Shipment', 'Sales', 'ProductCharges', 19.99), ('Shipment', 'Sales', 'Promotion', -1.00),
        ('Shipment', 'Expenses', 'AmazonFees', -5.10), ('Shipment', 'Expenses', 'Tax', -0.40),
        ('Refund', 'Sales', 'ProductCharges', -1.99), ('Refund', 'Expenses', 'AmazonFees', 0.30),
        ('ServiceFee', 'Expenses', 'AmazonFees', -0.50), ('Adjustment', 'Reimbursements', 'Reimbursements', 0.20))
        AS t(type, category, kind, amount)
    """,
    """
    INSERT INTO inventory_inventoryhealth (team_id, connection_id, marketplace_id, sku, snapshot_date, days_of_supply,
        excess_quantity, healthy_level, units_shipped_30d, alert, recommended_action, synced_at)
    SELECT %(team)s, %(conn)s, %(mkt)s, 'SKU-' || lpad(s::text, 5, '0'), current_date, s %% 120,
        CASE WHEN s %% 13 = 0 THEN s %% 90 ELSE 0 END, 50, s %% 60,
        CASE WHEN s %% 200 = 0 THEN 'out_of_stock' ELSE '' END, '', now()
    FROM generate_series(0, %(skus)s - 1) AS s WHERE s %% 5 <> 0
    """,
    """
    INSERT INTO inventory_restockadvice (team_id, connection_id, marketplace_id, sku, recommended_quantity,
        recommended_action, alert, units_sold_30d, synced_at)
    SELECT %(team)s, %(conn)s, %(mkt)s, 'SKU-' || lpad(s::text, 5, '0'), s %% 40,
        CASE WHEN s %% 7 = 0 THEN 'Create shipping plan' ELSE '' END,
        CASE WHEN s %% 200 = 0 THEN 'out_of_stock' WHEN s %% 7 = 0 THEN 'low_stock' ELSE '' END, s %% 60, now()
    FROM generate_series(0, %(skus)s - 1) AS s WHERE s %% 5 <> 0
    """,
    """
    INSERT INTO inventory_stocksnapshot (team_id, connection_id, marketplace_id, sku, day, fulfillable, inbound, reserved,
        unfulfillable, total)
    SELECT %(team)s, %(conn)s, %(mkt)s, 'SKU-' || lpad(s::text, 5, '0'), current_date - d, (s + d) %% 200, s %% 30, 2, 0,
        (s + d) %% 200 + s %% 30 + 2
    FROM generate_series(0, %(skus)s - 1) AS s CROSS JOIN generate_series(0, 29) AS d
    """,
    """
    INSERT INTO finance_settlement (team_id, connection_id, settlement_id, report_id, starts_at, ends_at, deposit_at,
        currency, total_amount, line_count, lines_total, lines_reconciled, transactions_total, transactions_reconciled,
        reserve_amount, synced_at)
    SELECT %(team)s, %(conn)s, 'S' || i, '', now() - make_interval(days => 14 * i + 14), now() - make_interval(days => 14 * i),
        now() - make_interval(days => 14 * i - 1), 'USD', 1000 + i, 200, 1000 + i, true, 1000 + i, true, 0, now()
    FROM generate_series(1, 50) AS i
    """,
    """
    INSERT INTO finance_settlementline (team_id, connection_id, settlement_id, line_number, transaction_type, order_id,
        adjustment_id, shipment_id, marketplace_name, amount_type, amount_description, amount, currency, fulfillment_id,
        posted_at, order_item_code, sku, quantity, promotion_id, synced_at)
    SELECT %(team)s, %(conn)s, 'S' || i, n, 'Order', '', '', '', 'Amazon.com', 'ItemPrice', 'Principal',
        CASE WHEN n = 1 THEN 1000 + i - 199 * 5 ELSE 5 END, 'USD', '', now(), '', '', 1, '', now()
    FROM generate_series(1, 50) AS i CROSS JOIN generate_series(1, 200) AS n
    """,
    # Money: a shipment per order posted a day after purchase, with four charges per order item
    # (principal, tax, commission, FBA fee); a refund of every 50th order; a monthly storage fee.
    """
    INSERT INTO finance_transaction (team_id, connection_id, transaction_id, transaction_type, status, description,
        posted_at, marketplace_id, currency, total_amount, order_id, event_group_id, settlement_id, synced_at)
    SELECT team_id, connection_id, 'TX-' || amazon_order_id, 'Shipment', 'RELEASED', 'Shipment',
        purchased_at + interval '1 day', marketplace_id, 'USD',
        -- The sum of its charges, from the order number as the lines were made (no join: no statistics yet).
        (CASE WHEN substr(amazon_order_id, 3)::int %% 3 = 0 THEN 2 ELSE 1 END)
            * (19.99 + 1.40 - 3.00 - 3.22 * (1 + substr(amazon_order_id, 3)::int %% 3)),
        amazon_order_id, '',
        CASE WHEN purchased_at + interval '1 day' < now() - interval '14 days'
             THEN 'S' || floor(extract(epoch FROM now() - purchased_at - interval '1 day') / (14 * 86400))::int ELSE '' END,
        now()
    FROM orders_order o WHERE team_id = %(team)s AND status <> 'cancelled'
    """,
    """
    INSERT INTO finance_charge (team_id, connection_id, transaction_id, position, posted_at, sku, category, kind,
        description, amount, currency, synced_at)
    SELECT l.team_id, l.connection_id, 'TX-' || l.amazon_order_id,
        row_number() OVER (PARTITION BY l.amazon_order_id ORDER BY l.sku, c.k) - 1, l.purchased_at + interval '1 day',
        l.sku, c.category, c.kind, c.description,
        CASE c.k WHEN 1 THEN l.item_price WHEN 2 THEN l.tax WHEN 3 THEN -round(l.item_price * 0.15, 2)
             ELSE -3.22 * l.quantity END,
        'USD', now()
    FROM orders_orderline l
    CROSS JOIN (VALUES (1, 'Sales', 'ProductCharges', 'Principal'), (2, 'Sales', 'ProductCharges', 'Tax'),
        (3, 'Expenses', 'AmazonFees', 'Commission'), (4, 'Expenses', 'AmazonFees', 'FBAPerUnitFulfillmentFee'))
        AS c(k, category, kind, description)
    WHERE l.team_id = %(team)s AND l.status <> 'cancelled'
    """,
    """
    INSERT INTO finance_transaction (team_id, connection_id, transaction_id, transaction_type, status, description,
        posted_at, marketplace_id, currency, total_amount, order_id, event_group_id, settlement_id, synced_at)
    SELECT team_id, connection_id, 'RF-' || order_id, 'Refund', 'RELEASED', 'Refund',
        posted_at + interval '5 days', marketplace_id, 'USD',
        (CASE WHEN substr(order_id, 3)::int %% 3 = 0 THEN 2 ELSE 1 END) * (-19.99 - 1.40 + 3.00 - 1.00),
        order_id, '', '', now()
    FROM finance_transaction t
    WHERE team_id = %(team)s AND transaction_type = 'Shipment' AND substr(order_id, 3)::int %% 50 = 25
    """,
    """
    INSERT INTO finance_charge (team_id, connection_id, transaction_id, position, posted_at, sku, category, kind,
        description, amount, currency, synced_at)
    SELECT l.team_id, l.connection_id, 'RF-' || l.amazon_order_id,
        row_number() OVER (PARTITION BY l.amazon_order_id ORDER BY l.sku, c.k) - 1, l.purchased_at + interval '6 days',
        l.sku, c.category, c.kind, c.description,
        CASE c.k WHEN 1 THEN -l.item_price WHEN 2 THEN -l.tax WHEN 3 THEN round(l.item_price * 0.15, 2) ELSE -1.00 END,
        'USD', now()
    FROM orders_orderline l
    CROSS JOIN (VALUES (1, 'Sales', 'ProductCharges', 'Principal'), (2, 'Sales', 'ProductCharges', 'Tax'),
        (3, 'Expenses', 'AmazonFees', 'Commission'), (4, 'Expenses', 'AmazonFees', 'RefundCommission'))
        AS c(k, category, kind, description)
    WHERE l.team_id = %(team)s AND l.status <> 'cancelled' AND substr(l.amazon_order_id, 3)::int %% 50 = 25
    """,
    """
    INSERT INTO finance_transaction (team_id, connection_id, transaction_id, transaction_type, status, description,
        posted_at, marketplace_id, currency, total_amount, order_id, event_group_id, settlement_id, synced_at)
    SELECT %(team)s, %(conn)s, 'SF-' || m, 'ServiceFee', 'RELEASED', 'FBA Inventory Storage Fee',
        date_trunc('month', now()) - make_interval(months => m) + interval '6 days', %(mkt)s, 'USD', -250.00, '', '', '', now()
    FROM generate_series(0, 24) AS m
    """,
    """
    INSERT INTO finance_charge (team_id, connection_id, transaction_id, position, posted_at, sku, category, kind,
        description, amount, currency, synced_at)
    SELECT team_id, connection_id, transaction_id, 0, posted_at, '', 'Expenses', 'AmazonFees', 'Storage Fee', -250.00,
        'USD', now()
    FROM finance_transaction WHERE team_id = %(team)s AND transaction_type = 'ServiceFee'
    """,
]

PAGES = {
    "overview": "overview/",
    "overview, last 7 days": "overview/?period=7d",
    "overview, last 90 days": "overview/?period=90d",
    "overview, a year from-to": "overview/?period=custom&date_from={year_ago}&date_to={today}",
    "stock history of a SKU": "inventory/history/?sku=SKU-00042",
    "costs": "costs/",
    "profit per SKU, last 30 days": "profit/?period=30d",
    "profit per SKU, a year from-to": "profit/?period=custom&date_from={year_ago}&date_to={today}",
    "profit per SKU, a year, sorted by SKU": "profit/?period=custom&date_from={year_ago}&date_to={today}&sort=sku",
    "profit and loss, last month": "profit-and-loss/?period=last_month",
    "profit and loss, last year": "profit-and-loss/?period=last_year",
    "profit and loss, a year from-to": "profit-and-loss/?period=custom&date_from={year_ago}&date_to={today}",
    "orders": "orders/",
    "orders, last 7 days": "orders/?date_from={week_ago}",
    "orders, one SKU": "orders/?sku=SKU-00042",
    "orders, by status": "orders/?sort=status",
    "orders, oldest first": "orders/?sort=purchased",
    "orders, by status, page 20": "orders/?sort=status&page=20",
    "orders, order id prefix": "orders/?order_id=B-0000123",
    "inventory": "inventory/",
    "inventory, low cover": "inventory/?low=on",
    "listings": "listings/",
    "listings, suppressed": "listings/?status=suppressed",
    "settlements": "settlements/",
    "transactions (last 30 days)": "transactions/",
    "transactions, one SKU's commission in a month (fee drill-down)": "transactions/?date_from={month_start}&date_to={month_end}&kind=AmazonFees&charge=Commission&sku=SKU-00042",
    "transactions, one fee type in a month (fee drill-down)": "transactions/?date_from={month_start}&date_to={month_end}&kind=AmazonFees&charge=FBAPerUnitFulfillmentFee",
    "transactions, one order": "transactions/?order=B-000000075",
    "fees (last 3 months)": "fees/",
    "fees, one month": "fees/?month_from={month}&month_to={month}",
    "order detail (shipped, refunded, settled)": "orders/detail/?order={refunded_order}",
}
_TABLES = (
    "profit_skuprofitday",
    "profit_skuprofitmonth",
    "profit_profitmonth",
    "orders_orderline",
    "orders_order",
    "orders_orderday",
    "orders_skuday",
    "orders_skusummary",
    "inventory_stocklevel",
    "inventory_inventoryhealth",
    "inventory_restockadvice",
    "inventory_stocksnapshot",
    "inventory_stockhealthsummary",
    "catalog_listing",
    "procurement_productcost",
    "procurement_skuwindowcost",
    "finance_chargeday",
    "finance_chargeskumonth",
    "finance_charge",
    "finance_transaction",
    "finance_settlementline",
    "finance_settlement",
    "sync_syncstate",
    "amazon_connectionmarketplace",
    "teams_membership",
)


def _host() -> str:
    return next(
        (h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")),
        "localhost",
    )


def bench_pages(
    *,
    orders: int = 200_000,
    skus: int = 5000,
    runs: int = 7,
    keep: bool = False,
    team: str = "",
    only: Sequence[str] = (),
) -> dict[str, Any]:
    """Seed a team (or reuse the kept team ``team``), time its pages and remove it unless ``keep``.

    ``only`` keeps the pages it names ("overview, last 7 days"; "orders export" is the export),
    and those whose name contains one of its words that names no page ("orders").
    A kept team is seeded once and timed again and again while a page is being worked on; its data
    is dated from the moment it was seeded, so it serves that day.
    """
    if team:
        kept = Team.objects.get(slug=team)
        result = _reused(kept)
    else:
        kept, result = _seed(orders=orders, skus=skus)
    user = _bench_user(kept)
    try:
        result.update(_time_pages(kept, user, runs=runs, only=only))
    finally:
        if not keep and not team:
            remove_bench_team(kept)
    if keep or team:
        result["kept_team"] = {
            "slug": kept.slug,
            "login": user.email,
            "path": f"/t/{kept.slug}/overview/",
        }
    return result


def _stats(team: Team) -> dict[str, Any]:
    with team_scope(team.id), connection.cursor() as cursor:
        counts = {}
        for name, table in (
            ("orders", "orders_order"),
            ("order_lines", "orders_orderline"),
            ("skus", "inventory_stocklevel"),
            ("transactions", "finance_transaction"),
            ("charges", "finance_charge"),
            ("charge_rollup_rows", "finance_chargeskumonth"),
            ("profit_day_rows", "profit_skuprofitday"),
            ("profit_month_rows", "profit_skuprofitmonth"),
        ):
            cursor.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE team_id = %s").format(sql.Identifier(table)),
                [team.id],
            )
            (counts[name],) = cursor.fetchone()
    return counts


def _reused(team: Team) -> dict[str, Any]:
    return {**_stats(team), "reused_team": team.slug}


def _seed(*, orders: int, skus: int) -> tuple[Team, dict[str, Any]]:
    stamp = str(int(time.time() * 1000))
    team = Team.objects.create(name=f"Benchmark {stamp}", slug=f"bench-pages-{stamp}")
    user = User.objects.create_user(
        email=f"bench-{stamp}@example.invalid", password=None, name="Benchmark"
    )
    try:
        started = time.perf_counter()
        with team_scope(team.id):
            Membership.objects.create(team=team, user=user, role=Role.VIEWER)
            conn = SellerConnection.objects.create(
                team=team,
                selling_partner_id=f"BENCH{stamp}",
                region="NA",
                name="Benchmark",
                authorized_at=team.created_at,
            )
            ConnectionMarketplace.objects.create(
                team=team, connection=conn, marketplace_id=US, country_code="US", currency="USD"
            )
            for family in Family:
                SyncState.objects.create(
                    team=team,
                    connection=conn,
                    family=family,
                    status=SyncStatus.DONE,
                    last_completed_at=team.created_at,
                )
            params: dict[str, Any] = {
                "team": team.id,
                "conn": conn.id,
                "mkt": US,
                "orders": orders,
                "skus": skus,
                "spacing": 120,
            }
            with connection.cursor() as cursor:
                for statement in _FILL:
                    cursor.execute(statement, params)
                cursor.execute(
                    "SELECT min(purchased_at), max(purchased_at) FROM orders_order WHERE team_id = %s",
                    [team.id],
                )
                first, last = cursor.fetchone()
            order_days_refresh(connection_id=conn.id, marketplace_id=US, first=first, last=last)
            sku_summary_refresh(connection_id=conn.id, marketplace_id=US, now=last)
            stock_health_refresh(connection_id=conn.id, marketplace_ids=[US])
        # The tables as autovacuum leaves them on a live seller (only the owner may VACUUM): fresh
        # statistics before the rollup is built from 4,000,000 charges, then visibility maps, and
        # the pages timed without autovacuum working through a million new rows beside them.
        with connected_as("owner"), connection.cursor() as cursor:
            for table in _TABLES[:-3]:
                cursor.execute(
                    sql.SQL("ANALYZE {}")
                    .format(sql.Identifier(table))
                    .as_string(cursor.cursor.connection)
                )
        t0 = time.perf_counter()
        with team_scope(team.id):
            charge_months_rebuild(connection_id=conn.id)
        rollup_seconds = round(time.perf_counter() - t0, 2)
        # The profit read model, as the fill command builds it for data held before it existed.
        t0 = time.perf_counter()
        with team_scope(team.id):
            team_rebuild()
        profit_seconds = round(time.perf_counter() - t0, 2)
        with connected_as("owner"), connection.cursor() as cursor:
            for table in _TABLES[:-3]:
                cursor.execute(
                    sql.SQL("VACUUM (ANALYZE) {}")
                    .format(sql.Identifier(table))
                    .as_string(cursor.cursor.connection)
                )
        fill_seconds = round(time.perf_counter() - started, 1)
    except BaseException:
        remove_bench_team(team)
        User.objects.filter(id=user.id).delete()
        raise
    return team, {
        **_stats(team),
        "charge_rollup_rebuild_seconds": rollup_seconds,
        "profit_read_model_build_seconds": profit_seconds,
        "fill_seconds": fill_seconds,
    }


def _time_pages(team: Team, user: User, *, runs: int, only: Sequence[str]) -> dict[str, Any]:
    exact = {name for name in only if name in PAGES or name == "orders export"}

    def chosen(name: str) -> bool:
        return not only or name in exact or any(word in name for word in only if word not in exact)

    with team_scope(team.id), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(purchased_at) FROM orders_order WHERE team_id = %s", [team.id]
        )
        orders, last = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM orders_orderline WHERE team_id = %s", [team.id])
        (lines,) = cursor.fetchone()
    client = Client(HTTP_HOST=_host())
    client.force_login(user)
    week_ago = (last - timedelta(days=7)).date().isoformat()
    today = last.date()
    # The last whole month of the data, for the month-wide money pages.
    month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    dates = {
        "week_ago": week_ago,
        "year_ago": (today - timedelta(days=364)).isoformat(),
        "today": today.isoformat(),
        "month": month_start.strftime("%Y-%m"),
        "month_start": month_start.isoformat(),
        "month_end": month_end(month_start).isoformat(),
        # Every 50th order (n % 50 = 25) is refunded; past 16 days old it is in a closed settlement.
        "refunded_order": f"B-{min(orders - (orders - 25) % 50, 11_525):09d}",
    }
    timings: dict[str, dict[str, float]] = {}
    for name, path in PAGES.items():
        if not chosen(name):
            continue
        url = f"/t/{team.slug}/" + path.format(**dates)
        # One untimed request first: a fresh process compiles templates and warms caches on
        # its first request of each page, which a running server did long ago.
        assert client.get(url).status_code == 200, url
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        # Nearest-rank 95th percentile: with 20 runs, the 19th fastest.
        p95 = sorted(samples)[max(0, math.ceil(0.95 * len(samples)) - 1)]
        timings[name] = {
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(p95, 1),
            "max_ms": round(max(samples), 1),
        }
    result: dict[str, Any] = {"pages": timings}
    if chosen("orders export"):
        # An export this large is built by a job, not streamed: timed as the worker writes it.
        t0 = time.perf_counter()
        with team_scope(team.id), tempfile.TemporaryFile() as target:
            export_write("csv", target, orders_export(team, {}))
            exported = target.tell()
        result["orders_csv_export"] = {
            "rows": lines,
            "bytes": exported,
            "seconds": round(time.perf_counter() - t0, 2),
        }
    return result


def remove_bench_team(team: Team) -> None:
    """Delete a benchmark team, its rows and its user (a kept team, once its work is done)."""
    if not team.slug.startswith("bench-pages-"):
        raise ValueError(f"{team.slug} is not a benchmark team")
    with team_scope(team.id):
        users = [m.user for m in Membership.objects.select_related("user").filter(team=team)]
    with team_scope(team.id), connection.cursor() as cursor:
        for table in _TABLES:
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE team_id = %s").format(sql.Identifier(table)),
                [team.id],
            )
        team.delete()
    for user in users:
        user.delete()


def _bench_user(team: Team) -> User:
    with team_scope(team.id):
        return Membership.objects.select_related("user").get(team=team).user
