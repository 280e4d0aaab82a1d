"""Bulk writes: COPY into a temporary staging table, then one set-based upsert per target table.

Row-at-a-time ORM saves are not an ingest path (docs/architecture.md, "The data path"). A batch
goes:

1. ``CREATE TEMP TABLE … ON COMMIT DROP`` with the batch's columns: nothing to purge, nothing
   another team can see, gone with the transaction whatever happens;
2. ``COPY … FROM STDIN`` of the rows;
3. per target table, ``INSERT … SELECT DISTINCT ON (natural key) … ON CONFLICT (team, connection,
   natural key) DO UPDATE … WHERE`` the incoming row is not older than the stored one **and**
   differs from it. So an older payload never overwrites a newer one, and a row that did not
   change is not rewritten (no dead tuple, no WAL, and ``synced_at`` keeps meaning "last change").
   A target whose staged rows seldom repeat a key skips the sort until a repeat is found, and
   one with ``summed`` columns adds up the rows a key cannot tell apart (see ``Target``). A
   batch of rows the table does not hold yet goes in by a plain INSERT (see ``merge``).

Nothing here names a table: each domain app's ``writers`` module says which of its tables a
kind of row goes to (a :class:`Writer`). The caller runs the batch inside
``team_scope(team_id)``: row-level security checks every inserted and updated row (WITH CHECK).
"""

from __future__ import annotations

import itertools
import os
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from django.db import connection, transaction
from psycopg import sql

from ams.core.tenancy import require_team_scope


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str


# The staged type of a row field, by its Python type (``X | None`` as ``X``).
_SQL_TYPES: dict[type, str] = {
    str: "text",
    int: "integer",
    bool: "boolean",
    Decimal: "numeric(18,2)",
    datetime: "timestamptz",
    date: "date",
}


def columns_of(row_type: type[tuple[Any, ...]], **sql_types: str) -> tuple[Column, ...]:
    """The staging columns of a NamedTuple row type, in its field order: each field's type as
    ``_SQL_TYPES`` says, or as ``sql_types`` names it. So a row and its staging table cannot
    disagree on the order of the columns."""
    hints = typing.get_type_hints(row_type)
    columns = []
    for name in row_type._fields:  # type: ignore[attr-defined]
        hint = hints[name]
        if isinstance(hint, types.UnionType):
            (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
        columns.append(Column(name, sql_types.get(name) or _SQL_TYPES[hint]))
    return tuple(columns)


@dataclass(frozen=True)
class Target:
    """A table rows are upserted into. ``key`` excludes team_id and connection_id, which lead it."""

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    # The column that orders versions of a row ("last updated"); None: the newest batch wins.
    version: str | None = None
    # Columns set by the database on insert and on every real change.
    touch: tuple[str, ...] = ("synced_at",)
    # Expressions over the staging table's columns, for target columns not staged under that name.
    expressions: dict[str, str] = field(default_factory=dict)
    # A filter on the staged rows this target takes (SQL over the staging table).
    where: str = ""
    # The staged rows seldom repeat a key (one staged row per target row, as order lines): they
    # are upserted as they come, and sorted by key to keep the newest of each only in the rare
    # batch where PostgreSQL finds a repeat. Sorting every batch cost a fifth of the upsert.
    seldom_repeated: bool = False
    # Columns added up over staged rows with the same key and version: distinct items of one
    # document that the key cannot tell apart (an order with two items of one SKU, which the
    # all-orders report lists as two lines). The other columns of such rows are the same.
    # Only for a source that lists each item once: a repeat is then never the same item twice.
    summed: tuple[str, ...] = ()


# A hook run after a batch's upserts, in its transaction: the staging table, and whether the
# batch only added rows (Merged.added_only).
AfterMerge = Callable[[str, bool], None]


@dataclass(frozen=True)
class Writer:
    """Where one kind of staged row goes: its staging columns, the tables it is upserted into,
    and the read-model refreshes of the batch's transaction (``before_merge`` sees the tables
    as they were, to take out what the batch replaces; ``after_merge`` as they are now). Each
    domain app's ``writers`` module makes these for its own tables."""

    columns: tuple[Column, ...]
    targets: tuple[Target, ...] = ()
    before_merge: Callable[[str], None] | None = None
    after_merge: AfterMerge | None = None


# Names for staging tables, unique in the process (next() on a count is atomic).
_stage_numbers = itertools.count(1)


def stage_name() -> str:
    """A name for a new temporary staging table."""
    return f"_stage_{os.getpid()}_{next(_stage_numbers)}"


def stage(columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> tuple[str, int]:
    """Create a temporary staging table and COPY ``rows`` into it; returns (name, row count)."""
    name = stage_name()
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.sql_type)) for c in columns
    )
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(
                sql.Identifier(name), definition
            )
        )
        with raw.copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(name), names)
        ) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return name, count


