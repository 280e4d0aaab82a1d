"""The sync's side of a batch: a flat file's raw lines staged for the in-database conversion
(ams/sync/convert_sql.py), and the connection the batch belongs to held until it commits.

Staging typed rows and merging them into a domain's tables is ams/core/bulk.py's, through the
domain's ``writers``. The caller runs the batch inside ``team_scope(team_id)``, and the cursor
that the batch advances is saved in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import psycopg
from django.db import connection, transaction
from psycopg import sql

from ams.core.bulk import Column, stage_name

# COPY data goes to the server in pieces of this size.
_COPY_CHUNK = 1 << 20


def stage_cells(data: bytes, width: int) -> str | None:
    """A temporary table ``(n, c1 … c<width>)`` of a block's rows, given in COPY text format
    with tabs between cells, if every row has ``width`` cells; None if one has not (COPY refuses
    the block, and nothing of it stays)."""
    name = stage_name()
    cells = [sql.Identifier(f"c{i}") for i in range(1, width + 1)]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            raw.execute(
                sql.SQL(
                    "CREATE TEMP TABLE {} (n integer GENERATED ALWAYS AS IDENTITY, {}) ON COMMIT DROP"
                ).format(
                    sql.Identifier(name),
                    sql.SQL(", ").join(sql.SQL("{} text").format(c) for c in cells),
                )
            )
            with raw.copy(
                sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(name), sql.SQL(", ").join(cells)
                )
            ) as copy:
                for start in range(0, len(data), _COPY_CHUNK):
                    copy.write(data[start : start + _COPY_CHUNK])
    except psycopg.errors.BadCopyFileFormat:
        return None
    return name


def stage_lines(data: bytes) -> str:
    """A temporary table ``(n, line)`` of a block's rows, given in COPY text format (a tab in
    a line is a character of it here); ``n`` numbers them from 1 in the order given."""
    name = stage_name()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (n integer GENERATED ALWAYS AS IDENTITY, line text) ON COMMIT DROP"
            ).format(sql.Identifier(name))
        )
        with raw.copy(sql.SQL("COPY {} (line) FROM STDIN").format(sql.Identifier(name))) as copy:
            for start in range(0, len(data), _COPY_CHUNK):
                copy.write(data[start : start + _COPY_CHUNK].replace(b"\t", b"\\t"))
    return name


def stage_converted(
    columns: Sequence[Column], select: Callable[[bool], sql.Composable]
) -> tuple[str, int]:
    """A staging table of ``columns`` plus the line number ``_n``, filled by ``select(guarded)``
    (convert_sql.Conversion.select): unguarded first, guarded if a cell could not be read;
    returns (name, row count)."""
    name = stage_name()
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.sql_type)) for c in columns
    )
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            sql.SQL("CREATE TEMP TABLE {} ({}, _n integer) ON COMMIT DROP").format(
                sql.Identifier(name), definition
            )
        )
        insert = sql.SQL("INSERT INTO {} ({}, _n) ").format(sql.Identifier(name), names)
        try:
            with transaction.atomic():
                raw.execute(insert + select(False))
        except psycopg.DataError:
            raw.execute(insert + select(True))
        count = raw.rowcount
    return name, count


def declined_lines(raw: str, staged: str, *, width: int | None = None) -> list[tuple[int, str]]:
    """The rows of ``raw`` that did not reach ``staged``, in order, as lines: the raw table of
    :func:`stage_lines`, or of :func:`stage_cells` with ``width`` (its cells joined again)."""
    line: sql.Composable = sql.SQL("line")
    if width is not None:
        line = sql.SQL("concat_ws(E'\\t', {})").format(
            sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(1, width + 1))
        )
    with connection.cursor() as cursor:
        raw_cursor = cursor.cursor
        raw_cursor.execute(
            sql.SQL(
                "SELECT n, {} FROM {} l WHERE NOT EXISTS (SELECT FROM {} s WHERE s._n = l.n) ORDER BY n"
            ).format(line, sql.Identifier(raw), sql.Identifier(staged))
        )
        return [(int(n), str(text)) for n, text in raw_cursor.fetchall()]


def stage_more(staged: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> int:
    """COPY rows (each ending with its line number) into a staging table of stage_converted."""
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            sql.SQL("COPY {} ({}, _n) FROM STDIN").format(sql.Identifier(staged), names)
        ) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


class ConnectionGone(Exception):
    """The connection a batch belongs to is no longer there (or not the team's)."""


def hold_connection(connection_id: int) -> None:
    """Check that ``connection_id`` is the current team's and keep it from being deleted until
    this transaction ends: what a foreign key would check row by row (the order tables have
    none, see ams/orders/models.py), once for the batch."""
    with connection.cursor() as cursor:
        cursor.cursor.execute(
            "SELECT FROM amazon_sellerconnection WHERE id = %s FOR KEY SHARE", [connection_id]
        )
        if cursor.cursor.fetchone() is None:
            raise ConnectionGone(
                f"connection {connection_id} is not this team's or no longer exists"
            )


def lock_read_models(connection_id: int) -> None:
    """Until this transaction ends, the only one refreshing ``connection_id``'s read models."""
    with connection.cursor() as cursor:
        cursor.cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('ams.sync.read_models', %s))",
            [connection_id],
        )


def stage_for_session(columns: Sequence[Column]) -> str:
    """A temporary staging table that outlives transactions (dropped by :func:`drop_session_stage`
    or with the connection): a document staged over several transactions, then merged in one."""
    name = stage_name()
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.sql_type)) for c in columns
    )
    with connection.cursor() as cursor:
        cursor.cursor.execute(
            sql.SQL("CREATE TEMP TABLE {} ({})").format(sql.Identifier(name), definition)
        )
    return name


def stage_append(staged: str, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> int:
    """COPY ``rows`` into a staging table; returns how many."""
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(staged), names)
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def drop_session_stage(staged: str) -> None:
    with connection.cursor() as cursor:
        cursor.cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staged)))
