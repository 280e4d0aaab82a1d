"""Converting a flat file's rows inside PostgreSQL: the fast path of the bulk ingest.

A block of raw lines is COPYed as it is into a temporary table (a text column per header column
when every line has one cell per column, else one column for the whole line); one ``INSERT …
SELECT`` then checks and casts every line that is plainly well formed into the typed staging
table the upserts read. Python does no work per line.

The Python converter stays the definition of a row. A line the SQL declines (an unusual date
format, a decimal comma, an unknown status, a cell with odd whitespace, too many cells, …) is
handed to it, and it converts the line or quarantines it with its reason. So the SQL only has
to be *exact where it accepts*: a row it converts is the row Python would have made
(tests/sync/test_convert_sql.py compares the two over generated lines), and the slow path costs
only for odd lines.

The helpers below build that SQL from the header of the file: ``cells(name)`` is the text of a
named column, ``''`` when the file has no such column or the line is short, as in the Python
parser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from psycopg import sql

from ams.sync.parsers.flatfile import ODD_WHITESPACE

# A line holding whitespace that Python's str.strip() removes besides space and tab goes to
# Python, so btrim() (spaces only) can stand in for strip() on the lines SQL takes.
_ODD_WHITESPACE_CLASS = "[" + "".join(f"\\u{ord(c):04x}" for c in ODD_WHITESPACE) + "]"


class Cells:
    """A file's header, turned into SQL for a named cell of the current line.

    Two shapes of raw table: ``cells`` (one text column ``c1`` … ``cN`` per header column,
    when COPY could split every line of the block itself) or ``lines`` (the whole line in
    ``line``, split here into the array ``c``).
    """

    def __init__(self, header: Sequence[str], *, split: bool, guarded: bool = True) -> None:
        # The last of duplicate names wins, as in the Python parser's dict(zip(header, cells)).
        self.index = {name: position + 1 for position, name in enumerate(header)}
        self.width = len(header)
        self.split = split
        # Which kind of readings the plan is to use (see read_timestamp).
        self.guarded = guarded

    def __call__(self, name: str) -> sql.Composable:
        position = self.index.get(name)
        if position is None:
            return sql.Literal("")
        if self.split:
            return sql.Identifier(f"c{position}")
        return sql.SQL("coalesce(c[{}], '')").format(sql.Literal(position))


# --- expressions --------------------------------------------------------------------------------


def text(cell: sql.Composable, limit: int) -> sql.Composable:
    """flatfile.text: stripped, cut to ``limit`` characters."""
    return sql.SQL("left(btrim({}), {})").format(cell, sql.Literal(limit))


# Readings: a cell read once per line into a value of its type, as a derived value of the plan;
# then a check that the value is the one Python's reader would make of the cell, which the
# columns use as it is.
#
# A reading comes in two kinds. Guarded, it is NULL where PostgreSQL cannot read the cell
# (pg_input_is_valid, then the cast: the cell is parsed twice). Unguarded, the cell is cast
# once and a cell PostgreSQL cannot read fails the whole statement: the caller then converts
# the block again, guarded (ingest.stage_converted). Amazon's cells nearly always read, so the
# unguarded statement is the usual one, and a third cheaper.


def read_timestamp(cell: sql.Composable, *, guarded: bool = True) -> sql.Composable:
    guard = (
        sql.SQL(" AND pg_input_is_valid({}, 'timestamptz')").format(cell)
        if guarded
        else sql.SQL("")
    )
    return sql.SQL(
        "CASE WHEN {c} LIKE '____-__-__T__:__:__+00:00'{guard} THEN {c}::timestamptz END"
    ).format(c=cell, guard=guard)


def is_timestamp(cell: sql.Composable, value: sql.Composable) -> sql.Composable:
    """A timestamp written exactly as Amazon writes them, in UTC: ``2024-05-01T10:00:00+00:00``.

    The check is that PostgreSQL writes the value it read back the same, character for
    character: no hour 24, no leap second, no year 0, no space, no other shape (Python's
    reader takes all of these alike). Any other form, an offset other than UTC included, is
    Python's to read.
    """
    return sql.SQL(
        """({v} IS NOT NULL AND to_char({v} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') = {c})"""
    ).format(v=value, c=cell)


def read_amount(cell: sql.Composable, *, guarded: bool = True) -> sql.Composable:
    """NULL for an empty cell, as flatfile.money."""
    if not guarded:
        return sql.SQL("nullif({}, '')::numeric").format(cell)
    return sql.SQL("CASE WHEN pg_input_is_valid({c}, 'numeric') THEN {c}::numeric END").format(
        c=cell
    )


def is_amount(cell: sql.Composable, value: sql.Composable) -> sql.Composable:
    """Empty, or an amount PostgreSQL writes back the same (plain digits, a point, a minus: no
    exponent, no spaces, no underscores) in at most 12 characters.

    Written back, an amount has a digit before any point, so 12 characters hold at most 12
    digits and 10 decimals: it is under 10^12 (flatfile.money's limit, and sums of two stay
    inside numeric(18,2)), and sums are exact in both readers. NaN and Infinity are written back
    as they came: the bounds leave them out. Longer amounts are Python's to read."""
    return sql.SQL(
        "({c} = '' OR (octet_length({c}) <= 12 AND {v}::text = {c} AND {v} BETWEEN -1e12 AND 1e12))"
    ).format(c=cell, v=value)


def read_integer(cell: sql.Composable, *, guarded: bool = True) -> sql.Composable:
    guard = (
        sql.SQL(" AND pg_input_is_valid({}, 'integer')").format(cell) if guarded else sql.SQL("")
    )
    return sql.SQL("CASE WHEN length({c}) BETWEEN 1 AND 9{guard} THEN {c}::integer END").format(
        c=cell, guard=guard
    )


def is_integer(cell: sql.Composable, value: sql.Composable) -> sql.Composable:
    """A count PostgreSQL writes back the same (no sign, space or leading zero) of at most 9
    digits (flatfile.integer takes those alike)."""
    return sql.SQL("({v} IS NOT NULL AND {v}::text = {c})").format(c=cell, v=value)


def ascii_lower(expression: sql.Composable) -> sql.Composable:
    """lower() of the ASCII letters only (the "C" collation: a byte at a time, half the cost of
    the database's locale). Python's lower() agrees on ASCII text; a non-ASCII character stays
    as it is, so the result only matches an ASCII key if the text was ASCII already."""
    return sql.SQL('lower(({}) COLLATE "C")').format(expression)


def is_ascii(cell: sql.Composable) -> sql.Composable:
    """Only single-byte (ASCII) characters: lower() then means the same in both readers."""
    return sql.SQL("(octet_length({c}) = length({c}))").format(c=cell)


def lookup(expression: sql.Composable, mapping: Mapping[str, str]) -> sql.Composable:
    """The value ``mapping`` gives ``expression``, NULL for a key it does not have."""
    cases = sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(key), sql.Literal(value))
        for key, value in mapping.items()
    )
    return sql.SQL("(CASE {} {} END)").format(expression, cases)


