"""Reading any bank's statement CSV: encodings, delimiters, amounts, dates, and files that are
not statements at all, each refused with a message that says why."""

from __future__ import annotations

import codecs
from datetime import date
from decimal import Decimal

import pytest

from ams.finance import bank_csv
from ams.finance.bank_csv import Booking, Mapping, Skipped, StatementFileError, inspect
from tests.finance.bank_files import AMERICAN, BRITISH, GERMAN


def _read(data: bytes, mapping: Mapping | None = None) -> list[Booking | Skipped]:
    found = inspect(data)
    chosen = mapping or found.suggestion()
    assert chosen is not None
    return list(bank_csv.bookings(data, found, chosen))


def test_semicolons_decimal_commas_german_dates_and_windows_1252():
    found = inspect(GERMAN)
    assert (found.encoding, found.delimiter, found.header_line) == ("cp1252", ";", 5)
    assert found.header[3] == "Auftraggeber / Begünstigter"
    assert found.rows == 5  # four bookings and the closing balance
    mapping = found.suggestion()
    assert mapping == Mapping(
        date_column=0,
        amount_column=5,
        description_columns=(2, 3, 4),
        date_format="DD.MM.YYYY",
        decimal_mark=",",
    )
    read = _read(GERMAN)
    bookings = [b for b in read if isinstance(b, Booking)]
    assert [(b.booked_on, b.amount) for b in bookings] == [
        (date(2026, 7, 2), Decimal("1582.89")),
        (date(2026, 7, 3), Decimal("-3.50")),
        (date(2026, 7, 3), Decimal("-3.50")),
        (date(2026, 7, 6), Decimal("12.00")),
    ]
    assert bookings[1].description == "Lastschrift / Café Müller / Kaffee"
    (skipped,) = [s for s in read if isinstance(s, Skipped)]
    assert skipped.line == 11
    assert "Endsaldo" in skipped.reason


def test_commas_iso_dates_and_a_byte_order_mark():
    found = inspect(AMERICAN)
    assert (found.encoding, found.delimiter, found.header[0]) == ("utf-8-sig", ",", "Date")
    mapping = found.suggestion()
    assert mapping is not None
    assert (mapping.date_column, mapping.amount_column, mapping.description_columns) == (0, 2, (1,))
    assert [(b.booked_on, b.amount, b.description) for b in _read(AMERICAN)] == [  # type: ignore[union-attr]
        (date(2026, 7, 2), Decimal("582.89"), "AMAZON.COM SERVICES LLC PAYOUT"),
        (date(2026, 7, 6), Decimal("-1250.00"), "ACH DEBIT RENT"),
        (date(2026, 7, 9), Decimal("75.10"), "AMZN MKTP PAYMENTS"),
    ]


def test_tabs_and_money_in_and_out_in_two_columns():
    found = inspect(BRITISH)
    assert found.delimiter == "\t"
    mapping = found.suggestion()
    assert mapping is not None
    assert (mapping.amount_column, mapping.debit_column) == (2, 3)
    assert [(b.booked_on, b.amount) for b in _read(BRITISH)] == [  # type: ignore[union-attr]
        (date(2026, 7, 2), Decimal("582.89")),
        (date(2026, 7, 14), Decimal("-12.40")),
    ]


def test_day_or_month_first_is_the_sellers_choice_when_every_date_allows_both():
    data = b"Date,Payee,Amount\n07/02/2026,AMAZON,10.00\n07/03/2026,SHOP,-1.00\n"
    found = inspect(data)
    assert found.date_formats[0] == ("DD/MM/YYYY", "MM/DD/YYYY")
    us = Mapping(0, 2, (1,), "MM/DD/YYYY", ".")
    assert [b.booked_on for b in _read(data, us)] == [date(2026, 7, 2), date(2026, 7, 3)]  # type: ignore[union-attr]
    # One day past the 12th settles it.
    assert inspect(data + b"07/13/2026,SHOP,-2.00\n").date_formats[0] == ("MM/DD/YYYY",)


