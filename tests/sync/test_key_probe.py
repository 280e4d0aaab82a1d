"""The probe that tells a batch of new rows from one the table holds (ams.core.bulk.first_key_missing)
touches a handful of pages however many rows the seller has, and leaves nothing behind: a
backfill fills a new seller's tables, batch after batch, long before the planner's statistics
know of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction

from ams.core import bulk
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from ams.orders import writers
from ams.orders.models import Order, OrderLine
from tests.dashboard import factories as f
from tests.factories import Personas

pytestmark = pytest.mark.django_db(transaction=True)

_ORDERS = """
INSERT INTO orders_order (team_id, connection_id, marketplace_id, amazon_order_id, purchased_at, last_updated_at,
    status, fulfillment_channel, sales_channel, currency, synced_at)
SELECT %(team)s, %(connection)s, 'ATVPDKIKX0DER', %(prefix)s || lpad(i::text, 7, '0'), now() - i * interval '1 minute',
    now(), 'shipped', 'AFN', 'Amazon.com', 'USD', now()
FROM generate_series(1, %(orders)s) AS i
"""
_LINES = """
INSERT INTO orders_orderline (team_id, connection_id, marketplace_id, amazon_order_id, sku, asin, purchased_at,
    last_updated_at, status, fulfillment_channel, quantity, currency, promotion_ids, synced_at)
SELECT team_id, connection_id, marketplace_id, amazon_order_id, 'SKU-' || (right(amazon_order_id, 7)::int %% 50), '', purchased_at,
    last_updated_at, status, fulfillment_channel, 1, currency, '', now()
FROM orders_order WHERE connection_id = %(connection)s
"""


def _fill(team_id: int, connection_id: int, *, orders: int, prefix: str) -> None:
    params: dict[str, int | str] = {
        "team": team_id,
        "connection": connection_id,
        "orders": orders,
        "prefix": prefix,
    }
    with team_scope(team_id), connection.cursor() as cursor:
        cursor.execute(_ORDERS, params)
        cursor.execute(_LINES, params)


def _probe(
    team_id: int, connection_id: int, target: bulk.Target, rows: list[tuple[object, ...]]
) -> tuple[bool, int]:
    """Whether the first of ``rows`` looks new to ``target``, and the pages its probe read."""
    with team_scope(team_id), transaction.atomic(), connection.cursor() as cursor:
        staged, _ = bulk.stage(writers.LINE_COLUMNS, rows)
        params = {"team": team_id, "connection": connection_id}
        new = bulk.first_key_missing(cursor.cursor, target, staged, params)
        savepoint = transaction.savepoint()
        statement = bulk.key_probe(target, staged).as_string(cursor.cursor.connection)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params)
        (plan,) = cursor.fetchone()
        transaction.savepoint_rollback(savepoint)
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return new, int(top["Shared Hit Blocks"] + top["Shared Read Blocks"])


def _line(order: str, sku: str) -> tuple[object, ...]:
    at = datetime(2026, 3, 1, 10, tzinfo=UTC)
    return (
        order,
        f.US,
        at,
        at,
        "shipped",
        "shipped",
        "AFN",
        "Amazon.com",
        "USD",
        sku,
        "",
        1,
        Decimal(1),
        None,
        None,
        None,
        "",
    )


def test_the_new_rows_probe_reads_a_few_pages_whatever_the_sellers_size(personas: Personas):
    mine, theirs = f.connected(personas.team), f.connected(personas.outsider_team)
    # The statistics know the other seller only: this team is one they estimate to have no rows.
    _fill(personas.outsider_team.id, theirs.id, orders=3000, prefix="111-0000000-")
    with connected_as("owner"), connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order, orders_orderline")
    _fill(personas.team.id, mine.id, orders=20_000, prefix="111-1000000-")

    probes = {
        # A key the seller does not have, one it has, and the outsider's, which is not the team's.
        "new": [_line("111-9999999-0000001", "SKU-7")],
        "known": [_line("111-1000000-0000042", "SKU-42")],
        "theirs": [_line("111-0000000-0000001", "SKU-1")],
    }
    for target in (writers.ORDERS, writers.LINES):
        found = {}
        for name, rows in probes.items():
            new, pages = _probe(personas.team.id, mine.id, target, rows)
            found[name] = new
            # An index descent per index, a heap page, and the row-level security check.
            assert pages <= 30, (target.table, name, pages)
        assert found == {"new": True, "known": False, "theirs": True}, target.table
    with team_scope(personas.team.id):
        # The probes left nothing behind.
        assert Order.objects.filter(connection=mine).count() == 20_000
        assert OrderLine.objects.filter(connection=mine).count() == 20_000
