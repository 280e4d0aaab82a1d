"""The purge of a disconnected connection's Amazon data, and its proof.

The tables to clear are found in the catalog, never listed by hand (``ams.core.purge``): every
table, in any schema, with both a ``team_id`` and a ``connection_id`` column (the vault included). Rows go in bounded
batches, one transaction each, inside the team's scope, so a killed purge resumes where it stopped
and never holds long locks. Then every table is counted again and the result, with the rows
deleted per table, is written to the connection's DeletionRecord, which the team's owner can see.

The connection row stays as a tombstone (the deletion record and the audit trail point at it), but
its seller id and name are blanked once the purge is verified: they identify the Amazon account.
"""

from __future__ import annotations

import structlog
from django.db import connection as db
from django.utils import timezone

from ams.amazon.models import DeletionRecord, SellerConnection
from ams.core.audit_log import audit_record
from ams.core.purge import BATCH_SIZE, Table, count_rows, purge_tables, tables_with
from ams.core.tenancy import team_scope

log = structlog.get_logger(__name__)

CONNECTION_COLUMNS = ("team_id", "connection_id")


class PurgeRefused(Exception):
    pass


def connection_tables() -> list[Table]:
    """Every table holding a connection's rows, children before the tables they reference."""
    return tables_with(CONNECTION_COLUMNS)


# Tables shared by every team, which name a seller or a connection outside the team's rows: the
# rate buckets (keyed by seller id, as Amazon meters) and the finished jobs of the connection.
_FORGET_BUCKETS = "DELETE FROM amazon_spapi_rate_bucket WHERE seller_id = %s OR seller_id LIKE %s"
_FORGET_JOBS = (
    "DELETE FROM procrastinate_jobs WHERE status NOT IN ('todo', 'doing') "
    "AND args->>'team_id' = %s AND args->>'connection_id' = %s"
)


def shared_rows_forget(*, seller_id: str, team_id: int, connection_id: int) -> int:
    """Delete the shared rows that still name the seller; the count deleted.

    A bucket another team still uses is seeded again on its next call, at Amazon's burst.
    """
    deleted = 0
    with db.cursor() as cursor:
        if seller_id:  # blank once the purge has verified: nothing to match, and "%" matches all
            cursor.execute(_FORGET_BUCKETS, [seller_id, f"unproven:%:{seller_id}"])
            deleted += int(cursor.rowcount)
        cursor.execute(_FORGET_JOBS, [str(team_id), str(connection_id)])
        deleted += int(cursor.rowcount)
    return deleted


def connection_purge(*, connection: SellerConnection) -> DeletionRecord:
    """Delete every row of the connection's data, verify none is left, and record the proof.

    Idempotent: a second run deletes nothing and verifies again. Run it outside a transaction so
    each batch commits on its own; the worker runs it, and the web role could too (it may delete
    vault rows, by primary key, without reading them).
    """
    team_id, connection_id = connection.team_id, connection.id
    match = {"team_id": team_id, "connection_id": connection_id}
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
    seller_id = connection.selling_partner_id

    def counted(label: str, deleted: int) -> None:
        record.rows_deleted = {
            **record.rows_deleted,
            label: record.rows_deleted.get(label, 0) + deleted,
        }
        record.save(update_fields=["rows_deleted"])

    tables = connection_tables()
    purge_tables(tables, match, team_id=team_id, counted=counted, size=BATCH_SIZE)
    shared = shared_rows_forget(seller_id=seller_id, team_id=team_id, connection_id=connection_id)
    with team_scope(team_id):
        remaining = {table.label: count_rows(table, match) for table in tables}
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
            audit_record(
                team_id=team_id,
                actor_id=None,
                kind="amazon.purged",
                connection_id=connection_id,
                deletion_record=record.id,
                rows_deleted=sum(record.rows_deleted.values()),
            )
    log.info(
        "amazon.purged",
        team_id=team_id,
        connection_id=connection_id,
        verified=record.verified,
        rows_deleted=sum(record.rows_deleted.values()),
        shared_rows_deleted=shared,
        tables=len(tables),
    )
    return record