def test_utf16_with_its_mark_as_spreadsheets_save_unicode_text():
    text = AMERICAN.decode("utf-8-sig").replace(",", "\t").replace('"-1\t250.00"', "-1250.00")
    found = inspect(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert (found.encoding, found.delimiter, found.rows) == ("utf-16", "\t", 3)


@pytest.mark.parametrize(
    ("cell", "mark", "amount"),
    [
        ("1.234,56", ",", "1234.56"),
        ("1 234,56 €", ",", "1234.56"),
        ("-3,5", ",", "-3.50"),
        ("1,234.56", ".", "1234.56"),
        ("(12.00)", ".", "-12.00"),
        ("12.00-", ".", "-12.00"),
        ("USD 7", ".", "7.00"),
        ("1'234.50", ".", "1234.50"),
        ("12.00 DR", ".", "-12.00"),
        ("12.00 CR", ".", "12.00"),
    ],
)
def test_amounts_as_banks_write_them(cell: str, mark: str, amount: str):
    assert bank_csv.parse_amount(cell, mark) == Decimal(amount)


@pytest.mark.parametrize(
    ("cell", "mark"),
    [("12.50", ","), ("1.000", "."), ("12,3456", ","), ("=1+2", "."), ("1e5", "."), ("", ".")],
)
def test_an_amount_read_with_the_wrong_mark_is_an_error_never_another_number(cell: str, mark: str):
    with pytest.raises(ValueError, match=r"amount|formula"):
        bank_csv.parse_amount(cell, mark)


def test_formula_cells_are_refused_with_their_line():
    data = (
        b"Date,Description,Amount\n"
        b"2026-07-02,AMAZON PAYOUT,582.89\n"
        b'2026-07-03,"=HYPERLINK(""http://evil.test"",""click"")",1.00\n'
        b"2026-07-04,@SUM(A1:A9),1.00\n"
        b"2026-07-05,\"+cmd|' /C calc'!A0\",1.00\n"
        b"2026-07-06,Shop,=1+1\n"
    )
    read = _read(data, Mapping(0, 2, (1,), "YYYY-MM-DD", "."))
    assert isinstance(read[0], Booking)
    skipped = [r for r in read if isinstance(r, Skipped)]
    assert [s.line for s in skipped] == [3, 4, 5, 6]
    assert all("formula" in s.reason for s in skipped)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
        (b"%PDF-1.7\n" + b"x" * 100, "PDF"),
        (b"Date,Amount\n\x00\x01\x02\x03binary", "not text"),
        (bytes(range(256)) * 4, "not text"),
        (b"Date,Amount\n" + b"1" * (bank_csv.MAX_LINE_CHARS + 10) + b"\n", "longer than"),
        (b"Date" + b"," * 500 + b"\n2026-01-01,1\n", "more than 200 columns"),
        (b"just one line of prose without any columns\n", "no columns"),
        (b"Date,Amount\n", "no bookings"),
        # A quote never closed swallows the lines below it, up to the reader's bound on a cell.
        (b'Date,Amount\n2026-01-01,"1.00\n' + b"2026-01-02,2.00\n" * 20_000, "not a readable CSV"),
    ],
)
def test_files_that_are_not_statements_are_refused_with_the_reason(data: bytes, message: str):
    with pytest.raises(StatementFileError, match=message):
        inspect(data)


def test_too_many_rows_or_bytes_are_refused_before_anything_is_stored(monkeypatch):
    rows = b"Date,Description,Amount\n" + b"2026-07-02,X,1.00\n" * (bank_csv.MAX_ROWS + 1)
    with pytest.raises(StatementFileError, match="more than 200,000 rows"):
        inspect(rows)
    with pytest.raises(StatementFileError, match="more than 200,000 rows"):
        inspect(b"Date,Description,Amount\n2026-07-02,X,1.00\n" + b"\n" * 1_000_000)
    monkeypatch.setattr(bank_csv, "MAX_BYTES", 1000)
    with pytest.raises(StatementFileError, match="larger than"):
        inspect(b"Date,Amount\n" + b"2026-07-02,1.00\n" * 100)


def test_the_signature_is_the_layout_not_the_rows():
    assert inspect(AMERICAN).signature == inspect(AMERICAN.replace(b"582.89", b"1.00")).signature
    assert inspect(AMERICAN).signature != inspect(BRITISH).signature