def drop_stage(staged: str) -> None:
    """Drop a staging table before the transaction ends (when one transaction stages twice)."""
    with connection.cursor() as cursor:
        cursor.cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staged)))


def commit_without_flush_wait() -> None:
    """This transaction's commit returns before its WAL reaches the disk (never less safe
    for other transactions; see the caller for why it is safe for this one)."""
    with connection.cursor() as cursor:
        cursor.cursor.execute("SET LOCAL synchronous_commit TO off")


@dataclass(frozen=True)
class Merged:
    """What the upserts of one batch did."""

    # Rows inserted or changed, over all targets.
    changed: int
    # Every target took the batch by a plain INSERT (see merge): no target held any of the
    # batch's keys, so the batch added rows and changed none, and a target that is not sorted
    # (``seldom_repeated``) gained exactly one row per staged row it takes (its ``where``). A
    # read model can then add the batch to its sums instead of summing its days again.
    added_only: bool
    # Of ``changed``, the rows inserted (the rest were rows the table held, changed).
    added: int = 0


def write(writer: Writer, staged: str, *, connection_id: int) -> Merged:
    """A staged batch through ``writer``: its ``before_merge``, the upserts, its ``after_merge``."""
    if writer.before_merge is not None:
        writer.before_merge(staged)
    merged = merge_all(writer.targets, staged, connection_id=connection_id)
    if writer.after_merge is not None:
        writer.after_merge(staged, merged.added_only)
    return merged


def merge_all(targets: Sequence[Target], staged: str, *, connection_id: int) -> Merged:
    """:func:`merge` of the staged rows into each target in turn."""
    changed = inserted = 0
    added_only = True
    for target in targets:
        rows, added, new_rows = _merge(target, staged, connection_id=connection_id)
        changed += rows
        inserted += new_rows
        added_only = added_only and added
    return Merged(changed, added_only, inserted)


def merge(target: Target, staged: str, *, connection_id: int) -> int:
    """Upsert the staged rows into ``target`` for the current team and ``connection_id``;
    returns how many rows were inserted or changed."""
    return _merge(target, staged, connection_id=connection_id)[0]


def _counted(upsert: sql.Composable) -> sql.Composable:
    """``upsert`` answering one row: the rows it wrote, and of them those it inserted (a row
    it inserted has no ``xmax``; one it updated carries the updating transaction's)."""
    return sql.SQL(
        "WITH written AS ({} RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*), count(*) FILTER (WHERE inserted) FROM written"
    ).format(upsert)


