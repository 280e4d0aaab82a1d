"""The flat-file parser: by header name, tolerant of new columns, strict about bad cells."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ams.sync.parsers import flatfile
from ams.sync.parsers.flatfile import Line, MissingColumns, Parsed, Rejected, parse, split_lines


def _rows(text: bytes, required=("a",)):
    def convert(row):
        return (
            flatfile.required_text(row, "a"),
            flatfile.money(row, "m"),
            flatfile.integer(row, "n", default=0),
        )

    return list(parse(split_lines([text]), required=required, convert=convert))


def test_columns_are_read_by_name_and_unknown_ones_ignored():
    rows = _rows(b"new\tn\ta\tm\r\nx\t2\tA\t 1.50 \n")
    assert rows == [Parsed(2, ("A", Decimal("1.50"), 2))]


def test_bad_cells_are_rejected_with_a_reason_and_the_rest_kept():
    rows = _rows(b"a\tm\tn\nA\tabc\t1\nB\t1\tx\nC\t2\t3\textra\nD\t,5\t\n")
    assert [type(r) for r in rows] == [Rejected, Rejected, Rejected, Parsed]
    reasons = [r.reason for r in rows if isinstance(r, Rejected)]
    assert reasons == [
        "'m' is not an amount: 'abc'",
        "'n' is not a number: 'x'",
        "4 cells where the header has 3",
    ]
    assert rows[3] == Parsed(5, ("D", Decimal("0.5"), 0))


def test_a_missing_column_refuses_the_document():
    with pytest.raises(MissingColumns, match="'a'"):
        _rows(b"b\tm\n1\t2\n")


def test_a_line_in_another_encoding_is_rejected_when_the_charset_is_declared():
    lines = list(split_lines([b"a\nCaf\xe9\nok\n"], "utf-8"))
    assert isinstance(lines[1], Rejected)
    assert lines[2] == Line(3, "ok")
    # Without a declared charset, cp1252 is what Amazon's NA and EU files use.
    assert next(iter(split_lines([b"Caf\xe9\n"]))) == Line(1, "Café")


def test_a_partial_last_line_is_not_yielded_when_the_stream_breaks():
    def chunks() -> Iterator[bytes]:
        yield b"a\nfirst\nsec"
        raise OSError("connection reset")

    seen: list[Line | Rejected] = []
    with pytest.raises(OSError, match="connection reset"):
        seen.extend(split_lines(chunks()))
    assert seen == [Line(1, "a"), Line(2, "first")]


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-02T03:04:05+00:00",
        "2026-01-02 03:04:05 UTC",
        "2026-01-01T19:04:05-08:00",
        "2026-01-02T03:04:05Z",
    ],
)
def test_timestamps_in_amazons_formats_are_read_as_utc(raw):
    assert flatfile.parse_timestamp(raw) == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("19.99", "19.99"),
        (" 19.99 ", "19.99"),
        ("19,99", "19.99"),
        ("-0,50", "-0.50"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567,8", "1234567.8"),
        # Whole amounts with grouped thousands (JPY): no currency Amazon pays in has 3 decimals.
        ("1,234", "1234"),
        ("-12,345,678", "-12345678"),
        ("0,125", "0.125"),
        ("", None),
    ],
)
def test_amounts_are_read_with_either_decimal_separator(raw, amount):
    assert flatfile.money({"price": raw}, "price") == (Decimal(amount) if amount else None)


def test_a_block_ends_where_a_group_of_lines_ends():
    """An order's lines stay in one block; lines are neither lost nor renumbered."""
    body = [b"A\t1", b"B\t1", b"B\t2", b"C\t1", b"C\t2", b"C\t3", b"C\t4", b"C\t5", b"D\t1"]
    # A line per chunk: without keep_together, blocks would be cut every two lines.
    chunks = [b"order\tn\n", *(line + b"\n" for line in body)]
    reader = flatfile.BlockReader(chunks, lines_per_block=2, keep_together="order")

    blocks = [(block.first_line, block.data.decode().splitlines()) for block in reader]

    # A run longer than a block (C) is one block of its own, bigger than asked.
    assert [[line.split("\t")[0] for line in lines] for _first, lines in blocks] == [
        ["A"],
        ["B", "B"],
        ["C", "C", "C", "C", "C"],
        ["D"],
    ]
    assert [first for first, _lines in blocks] == [2, 3, 5, 10]
    assert [line for _first, lines in blocks for line in lines] == [line.decode() for line in body]

    unkept = flatfile.BlockReader(list(chunks), lines_per_block=2, keep_together="no such column")
    assert [block.lines for block in unkept] == [2, 2, 2, 2, 1]
    # A column that never changes does not make the whole file one block.
    same = [b"order\tn\n", *(b"X\t%d\n" % i for i in range(20))]
    bounded = flatfile.BlockReader(same, lines_per_block=2, keep_together="order")
    assert [block.lines for block in bounded] == [8, 8, 4]


@pytest.mark.parametrize("odd", list(flatfile.ODD_WHITESPACE))
@pytest.mark.parametrize("around", ["ascii", "non-ascii"])
def test_every_odd_whitespace_is_found_in_ascii_text_and_in_any_other(odd: str, around: str):
    line = "111-1\tSKU-1\t10.00" if around == "ascii" else "111-1\tSKÜ-1\t10.00"
    assert not flatfile.has_odd_whitespace(line + "\r\n" + line + "\n")
    assert flatfile.has_odd_whitespace(line + odd + "\r\n" + line + "\n")
    assert flatfile.has_odd_whitespace(line + "\n" + line.replace("\t", odd + "\t", 1) + "\n")
    # The reader's block says the same.
    inside = line.replace("\t", odd + "\t", 1)
    block = next(iter(flatfile.BlockReader([f"a\tb\tc\n{line}\n{inside}\n".encode()])))
    assert block.odd_whitespace
