"""Deleting every row that belongs to someone, found from the catalogue, in resumable batches.

One mechanism serves the disconnect of an Amazon account (every table with ``team_id`` and
``connection_id``), the deletion of a team (every table with ``team_id``) and the deletion of an
account (every column that references the user). Tables are found in the catalogue, never listed
by hand, so a table added tomorrow is purged without anyone having to remember it; they are
ordered children first, so a row is never deleted before the rows that reference it.

Batches are bounded and each commits on its own (the caller enters the team's scope per batch),
so a killed purge resumes where it stopped and never holds long locks; counting again afterwards
proves that nothing is left.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection as db
from psycopg import sql

from ams.core.tenancy import team_scope

BATCH_SIZE = 5000

# What a team's deletion leaves: the security audit trail, kept its twelve months as the record of
# the deletion itself; only its own prune deletes it (docs/architecture.md, "The security audit
# trail"), and the app role may not.
KEPT_TABLES = frozenset({"public.core_auditentry"})

# pg_catalog rather than information_schema: the latter hides tables the role has no rights on,
# and a purge must not miss a table because of a grant.
_TABLES = """
SELECT n.nspname, c.relname, c.oid
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
  AND (
    SELECT count(*) FROM pg_attribute a
    WHERE a.attrelid = c.oid AND a.attname = ANY(%s) AND NOT a.attisdropped
  ) = cardinality(%s::text[])
ORDER BY n.nspname, c.relname
"""
_FOREIGN_KEYS = (
    "SELECT conrelid, confrelid FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid"
)
_PRIMARY_KEYS = """
SELECT i.indrelid, array_agg(a.attname ORDER BY k.ord)
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indisprimary
GROUP BY i.indrelid
"""
# Every single-column foreign key into one table: (schema, table, column, nullable, oid).
_REFERENCES = """
SELECT n.nspname, c.relname, a.attname, NOT a.attnotnull, c.oid
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
WHERE k.contype = 'f' AND cardinality(k.conkey) = 1 AND k.confrelid = %s::regclass
ORDER BY n.nspname, c.relname, a.attname
"""


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    # Batches are chosen by primary key (the web role may read the vault's, not its ctid).
    primary_key: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


@dataclass(frozen=True)
class Reference:
    """A column that points at a row to be deleted: cleared where it may be empty, else its row goes."""

    table: Table
    column: str
    nullable: bool


def tables_with(columns: Sequence[str]) -> list[Table]:
    """Every table having all of ``columns``, children before the tables they reference."""
    with db.cursor() as cursor:
        cursor.execute(_TABLES, [list(columns), list(columns)])
        rows = cursor.fetchall()
        cursor.execute(_PRIMARY_KEYS)
        keys = {oid: tuple(names) for oid, names in cursor.fetchall()}
        found = {oid: Table(schema, name, keys.get(oid, ())) for schema, name, oid in rows}
        cursor.execute(_FOREIGN_KEYS)
        referenced_by: dict[int, set[int]] = {oid: set() for oid in found}
        for child, parent in cursor.fetchall():
            if child in found and parent in found:
                referenced_by[parent].add(child)
    # Depth-first: a table is emitted only after every table that references it.
    ordered: list[int] = []
    visiting: set[int] = set()

    def visit(oid: int) -> None:
        if oid in ordered or oid in visiting:
            return
        visiting.add(oid)
        for child in sorted(referenced_by[oid]):
            visit(child)
        ordered.append(oid)

    for oid in sorted(found, key=lambda o: found[o].label):
        visit(oid)
    return [found[oid] for oid in ordered]


def references_to(table: str) -> list[Reference]:
    """Every column with a foreign key into ``table`` (a qualified or search-path name)."""
    with db.cursor() as cursor:
        cursor.execute(_PRIMARY_KEYS)
        keys = {oid: tuple(names) for oid, names in cursor.fetchall()}
        cursor.execute(_REFERENCES, [table])
        return [
            Reference(Table(schema, name, keys.get(oid, ())), column, nullable)
            for schema, name, column, nullable, oid in cursor.fetchall()
        ]


# The columns whose first non-null value must be below a value (the retention's "older than").
Older = tuple[Sequence[str], date | datetime]


def _where(
    match: Mapping[str, int], older: Older | None = None
) -> tuple[sql.Composable, list[int | date | datetime]]:
    clauses = [sql.SQL("{} = %s").format(sql.Identifier(column)) for column in match]
    params: list[int | date | datetime] = list(match.values())
    if older is not None:
        columns, value = older
        dated = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        # One column stays a bare column, so an index on it serves the comparison.
        template = "{} < %s" if len(columns) == 1 else "coalesce({}) < %s"
        clauses.append(sql.SQL(template).format(dated))
        params.append(value)
    return sql.SQL(" AND ").join(clauses), params


def delete_batch(
    table: Table, match: Mapping[str, int], *, older: Older | None = None, size: int = BATCH_SIZE
) -> int:
    """Delete up to ``size`` rows of ``table`` whose columns equal ``match`` (and, with
    ``older``, whose column is below a value); the count deleted."""
    key = sql.SQL(", ").join(sql.Identifier(c) for c in table.primary_key or ("ctid",))
    where, params = _where(match, older)
    statement = sql.SQL(
        "DELETE FROM {t} WHERE {where} AND ({key}) IN (SELECT {key} FROM {t} WHERE {where} LIMIT %s)"
    ).format(t=table.identifier, key=key, where=where)
    with db.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection), [*params, *params, size])
        return int(cursor.rowcount)


def clear_column(reference: Reference, value: int) -> int:
    """Empty a nullable reference to ``value`` in one statement (it changes no row's owner)."""
    statement = sql.SQL("UPDATE {t} SET {c} = NULL WHERE {c} = %s").format(
        t=reference.table.identifier, c=sql.Identifier(reference.column)
    )
    with db.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection), [value])
        return int(cursor.rowcount)


def count_rows(table: Table, match: Mapping[str, int], *, older: Older | None = None) -> int:
    where, params = _where(match, older)
    statement = sql.SQL("SELECT count(*) FROM {t} WHERE {where}").format(
        t=table.identifier, where=where
    )
    with db.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection), params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def purge_tables(
    tables: Sequence[Table],
    match: Mapping[str, int],
    *,
    team_id: int,
    counted: Callable[[str, int], None],
    size: int = BATCH_SIZE,
) -> None:
    """Delete every matching row of ``tables``, a batch per transaction inside the team's scope.

    ``counted(label, rows)`` runs in each batch's transaction, so a record of the counts saved
    there survives a purge killed half-way and the resumed purge adds to it.
    """
    for table in tables:
        while True:
            with team_scope(team_id):
                deleted = delete_batch(table, match, size=size)
                if deleted:
                    counted(table.label, deleted)
            if deleted < size:
                break