def _merge(target: Target, staged: str, *, connection_id: int) -> tuple[int, bool, int]:
    """:func:`merge`; also whether the rows went in by the plain INSERT (all of them new), and
    how many of the rows written were inserted.

    One statement that is right for every batch: the upsert sorted by key. Two cheaper ones are
    tried first where they usually hold, and fail cleanly where they do not, leaving the sorted
    upsert to do the batch:

    * a batch of rows the table does not hold yet (a backfill's) goes in by a plain INSERT: an
      upsert's speculative insertion checks every key first, a quarter to a third of its cost.
      A key the table holds after all, or one staged twice, fails it (a unique violation);
    * a batch of a target whose rows seldom repeat a key is upserted unsorted: a key staged
      twice makes the upsert touch its row twice, which PostgreSQL refuses (a cardinality
      violation) whichever version comes first.
    """
    params = {"team": require_team_scope(), "connection": connection_id}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        new = first_key_missing(raw, target, staged, params)
        cheaper: sql.Composable | None = None
        if new:
            cheaper = merge_statement(
                target, staged, distinct=not target.seldom_repeated, new_only=True
            )
        elif target.seldom_repeated and target.version is not None and _updates(target):
            cheaper = merge_statement(target, staged, distinct=False)
        if cheaper is not None:
            try:
                with transaction.atomic():
                    if new:
                        raw.execute(cheaper, params)
                        return int(raw.rowcount), True, int(raw.rowcount)
                    raw.execute(_counted(cheaper), params)
                    written, inserted = raw.fetchone() or (0, 0)
                    return int(written), False, int(inserted)
            except (psycopg.errors.UniqueViolation, psycopg.errors.CardinalityViolation):
                pass
        raw.execute(_counted(merge_statement(target, staged)), params)
        written, inserted = raw.fetchone() or (0, 0)
        return int(written), False, int(inserted)


def first_key_missing(
    raw: psycopg.Cursor[Any], target: Target, staged: str, params: dict[str, int]
) -> bool:
    """Whether the first staged row's key is missing from ``target``: what tells a batch of new
    rows from one of rows the table holds (a sync that updates them). The row is inserted, if
    its key is missing, and taken out again at once by a savepoint's rollback (see
    :func:`key_probe`), inside a transaction or not. A row the table refuses (a missing key) is
    not new: the upsert then says why."""
    with transaction.atomic(savepoint=False):
        undo = transaction.savepoint()
        try:
            raw.execute(key_probe(target, staged), params)
            missing = raw.rowcount == 1
        except (psycopg.IntegrityError, psycopg.DataError):
            missing = False
        transaction.savepoint_rollback(undo)
    return missing


def key_probe(target: Target, staged: str) -> sql.Composed:
    """An INSERT of the first staged row into ``target`` that does nothing if its key is there.

    The unique index answers, as the arbiter of ON CONFLICT: a query would be planned from the
    team's statistics, and for a new seller (whom they estimate to have no rows) the planner
    took any index that starts with the team, reading all the seller's rows at each batch as
    the backfill filled them in. The caller undoes the insert.
    """
    ident = sql.Identifier
    where_clause = sql.SQL("WHERE " + target.where) if target.where else sql.SQL("")
    insert_columns = [
        ident(c) for c in ("team_id", "connection_id", *target.columns, *target.touch)
    ]
    return sql.SQL(
        """
        INSERT INTO {table} ({insert_columns})
        SELECT %(team)s, %(connection)s, {selected}{touch_values} FROM {staged} s {where} LIMIT 1
        ON CONFLICT (team_id, connection_id, {key}) DO NOTHING
        """
    ).format(
        table=ident(target.table),
        insert_columns=sql.SQL(", ").join(insert_columns),
        selected=sql.SQL(", ").join(_source(target, c) for c in target.columns),
        touch_values=sql.SQL("").join(sql.SQL(", now()") for _ in target.touch),
        staged=ident(staged),
        where=where_clause,
        key=sql.SQL(", ").join(ident(k) for k in target.key),
    )


def _source(target: Target, column: str) -> sql.Composable:
    """The staged value of a target column: its expression, or the staged column of its name."""
    expression = target.expressions.get(column)
    return sql.SQL(expression) if expression else sql.SQL("s.") + sql.Identifier(column)


def _updates(target: Target) -> list[str]:
    """The columns an upsert into ``target`` sets on a conflict (all but the key's)."""
    return [c for c in target.columns if c not in target.key]


