"""Searching the whole database for a value: every text column of every table, as its owner.

Row-level security applies to the owner too, so tenant tables are read once per team scope
given; ``None`` reads with no scope (the tables shared by every team, and nothing else).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection as db
from psycopg import sql

from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope

_TEXT_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
  AND t.typname IN ('text', 'varchar', 'bpchar', 'json', 'jsonb', 'citext')
  AND (NOT %(shared_only)s OR NOT EXISTS (
    SELECT 1 FROM pg_attribute k WHERE k.attrelid = c.oid AND k.attname = 'team_id' AND NOT k.attisdropped
  ))
"""


def columns_holding(
    values: Sequence[str], *, scopes: Sequence[int | None] = (None,), shared_only: bool = False
) -> dict[str, str]:
    """Each ``schema.table.column`` holding any of ``values`` (case-insensitive, anywhere in the
    text), with the first such value found, cut short."""
    patterns = [f"%{v}%" for v in values]
    found: dict[str, str] = {}
    with connected_as("owner"):
        with db.cursor() as cursor:
            cursor.execute(_TEXT_COLUMNS, {"shared_only": shared_only})
            columns = cursor.fetchall()
        for scope in scopes:
            for schema, table, column in columns:
                statement = sql.SQL(
                    "SELECT {c}::text FROM {t} WHERE {c}::text ILIKE ANY(%s) LIMIT 1"
                ).format(t=sql.Identifier(schema, table), c=sql.Identifier(column))
                if scope is None:
                    with db.cursor() as cursor:
                        cursor.execute(statement, [patterns])
                        row = cursor.fetchone()
                else:
                    with team_scope(scope), db.cursor() as cursor:
                        cursor.execute(statement, [patterns])
                        row = cursor.fetchone()
                if row:
                    found.setdefault(f"{schema}.{table}.{column}", row[0][:120])
    return found
