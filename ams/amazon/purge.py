"""The purge of a disconnected connection's Amazon data, and its proof.

The tables to clear are found in the catalog, never listed by hand: every table, in any schema,
with both a ``team_id`` and a ``connection_id`` column (the vault included). Rows go in bounded
batches, one transaction each, inside the team's scope, so a killed purge resumes where it stopped
and never holds long locks. Then every table is counted again and the result, with the rows
deleted per table, is written to the connection's DeletionRecord, which the team's owner can see.

The connection row stays as a tombstone (the deletion record and the audit trail point at it), but
its seller id and name are blanked once the purge is verified: they identify the Amazon account.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.db import connection as db
from django.utils import timezone
from psycopg import sql

from ams.amazon.models import DeletionRecord, SellerConnection
from ams.core.tenancy import team_scope

log = structlog.get_logger(__name__)

BATCH_SIZE = 5000

# pg_catalog rather than information_schema: the latter hides tables the role has no rights on,
# and a purge must not miss a table because of a grant.
_TABLES = """
SELECT n.nspname, c.relname, c.oid
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'team_id' AND NOT a.attisdropped)
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'connection_id' AND NOT a.attisdropped)
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


class PurgeRefused(Exception):
    pass


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


def connection_tables() -> list[Table]:
    """Every table holding a connection's rows, children before the tables they reference."""
    with db.cursor() as cursor:
        cursor.execute(_TABLES)
        rows = cursor.fetchall()
        cursor.execute(_PRIMARY_KEYS)
        keys = {oid: tuple(columns) for oid, columns in cursor.fetchall()}
        found = {oid: Table(schema, name, keys.get(oid, ())) for schema, name, oid in rows}
        cursor.execute(_FOREIGN_KEYS)
        references: dict[int, set[int]] = {oid: set() for oid in found}
        for child, parent in cursor.fetchall():
            if child in found and parent in found:
                references[child].add(parent)
    # Depth-first: a table is emitted only after every table that references it.
    referenced_by: dict[int, set[int]] = {oid: set() for oid in found}
    for child, parents in references.items():
        for parent in parents:
            referenced_by[parent].add(child)
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


def _delete_batch(table: Table, team_id: int, connection_id: int) -> int:
    key = sql.SQL(", ").join(sql.Identifier(c) for c in table.primary_key or ("ctid",))
    statement = sql.SQL(
        "DELETE FROM {t} WHERE team_id = %s AND connection_id = %s AND ({key}) IN ("
        "SELECT {key} FROM {t} WHERE team_id = %s AND connection_id = %s LIMIT %s)"
    ).format(t=table.identifier, key=key)
    with db.cursor() as cursor:
        cursor.execute(
            statement.as_string(cursor.connection),
            [team_id, connection_id, team_id, connection_id, BATCH_SIZE],
        )
        return int(cursor.rowcount)


def _count(table: Table, team_id: int, connection_id: int) -> int:
    statement = sql.SQL(
        "SELECT count(*) FROM {t} WHERE team_id = %s AND connection_id = %s"
    ).format(t=table.identifier)
    with db.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection), [team_id, connection_id])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def connection_purge(*, connection: SellerConnection) -> DeletionRecord:
    """Delete every row of the connection's data, verify none is left, and record the proof.

    Idempotent: a second run deletes nothing and verifies again. Run it outside a transaction so
    each batch commits on its own; the worker runs it, and the web role could too (it may delete
    vault rows, by primary key, without reading them).
    """
    team_id, connection_id = connection.team_id, connection.id
    with team_scope(team_id):
        connection = SellerConnection.objects.get(team_id=team_id, id=connection_id)
        if connection.is_live:
            raise PurgeRefused("a live connection is never purged: disconnect it first")
        record = (
            DeletionRecord.objects.filter(team_id=team_id, connection_ref=connection_id)
            .order_by("-id")
            .first()
        )
        if record is None:
            record = DeletionRecord.objects.create(
                team_id=team_id,
                connection_ref=connection_id,
                connection_label=str(connection_id),
                requested_at=connection.disconnected_at or timezone.now(),
                due_at=connection.purge_due_at or timezone.now(),
            )
    tables = connection_tables()
    for table in tables:
        while True:
            with team_scope(team_id):
                deleted = _delete_batch(table, team_id, connection_id)
                if deleted:
                    # Saved with the batch, so the counts survive a purge killed half-way.
                    record.rows_deleted = {
                        **record.rows_deleted,
                        table.label: record.rows_deleted.get(table.label, 0) + deleted,
                    }
                    record.save(update_fields=["rows_deleted"])
            if deleted < BATCH_SIZE:
                break
    with team_scope(team_id):
        remaining = {table.label: _count(table, team_id, connection_id) for table in tables}
        now = timezone.now()
        record.rows_deleted = {
            table.label: record.rows_deleted.get(table.label, 0) for table in tables
        }
        record.rows_remaining = remaining
        record.verified = not any(remaining.values())
        record.completed_at = now if record.verified else None
        record.save(update_fields=["rows_deleted", "rows_remaining", "verified", "completed_at"])
        if record.verified:
            SellerConnection.objects.filter(team_id=team_id, id=connection_id).update(
                purged_at=now, selling_partner_id="", name="", status_reason="Amazon data deleted."
            )
    log.info(
        "amazon.purged",
        team_id=team_id,
        connection_id=connection_id,
        verified=record.verified,
        rows_deleted=sum(record.rows_deleted.values()),
        tables=len(tables),
    )
    return record
