"""The all-orders report converted in the database is exactly what the Python converter makes.

The SQL only takes lines it can convert exactly and hands every other one to Python, so the
property is: for each line the SQL takes, its row equals Python's row for that line (after the
rounding the staging column applies to both), and a line Python refuses is never taken. Lines
are built at random, with a fixed seed, from cells Amazon writes and cells it should not.
"""

from __future__ import annotations

import functools
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction
from psycopg import sql

from ams.orders.writers import LINE_COLUMNS
from ams.sync import ingest as bulk
from ams.sync.context import _BlockJob
from ams.sync.parsers import orders as parser
from ams.sync.parsers.flatfile import (
    ODD_WHITESPACE,
    BlockReader,
    Parsed,
    Rejected,
    parse,
    split_lines,
)
from devtools.bench.sync import HEADER

pytestmark = pytest.mark.django_db

US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"

DATES = [
    "2024-01-01T00:00:00+00:00",
    "2024-02-29T23:59:59-08:00",
    "2024-01-01 00:00:00 UTC",
    "2024-01-01T08:00:00Z",
    "2024-03-10T02:30:00+05:30",
    " 2024-01-01T00:00:00+00:00 ",
    "2024-01-01T24:00:00+00:00",
    "2024-01-01T23:59:60+00:00",
    "2023-02-29T00:00:00+00:00",
    "0000-01-01T00:00:00+00:00",
    "01.02.2024 10:00:00 UTC",
    "2024-01-01T00:00:00.123+00:00",
    "2024-01-01T00:00:00+16:00",
    "2024-01-01T00:60:00+00:00",
    "2024-13-01T00:00:00+00:00",
    "2024-01-01T00:00:00+00:60",
    "",
    "yesterday",
    "2024-01-01",
]
AMOUNTS = [
    "19.99",
    "",
    " 1.50 ",
    "0",
    "-0.00",
    "+3.5",
    ".5",
    "5.",
    "-.5",
    "0.005",
    "0.015",
    "-0.005",
    "1.12345678901",
    "999999999999.99",
    "1000000000000",
    "1,5",
    "1.234,56",
    "1e3",
    "NaN",
    "Infinity",
    "1_000",
    "abc",
    "+",
    "-",
    ".",
    "\u0661\u0662",
    "\xa01.0",
    "12 ",
]
QUANTITIES = [
    "1",
    "0",
    "+2",
    "-1",
    "007",
    "2.0",
    "",
    "x",
    "999999999",
    "1000000000",
    "2147483648",
    " 3 ",
    "1_0",
    "0x1F",
]
# An item's own state: Amazon's words, others AMS reads as unknown, non-ASCII look-alikes.
ITEM_STATUSES = [
    "Cancelled",
    "Canceled",
    " cancelled ",
    "CANCELLED",
    "Shipped",
    "Unshipped",
    "",
    "Cancel",
    "Sc\u0130pped",
    "\u212aancelled",
    "Can\u00e7elled",
]
STATUSES = [
    "Shipped",
    "shipped",
    "Pending Availability",
    "PendingAvailability",
    "Canceled",
    "Cancelled",
    "Complete",
    "InvoiceUnconfirmed",
    "Shipping",
    " Shipped ",
    "unknown",
    "",
    "SH\u0130PPED",
]
CHANNELS = ["Amazon", "Merchant", "AFN", "mfn", "Seller", "other", "", "\u212aAmazon"]
SALES_CHANNELS = [
    "Amazon.com",
    "amazon.ca",
    "Amazon.com.mx",
    "Non-Amazon",
    "",
    "amazon.de",
    "AMAZON.COM ",
    "Amazon.\u212a",
    "amazon.co.u\u212a",
]
ORDER_IDS = ["111-0000000-0000001", "112-1234567-7654321", "", "   ", "x" * 50]
SKUS = [
    "SKU-1",
    "sku 2",
    "",
    "\u00fcn\u00efc\u00f6d\u00e9-sku",
    "a" * 70,
    " padded ",
    "back\\slash",
    "quote'sku",
    "tab\u2003",
]
CURRENCIES = ["USD", "", "CAD", "usd", "EURO"]
PROMOTIONS = ["", "PROMO1,PROMO2", "p" * 400]
ASINS = ["B000000001", "", "B" * 20]