def merge_statement(
    target: Target, staged: str, *, distinct: bool = True, new_only: bool = False
) -> sql.Composable:
    """The upsert of :func:`merge`; parameters ``team`` and ``connection``. ``distinct`` False:
    the staged rows as they come, for a batch whose keys are all different. ``new_only``: a
    plain INSERT, which fails on any key the table already holds."""
    ident = sql.Identifier
    key = [ident(k) for k in target.key]
    data = _updates(target)

    selected = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(_source(target, c), ident(c)) for c in target.columns
    )
    version_order = (
        sql.SQL(", {} DESC").format(ident(target.version))
        if target.version is not None
        else sql.SQL("")
    )
    where_clause = sql.SQL("WHERE " + target.where) if target.where else sql.SQL("")
    insert_columns = [ident("team_id"), ident("connection_id"), *(ident(c) for c in target.columns)]
    insert_columns += [ident(c) for c in target.touch]
    updates = [sql.SQL("{} = EXCLUDED.{}").format(ident(c), ident(c)) for c in data]
    updates += [sql.SQL("{} = now()").format(ident(c)) for c in target.touch]
    conditions: list[sql.Composable] = []
    if target.version is not None:
        conditions.append(sql.SQL("EXCLUDED.{v} >= t.{v}").format(v=ident(target.version)))
    if data:
        conditions.append(
            sql.SQL("({}) IS DISTINCT FROM ({})").format(
                sql.SQL(", ").join(sql.SQL("t.") + ident(c) for c in data),
                sql.SQL(", ").join(sql.SQL("EXCLUDED.") + ident(c) for c in data),
            )
        )
    on_conflict = sql.SQL("ON CONFLICT (team_id, connection_id, {}) {}").format(
        sql.SQL(", ").join(key),
        sql.SQL("DO UPDATE SET {} WHERE {}").format(
            sql.SQL(", ").join(updates), sql.SQL(" AND ").join(conditions)
        )
        if data
        else sql.SQL("DO NOTHING"),
    )
    rows: sql.Composable = sql.SQL("{} s {}").format(ident(staged), where_clause)
    if distinct and target.summed:
        if target.expressions or target.version is None:
            raise ValueError("summed columns need a version and the staged columns as they are")
        grouped = [*target.key, target.version]
        rows = sql.SQL("(SELECT {}, {} FROM {} GROUP BY {}) s").format(
            sql.SQL(", ").join(ident(c) for c in grouped),
            sql.SQL(", ").join(
                sql.SQL("{}({}) AS {}").format(
                    sql.SQL("sum" if c in target.summed else "max"), ident(c), ident(c)
                )
                for c in target.columns
                if c not in grouped
            ),
            rows,
            sql.SQL(", ").join(ident(c) for c in grouped),
        )
    source_rows = (
        sql.SQL("SELECT DISTINCT ON ({key}) {selected} FROM {rows} ORDER BY {key}{version_order}")
        if distinct
        else sql.SQL("SELECT {selected} FROM {rows}")
    ).format(key=sql.SQL(", ").join(key), selected=selected, rows=rows, version_order=version_order)
    return sql.SQL(
        """
        INSERT INTO {table} AS t ({insert_columns})
        SELECT %(team)s, %(connection)s, src.*{touch_values} FROM ({source_rows}) AS src
        {on_conflict}
        """
    ).format(
        source_rows=source_rows,
        table=ident(target.table),
        insert_columns=sql.SQL(", ").join(insert_columns),
        touch_values=sql.SQL("").join(sql.SQL(", now()") for _ in target.touch),
        on_conflict=sql.SQL("") if new_only else on_conflict,
    )


def delete_unseen(
    table: str,
    *,
    connection_id: int,
    marketplace_id: str,
    seen: set[str],
    channel: str | None = None,
) -> int:
    """Delete the current team's rows of ``table`` for a connection and marketplace (and
    fulfilment ``channel``) whose SKU is not in ``seen``: after a complete read of what Amazon
    lists now, what it no longer lists. Returns how many went."""
    query = sql.SQL(
        "DELETE FROM {} WHERE team_id = %s AND connection_id = %s AND marketplace_id = %s AND NOT (sku = ANY(%s))"
    ).format(sql.Identifier(table))
    params: list[Any] = [require_team_scope(), connection_id, marketplace_id, sorted(seen)]
    if channel is not None:
        query = query + sql.SQL(" AND fulfillment_channel = %s")
        params.append(channel)
    with connection.cursor() as cursor:
        cursor.cursor.execute(query, params)
        return int(cursor.cursor.rowcount)
