"""Cost of goods from receipts at a large seller: FIFO from scratch, then after one new receipt.

A team of its own is filled set-based (generate_series): 10,000 products each sold under one SKU,
1,000,000 order lines over two years (one order in five fulfilled by the seller, the rest by
Amazon: two stock pools), 2,000 receipts of 20 products each spread over the same two years (so
each product has batches in both pools and some early sales have none), and 5,000 returns to
sellable stock. Then ``costing_refresh`` from scratch, and a new receipt recorded through the
purchasing service, which reprices its product from its day (the incremental path). The team is
removed afterwards.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from psycopg import sql

from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from ams.costing.models import Consumption
from ams.costing.refresh import costing_refresh
from ams.purchasing.models import PurchaseOrderLine, Supplier
from ams.purchasing.services import receipt_record
from ams.teams.models import Team

US = "ATVPDKIKX0DER"

_FILL = [
    """
    INSERT INTO products_product (team_id, name, code, hs_code, country_of_origin, note, created_at)
    SELECT %(team)s, 'Product ' || s, 'P-' || lpad(s::text, 5, '0'), '', '', '', now()
    FROM generate_series(0, %(skus)s - 1) AS s
    """,
    """
    INSERT INTO products_productsku (team_id, product_id, sku, marketplace_id)
    SELECT team_id, id, 'SKU-' || substr(code, 3), NULL FROM products_product WHERE team_id = %(team)s
    """,
    """
    INSERT INTO orders_orderline (team_id, connection_id, marketplace_id, amazon_order_id, sku, asin, purchased_at,
        last_updated_at, status, fulfillment_channel, quantity, currency, item_price, shipping_price, tax,
        promotion_discount, promotion_ids, synced_at)
    SELECT %(team)s, %(conn)s, %(mkt)s, 'C-' || lpad(n::text, 9, '0'),
        'SKU-' || lpad(((n::bigint * 7919 + k * 104729) %% %(skus)s)::text, 5, '0'), 'B0TEST',
        now() - make_interval(secs => n * %(spacing)s), now() - make_interval(secs => n * %(spacing)s),
        CASE WHEN n %% 50 = 0 THEN 'cancelled' ELSE 'shipped' END,
        CASE WHEN n %% 5 = 0 THEN 'MFN' ELSE 'AFN' END, 1 + (n %% 3), 'USD', 19.99, 0, 1.40, 0, '', now()
    FROM generate_series(1, %(orders)s) AS n CROSS JOIN generate_series(1, 2) AS k
    WHERE k = 1 OR n %% 3 = 0
    """,
    """
    INSERT INTO purchasing_purchaseorder (team_id, number, supplier_id, status, currency, note, created_at, sent_at)
    SELECT %(team)s, 'PO-B' || lpad(r::text, 5, '0'), %(supplier)s, 'received', 'USD', '',
        now() - make_interval(days => 760), now() - make_interval(days => 760)
    FROM generate_series(0, %(receipts)s - 1) AS r
    """,
    """
    INSERT INTO purchasing_purchaseorderline (team_id, order_id, product_id, quantity, unit_price, received_quantity)
    SELECT o.team_id, o.id, p.id, 60, 2 + ((r * 20 + j) %% 700) / 100.0, 60
    FROM (SELECT *, substr(number, 5)::int AS r FROM purchasing_purchaseorder WHERE team_id = %(team)s) o
    CROSS JOIN generate_series(0, 19) AS j
    JOIN products_product p ON p.team_id = o.team_id
        AND p.code = 'P-' || lpad(((o.r * 20 + j) %% %(skus)s)::text, 5, '0')
    """,
    """
    INSERT INTO purchasing_receipt (team_id, order_id, received_on, stock_pool, note, created_at)
    SELECT team_id, id, (now() - make_interval(days => 740 - substr(number, 5)::int * 730 / %(receipts)s))::date,
        CASE WHEN substr(number, 5)::int %% 2 = 0 THEN 'fba_na' ELSE 'own' END, '', now()
    FROM purchasing_purchaseorder WHERE team_id = %(team)s
    """,
    """
    INSERT INTO purchasing_receiptline (team_id, receipt_id, line_id, product_id, quantity, unit_cost, currency)
    SELECT l.team_id, r.id, l.id, l.product_id, l.quantity, l.unit_price, 'USD'
    FROM purchasing_purchaseorderline l JOIN purchasing_receipt r ON r.order_id = l.order_id
    WHERE l.team_id = %(team)s
    """,
    """
    INSERT INTO inventory_customerreturn (team_id, connection_id, marketplace_id, returned_at, order_id, sku, asin,
        fnsku, quantity, fulfillment_center, disposition, reason, status, license_plate, synced_at)
    SELECT team_id, connection_id, marketplace_id, purchased_at + interval '9 days', amazon_order_id, sku, '', '',
        1, 'PHX7', 'SELLABLE', 'NOT_AS_DESCRIBED', 'Unit returned to inventory', 'LPN' || id, now()
    FROM orders_orderline
    WHERE team_id = %(team)s AND fulfillment_channel = 'AFN' AND status <> 'cancelled' AND id %% 199 = 0
    """,
]

# Children first, for the removal.
_TABLES = [
    "costing_consumption",
    "costing_costbatch",
    "costing_costingsettings",
    "inventory_customerreturn",
    "purchasing_receiptline",
    "purchasing_receipt",
    "purchasing_purchaseorderline",
    "purchasing_purchaseorder",
    "purchasing_supplier",
    "products_productsku",
    "products_product",
    "orders_orderline",
    "amazon_connectionmarketplace",
]


def bench_cogs(
    *, lines: int = 1_000_000, skus: int = 10_000, receipts: int = 2_000
) -> dict[str, Any]:
    stamp = str(int(time.time() * 1000))
    team = Team.objects.create(
        name=f"Benchmark {stamp}", slug=f"bench-cogs-{stamp}", home_currency="USD"
    )
    try:
        return _run(team, lines=lines, skus=skus, receipts=receipts)
    finally:
        _remove(team)


def _run(team: Team, *, lines: int, skus: int, receipts: int) -> dict[str, Any]:
    started = time.perf_counter()
    with team_scope(team.id):
        conn = SellerConnection.objects.create(
            team=team,
            selling_partner_id=f"BENCHCOGS{team.id}",
            region="NA",
            name="Benchmark",
            authorized_at=team.created_at,
        )
        ConnectionMarketplace.objects.create(
            team=team, connection=conn, marketplace_id=US, country_code="US", currency="USD"
        )
        supplier = Supplier.objects.create(team=team, name="Benchmark supplier", currency="USD")
        # Orders carry one line, every third one two: 750,000 orders are 1,000,000 lines.
        orders = lines * 3 // 4
        params: dict[str, Any] = {
            "team": team.id,
            "conn": conn.id,
            "mkt": US,
            "skus": skus,
            "orders": orders,
            "receipts": receipts,
            "supplier": supplier.id,
            "spacing": 730 * 86400 // orders,
        }
        with connection.cursor() as cursor:
            for statement in _FILL:
                cursor.execute(statement, params)
    with connected_as("owner"), connection.cursor() as cursor:
        for table in _TABLES[3:]:
            cursor.execute(
                sql.SQL("VACUUM (ANALYZE) {}")
                .format(sql.Identifier(table))
                .as_string(cursor.cursor.connection)
            )
    fill_seconds = round(time.perf_counter() - started, 1)

    with team_scope(team.id):
        t0 = time.perf_counter()
        full = costing_refresh(team)
        scratch_seconds = round(time.perf_counter() - t0, 2)
        rows = Consumption.objects.filter(team=team).count()

    # One new receipt: an order of one product sent a month ago, received ten days ago.
    with team_scope(team.id), connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO purchasing_purchaseorder (team_id, number, supplier_id, status, currency, note, created_at, sent_at)
            VALUES (%s, 'PO-NEW', %s, 'sent', 'USD', '', now() - interval '30 days', now() - interval '30 days')
            RETURNING id""",
            [team.id, supplier.id],
        )
        (order_id,) = cursor.fetchone()
        cursor.execute(
            """INSERT INTO purchasing_purchaseorderline (team_id, order_id, product_id, quantity, unit_price, received_quantity)
            SELECT %s, %s, id, 100, 3.25, 0 FROM products_product WHERE team_id = %s AND code = 'P-00042'
            RETURNING id""",
            [team.id, order_id, team.id],
        )
        (line_id,) = cursor.fetchone()
    with team_scope(team.id):
        t0 = time.perf_counter()
        receipt_record(
            team=team,
            actor=None,
            order_id=order_id,
            received_on=timezone.now().date() - timedelta(days=10),
            quantities={line_id: 100},
            stock_pool="fba_na",
        )
        incremental_seconds = round(time.perf_counter() - t0, 3)
        line = PurchaseOrderLine.objects.get(pk=line_id)
        assert line.received_quantity == 100
        assert line.unit_price == Decimal("3.25")
    return {
        "order_lines": lines,
        "skus": skus,
        "receipts": receipts,
        "batches": full.batches,
        "sales_priced": full.sales,
        "returns_given_back": full.returns,
        "consumption_rows": rows,
        "fill_seconds": fill_seconds,
        "fifo_from_scratch_seconds": scratch_seconds,
        "one_new_receipt_seconds": incremental_seconds,
    }


def _remove(team: Team) -> None:
    with team_scope(team.id), connection.cursor() as cursor:
        for table in _TABLES:
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE team_id = %s").format(sql.Identifier(table)),
                [team.id],
            )
        cursor.execute("DELETE FROM amazon_sellerconnection WHERE team_id = %s", [team.id])
        team.delete()