def _readable(values: list[str], sql_type: str, *, cast_when: str) -> list[str]:
    """The values an unguarded conversion casts without failing: those it does not cast
    (``cast_when`` false) and those PostgreSQL reads as ``sql_type``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v FROM unnest(%s::text[]) AS v WHERE NOT ({cast_when}) OR pg_input_is_valid(v, %s)",  # noqa: S608
            [values, sql_type],
        )
        return [v for (v,) in cursor.fetchall()]


def _cells(rng: random.Random, *, readable: bool = False) -> dict[str, str]:
    dates, amounts, quantities = DATES, AMOUNTS, QUANTITIES
    if readable:
        dates = _readable(DATES, "timestamptz", cast_when="v LIKE '____-__-__T__:__:__+00:00'")
        amounts = _readable(AMOUNTS, "numeric", cast_when="v <> ''")
        quantities = _readable(QUANTITIES, "integer", cast_when="length(v) BETWEEN 1 AND 9")
    return {
        "amazon-order-id": rng.choice(ORDER_IDS),
        "purchase-date": rng.choice(dates),
        "last-updated-date": rng.choice(dates),
        "order-status": rng.choice(STATUSES),
        "item-status": rng.choice(ITEM_STATUSES),
        "fulfillment-channel": rng.choice(CHANNELS),
        "sales-channel": rng.choice(SALES_CHANNELS),
        "sku": rng.choice(SKUS),
        "asin": rng.choice(ASINS),
        "quantity": rng.choice(quantities),
        "currency": rng.choice(CURRENCIES),
        "item-price": rng.choice(amounts),
        "item-tax": rng.choice(amounts),
        "shipping-price": rng.choice(amounts),
        "shipping-tax": rng.choice(amounts),
        "item-promotion-discount": rng.choice(amounts),
        "ship-promotion-discount": rng.choice(amounts),
        "promotion-ids": rng.choice(PROMOTIONS),
    }


def _canonical(rng: random.Random) -> dict[str, str]:
    """A line as Amazon writes it: the SQL must take these."""
    return {
        "amazon-order-id": f"111-{rng.randrange(10**7):07d}-{rng.randrange(10**7):07d}",
        "purchase-date": "2024-05-01T10:00:00+00:00",
        "last-updated-date": "2024-05-02T18:30:00+00:00",
        "order-status": rng.choice(["Shipped", "Pending", "Cancelled"]),
        "item-status": rng.choice(["Shipped", "Unshipped", "Cancelled"]),
        "fulfillment-channel": rng.choice(["Amazon", "Merchant"]),
        "sales-channel": "Amazon.com",
        "sku": f"SKU-{rng.randrange(1000)}",
        "asin": "B000000001",
        "quantity": str(rng.randrange(1, 5)),
        "currency": "USD",
        "item-price": f"{rng.randrange(100, 10000) / 100:.2f}",
        "item-tax": "1.40",
        "shipping-price": "",
        "shipping-tax": "0.00",
        "item-promotion-discount": "-2.00",
        "ship-promotion-discount": "",
        "promotion-ids": "",
    }


def _document(
    rng: random.Random, count: int, *, readable: bool = False
) -> tuple[list[str], bytes, set[int]]:
    """The header, the document, and the line numbers of the lines written as Amazon does;
    ``readable``: only cells an unguarded conversion can cast."""
    header = HEADER.split("\t")
    lines = []
    clean = set()
    for i in range(count):
        cells = _canonical(rng)
        if i % 4:
            # One or two cells of any kind in an otherwise good line: each odd value gets its
            # chance to be the only thing wrong.
            odd = _cells(rng, readable=readable)
            for name in rng.sample(sorted(odd), rng.choice((1, 1, 2))):
                cells[name] = odd[name]
        line = "\t".join(cells.get(name, "") for name in header)
        shape = rng.random()
        if i % 4 == 0 and shape >= 0.10:
            clean.add(i + 2)
        if shape < 0.03:
            line += "\tsurplus"
        elif shape < 0.06:
            line = "\t".join(line.split("\t")[: rng.randrange(1, len(header))])
        elif shape < 0.08:
            line = rng.choice(["", "   ", "\t\t"])
        elif shape < 0.10:
            line = line.replace("\t", "\t\r", 1)
        lines.append(line + ("\r\n" if rng.random() < 0.1 else "\n"))
    return header, (HEADER + "\n" + "".join(lines)).encode("utf-8"), clean


def _python_rows(document: bytes, marketplaces: set[str]) -> dict[int, Parsed[Any] | Rejected]:
    convert = parser.report_converter(marketplaces)
    return {
        item.line_number: item
        for item in parse(split_lines([document]), required=parser.REQUIRED, convert=convert)
    }


def _staged_like_python(value: tuple[object, ...]) -> tuple[object, ...]:
    """What the staging column makes of a Python value: numeric(18,2) rounds half away from 0."""
    return tuple(
        v.quantize(Decimal("0.01"), ROUND_HALF_UP) if isinstance(v, Decimal) else v for v in value
    )


def _splittable(document: bytes, width: int) -> bytes:
    """The lines COPY can split itself: one cell per column, no odd whitespace."""
    header, *lines = document.decode().split("\n")
    keep = [
        line
        for line in lines
        if line.count("\t") == width - 1
        and not any(c in ODD_WHITESPACE for c in line.removesuffix("\r"))
    ]
    return ("\n".join([header, *keep]) + "\n").encode()


@pytest.mark.parametrize("guarded", [True, False], ids=["guarded", "unguarded"])
@pytest.mark.parametrize("split", [False, True], ids=["whole lines", "cells split by COPY"])
@pytest.mark.parametrize(
    "marketplaces", [{US}, {US, CA}], ids=["one marketplace", "two marketplaces"]
)
def test_the_rows_sql_takes_are_the_rows_python_makes(
    marketplaces: set[str], split: bool, guarded: bool
):
    """Both kinds of conversion: guarded over any cells, unguarded over the cells it can cast
    (on others it fails, and the block is converted again guarded: the next test)."""
    rng = random.Random(20261127)
    header, document, clean = _document(rng, 3000, readable=not guarded)
    if split:
        document = _splittable(document, len(header))
        clean = set()  # line numbers changed; the canonical lines are checked without split
    python = _python_rows(document, marketplaces)
    reader = BlockReader([document], lines_per_block=10_000)
    (block,) = list(reader)
    assert block.odd_whitespace is not split
    types = {c.name: c.sql_type for c in LINE_COLUMNS}
    names = [c.name for c in LINE_COLUMNS]
    with transaction.atomic():
        raw = bulk.stage_cells(block.data, len(header)) if split else bulk.stage_lines(block.data)
        assert raw is not None
        select = parser.report_sql(marketplaces).select(
            header, types, raw, split=split, odd_whitespace=block.odd_whitespace, guarded=guarded
        )
        staged, count = bulk.stage_converted(LINE_COLUMNS, lambda _guarded: select)
        declined = bulk.declined_lines(raw, staged, width=len(header) if split else None)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT _n, {", ".join(names)} FROM "{staged}" ORDER BY _n')  # noqa: S608  (our own names)
            taken = {block.first_line + row[0] - 1: tuple(row[1:]) for row in cursor.fetchall()}
        transaction.set_rollback(True)

    assert count == len(taken)
    assert len(taken) + len(declined) == block.lines
    assert clean <= set(taken)  # every line as Amazon writes it
    assert len(taken) > max(len(clean), block.lines // 5)  # and some others
    for number, row in taken.items():
        item = python.get(number)
        assert isinstance(item, Parsed), f"line {number}: SQL took a line Python refuses: {item}"
        assert row == _staged_like_python(item.value), f"line {number}"
    refused = [n for n, item in python.items() if isinstance(item, Rejected)]
    assert refused
    assert not set(refused) & set(taken)
    lines = document.decode().split("\n")
    assert all(
        text == lines[n - 1].removesuffix("\r")
        for n, text in ((block.first_line + n - 1, t) for n, t in declined)
    )


def test_a_cell_postgresql_cannot_read_sends_the_block_to_the_guarded_conversion():
    rng = random.Random(3)
    header = HEADER.split("\t")
    rows = [_canonical(rng) for _ in range(4)]
    rows[2]["item-price"] = "1,50"  # a decimal comma: no cast reads it
    document = (
        HEADER + "\n" + "".join("\t".join(r.get(n, "") for n in header) + "\n" for r in rows)
    ).encode()
    (block,) = list(BlockReader([document]))
    types = {c.name: c.sql_type for c in LINE_COLUMNS}
    conversion = parser.report_sql({US})
    with transaction.atomic():
        raw = bulk.stage_cells(block.data, len(header))
        assert raw is not None
        select = functools.partial(
            conversion.select, header, types, raw, split=True, odd_whitespace=False
        )
        with pytest.raises(psycopg.DataError), transaction.atomic(), connection.cursor() as cursor:
            cursor.cursor.execute(select(guarded=False))
        staged, count = bulk.stage_converted(LINE_COLUMNS, lambda guarded: select(guarded=guarded))
        assert count == 3
        assert [n for n, _line in bulk.declined_lines(raw, staged, width=len(header))] == [3]
        transaction.set_rollback(True)


def test_a_block_with_a_short_line_goes_in_as_whole_lines():
    header = HEADER.split("\t")
    document = (HEADER + "\n" + "a\\b\tc\n").encode()
    (block,) = list(BlockReader([document]))
    types = {c.name: c.sql_type for c in LINE_COLUMNS}
    with transaction.atomic():
        assert bulk.stage_cells(block.data, len(header)) is None
        raw = bulk.stage_lines(block.data)
        conversion = parser.report_sql({US})
        staged, count = bulk.stage_converted(
            LINE_COLUMNS, lambda guarded: conversion.select(header, types, raw, guarded=guarded)
        )
        assert count == 0
        assert bulk.declined_lines(raw, staged) == [(1, "a\\b\tc")]
        transaction.set_rollback(True)


def test_a_block_gets_sqls_rows_and_pythons_for_the_lines_sql_declines():
    """A block as the ingest writes it: every line converted once, by SQL or by Python, with
    Python's reasons, at the right line numbers, for the lines refused."""
    rng = random.Random(7)
    header, document, _clean = _document(rng, 400)
    python = _python_rows(document, {US})
    reader = BlockReader(
        (document[i : i + 4096] for i in range(0, len(document), 4096)), lines_per_block=150
    )
    types = {c.name: c.sql_type for c in LINE_COLUMNS}
    names = [c.name for c in LINE_COLUMNS]
    job = _BlockJob(
        reader.header,
        reader.header_line,
        parser.report_sql({US}),
        types,
        parser.REQUIRED,
        parser.report_converter({US}),
        LINE_COLUMNS,
    )
    staged_rows: dict[int, tuple[object, ...]] = {}
    rejected: dict[int, str] = {}
    blocks = list(reader)
    assert len(blocks) > 1
    with transaction.atomic():
        for block in blocks:
            lines = bulk.stage_lines(block.data)

            def select(
                guarded: bool, lines: str = lines, odd: bool = block.odd_whitespace
            ) -> sql.Composable:
                return job.conversion.select(
                    header, types, lines, odd_whitespace=odd, guarded=guarded
                )

            staged, _count = bulk.stage_converted(LINE_COLUMNS, select)
            rows, refused = job.convert_in_python(block, bulk.declined_lines(lines, staged))
            bulk.stage_more(staged, LINE_COLUMNS, rows)
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT _n, {", ".join(names)} FROM "{staged}"')  # noqa: S608  (our own names)
                staged_rows.update(
                    {block.first_line + row[0] - 1: tuple(row[1:]) for row in cursor.fetchall()}
                )
            rejected.update({r.line_number: r.reason for r in refused})
        transaction.set_rollback(True)

    assert staged_rows == {
        n: _staged_like_python(item.value) for n, item in python.items() if isinstance(item, Parsed)
    }
    assert rejected == {n: item.reason for n, item in python.items() if isinstance(item, Rejected)}