# --- a conversion -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a conversion makes of one file's header.

    ``derived``: named values computed once per line, which ``columns`` and ``accept`` may
    name; ``columns``: the staged column → its expression (cast to the column's type by the
    caller); ``accept``: the conditions for SQL to take a line (all must hold).
    """

    columns: Mapping[str, sql.Composable]
    accept: Sequence[sql.Composable]
    derived: Mapping[str, sql.Composable] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversion:
    """A family's in-database conversion: ``plan(cells)`` for the header of the file at hand."""

    plan: Callable[[Cells], Plan]

    def select(
        self,
        header: Sequence[str],
        types: Mapping[str, str],
        raw: str,
        *,
        split: bool = False,
        odd_whitespace: bool = True,
        guarded: bool = True,
    ) -> sql.Composable:
        """SELECT the converted columns (and the line number ``n``) of the lines SQL takes from
        the raw table ``raw``: ``(n, c1 … cN)`` with ``split``, else ``(n, line)``.

        ``odd_whitespace`` False: the caller knows no line of the block holds any (a split
        block must not: its lines are not kept whole to be checked here). ``guarded`` False:
        the statement fails on a cell PostgreSQL cannot read (see read_timestamp).
        """
        cells = Cells(header, split=split, guarded=guarded)
        plan = self.plan(cells)
        derived = sql.SQL("").join(
            sql.SQL(", {} AS {}").format(expression, sql.Identifier(name))
            for name, expression in plan.derived.items()
        )
        columns = sql.SQL(", ").join(
            sql.SQL("CAST({} AS {})").format(expression, sql.SQL(types[name]))
            for name, expression in plan.columns.items()
        )
        accept = list(plan.accept)
        if split:
            if odd_whitespace:
                raise ValueError("a block with odd whitespace is staged as whole lines")
            # COPY gave every line exactly one cell per header column.
            raw_columns = sql.SQL(", ").join(
                sql.Identifier(f"c{i}") for i in range(1, cells.width + 1)
            )
            level = sql.SQL("SELECT n, {}{} FROM {} OFFSET 0").format(
                raw_columns, derived, sql.Identifier(raw)
            )
        else:
            # Blank lines and lines with more cells than the header are Python's.
            accept += [
                sql.SQL("btrim(line, E' \\t') <> ''"),
                sql.SQL("cardinality(c) <= {}").format(sql.Literal(cells.width)),
            ]
            if odd_whitespace:
                accept.append(sql.SQL("line !~ {}").format(sql.Literal(_ODD_WHITESPACE_CLASS)))
            # OFFSET 0 keeps each level a level of its own: flattened, the planner would copy
            # the string_to_array() and the derived values into every expression naming them.
            level = sql.SQL(
                "SELECT n, line, c{} FROM (SELECT n, line, string_to_array(line, E'\\t') AS c FROM {} OFFSET 0) AS split OFFSET 0"
            ).format(derived, sql.Identifier(raw))
        return sql.SQL("SELECT {columns}, n FROM ({level}) AS line WHERE {accept}").format(
            columns=columns,
            level=level,
            accept=sql.SQL(" AND ").join(sql.SQL("({})").format(a) for a in accept),
        )
