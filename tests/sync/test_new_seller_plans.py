"""A finances batch reads the pages of its own transactions, not all of a new seller's: the
rollups refreshed in each batch are planned with the team and connection as values the planner
cannot see (ams.core.planning), since the statistics know nothing of a seller whose first
backfill is filling the tables."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from psycopg import sql

from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from ams.finance import fee_rollups
from ams.finance import rollups as finance_rollups
from tests.dashboard import factories as f
from tests.factories import Personas

pytestmark = pytest.mark.django_db(transaction=True)

_FILL = """
INSERT INTO finance_transaction (team_id, connection_id, transaction_id, transaction_type, status, description,
    posted_at, marketplace_id, currency, total_amount, order_id, event_group_id, settlement_id, synced_at)
SELECT %(team)s, %(connection)s, %(prefix)s || i, 'Shipment', 'RELEASED', '', %(posted)s - i * interval '1 minute',
    'ATVPDKIKX0DER', 'USD', 10, '', '', '', now()
FROM generate_series(1, %(transactions)s) AS i;
INSERT INTO finance_charge (team_id, connection_id, transaction_id, position, posted_at, sku, category, kind,
    description, amount, currency, synced_at)
SELECT team_id, connection_id, transaction_id, p, posted_at, 'SKU-' || p, 'Expenses', 'AmazonFees', 'Fee' || p, -1,
    'USD', now()
FROM finance_transaction, generate_series(1, 3) AS p WHERE connection_id = %(connection)s;
"""

TRANSACTIONS = 20_000
# The newest transaction is posted a minute before this, the others a minute apart.
POSTED = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def new_seller(personas: Personas) -> int:
    """A seller with 20,000 transactions (60,000 charges) that the statistics have not met: they
    were last gathered when only the outsider's 3,000 were there. Returns its connection id."""
    mine, theirs = f.connected(personas.team), f.connected(personas.outsider_team)
    for team, conn, prefix, count in (
        (personas.outsider_team, theirs, "T-", 3000),
        (personas.team, mine, "M-", TRANSACTIONS),
    ):
        params: dict[str, Any] = {
            "team": team.id,
            "connection": conn.id,
            "prefix": prefix,
            "transactions": count,
            "posted": POSTED,
        }
        with team_scope(team.id), connection.cursor() as cursor:
            cursor.execute(_FILL, params)
        if team == personas.outsider_team:
            with connected_as("owner"), connection.cursor() as cursor:
                cursor.execute("ANALYZE finance_transaction, finance_charge")
    return mine.id


def _pages_read(statement: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, params)
        (plan,) = cursor.fetchone()
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    return int(top["Shared Hit Blocks"] + top["Shared Read Blocks"])


def test_a_batch_takes_its_charges_out_of_the_monthly_rollup_by_its_own_transactions(
    personas: Personas, new_seller: int
):
    with team_scope(personas.team.id), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE batch AS SELECT 'M-' || i AS transaction_id FROM generate_series(100, 199) AS i"
        )
        selected = sql.SQL("AND c.transaction_id IN (SELECT DISTINCT transaction_id FROM batch)")
        buckets = sql.SQL(fee_rollups._BUCKETS).format(sign=sql.SQL("1"), selected=selected)
        statement = buckets.as_string(cursor.cursor.connection)
        # A hundred transactions: a few pages each (the transaction, its charges, the index
        # paths to them), where reading the seller's 60,000 charges once per transaction took 100,000.
        assert _pages_read(statement, fee_rollups._params(new_seller)) < 2000
        cursor.execute(statement, fee_rollups._params(new_seller))
        assert (
            sum(row[-1] for row in cursor.fetchall()) == 300
        )  # three charges each, the team's only


def test_a_batch_rebuilds_its_charge_days_from_those_days_alone(
    personas: Personas, new_seller: int
):
    params: dict[str, Any] = {
        "team": personas.team.id,
        "connection": new_seller,
        "marketplace": f.US,
        "start": POSTED - timedelta(hours=2),
        "end": POSTED,
        "zone": "UTC",
    }
    select = finance_rollups._INSERT[finance_rollups._INSERT.index("SELECT") :]
    with team_scope(personas.team.id), connection.cursor() as cursor:
        # Two hours of transactions, one a minute: the day's 120, not the seller's 20,000.
        assert _pages_read(select, params) < 3000
        cursor.execute(select, params)
        assert (
            sum(row[-2] for row in cursor.fetchall()) == 360
        )  # 120 transactions, three charges each


_MONTHS = """
INSERT INTO finance_chargeskumonth (team_id, connection_id, marketplace_id, month, currency, category, kind,
    description, sku, amount, charges)
SELECT %(team)s, %(connection)s, 'ATVPDKIKX0DER', date '2024-01-01' + m * interval '1 month', 'USD', 'Expenses',
    'AmazonFees', 'Fee', 'SKU-' || s, -1, 1
FROM generate_series(0, 23) AS m, generate_series(1, 2500) AS s
"""


def test_a_batch_drops_its_empty_monthly_buckets_from_those_months_alone(
    personas: Personas, new_seller: int
):
    with team_scope(personas.team.id), connection.cursor() as cursor:
        params = {
            **fee_rollups._params(new_seller),
            "marketplaces": [f.US],
            "months": [date(2025, 6, 1), date(2025, 7, 1)],
        }
        cursor.execute(_MONTHS, params)  # two years of 2,500 SKUs: 60,000 rows
        cursor.execute(
            "UPDATE finance_chargeskumonth SET charges = 0 WHERE month = '2025-07-01' AND sku = 'SKU-7'"
        )
        # Two months of the rollup (5,000 rows), not the seller's 60,000. (EXPLAIN ANALYZE
        # runs the DELETE: in a savepoint, undone.)
        savepoint = transaction.savepoint()
        assert _pages_read(fee_rollups._DROP_EMPTY, params) < 400
        transaction.savepoint_rollback(savepoint)
        cursor.execute(fee_rollups._DROP_EMPTY, params)
        assert cursor.rowcount == 1
