"""After a full sync, no buyer's name, address, email or phone is anywhere in the database.

The simulator serves buyer data wherever Amazon may (spapi_sim/world/buyers.py): the all-orders
report's ship city, state and postal code, the Orders API's address and buyer email. AMS keeps
none of it; every text column of every table is searched for every value the simulator can give.
"""

from __future__ import annotations

import pytest
from django.db import connection as db
from psycopg import sql

from ams.amazon.models import SellerConnection
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from ams.orders.models import Order
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from spapi_sim.world.buyers import ALL_VALUES
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)

_TEXT_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
  AND t.typname IN ('text', 'varchar', 'bpchar', 'json', 'jsonb')
"""


def _columns_holding(values: tuple[str, ...], team_id: int) -> dict[str, str]:
    found: dict[str, str] = {}
    patterns = [f"%{v}%" for v in values]
    with connected_as("owner"):
        with db.cursor() as cursor:
            cursor.execute(_TEXT_COLUMNS)
            columns = cursor.fetchall()
        with team_scope(team_id), db.cursor() as cursor:
            for schema, table, column in columns:
                statement = sql.SQL(
                    "SELECT {c}::text FROM {t} WHERE {c}::text ILIKE ANY(%s) LIMIT 1"
                ).format(t=sql.Identifier(schema, table), c=sql.Identifier(column))
                cursor.execute(statement, [patterns])
                row = cursor.fetchone()
                if row:
                    found[f"{schema}.{table}.{column}"] = row[0][:120]
    return found


def test_a_full_sync_keeps_no_buyer_data(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    for family in Family:
        status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=family)
        assert status in (SyncStatus.DONE, SyncStatus.PARTIAL), family
    with team_scope(connection.team_id):
        assert Order.objects.filter(connection=connection).exists()
    assert _columns_holding(ALL_VALUES, connection.team_id) == {}
