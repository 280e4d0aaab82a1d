"""Settlement files read as sellers have them: either layout, any marketplace's way of writing
numbers, dates and text, plain or in archives; each reconciles to the cent or is refused whole.

These tests read files only; the database is not open to them (no django_db mark), so any query
the reader or ``settlement_check`` made would fail them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from ams.sync.parsers.flatfile import parse_timestamp
from ams.sync.parsers.settlement_file import SettlementCheck, check_file
from tests.sync import settlement_files as sf
from tests.sync.harness import SimSeller
from tests.sync.settlement_files import Sheet


def _check(data: bytes, name: str = "settlement.txt") -> list[SettlementCheck]:
    return check_file(name, io.BytesIO(data))


def _one(data: bytes, name: str = "settlement.txt") -> SettlementCheck:
    (check,) = _check(data, name)
    return check


def _reconciles(check: SettlementCheck, sheet: Sheet, layout: str) -> None:
    assert check.error == ""
    assert check.format == layout
    assert check.settlement_id == sheet.settlement_id
    assert check.total == sheet.total
    assert check.lines_sum == sum(sheet.amounts(), Decimal(0)) == sheet.total
    assert check.rows == len(sheet.amounts())
    assert check.reconciled
    assert check.quarantined == 0


VARIANTS: dict[str, Callable[[Sheet], Sheet]] = {
    "as downloaded": lambda s: s,
    "decimal commas": sf.decimal_commas,
    "DD.MM.YYYY hh:mm:ss UTC dates": sf.dotted_dates,
    "DD.MM.YYYY dates": lambda s: sf.dotted_dates(s, with_time=False),
    "DD/MM/YYYY dates": sf.slashed_dates,
    "posted-date MM/DD/YY only": sf.short_posted_dates,
    "trailing spaces": sf.trailing_spaces,
    "empty currency cells": sf.empty_line_currencies,
    "fee types never seen": sf.new_fee_types,
    "CRLF line ends": sf.crlf,
    "all of them": lambda s: sf.crlf(
        sf.new_fee_types(sf.trailing_spaces(sf.dotted_dates(sf.decimal_commas(s))))
    ),
}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_the_v2_sample_reconciles_however_it_is_written(variant: str):
    sheet = VARIANTS[variant](sf.v2_sample())
    check = _one(sf.encoded(sheet))
    _reconciles(check, sheet, "v2")
    assert check.currency == "USD"
    assert check.total == Decimal("582.89")
    assert check.starts_at is not None
    assert check.starts_at.isoformat() == "2026-06-16T00:00:00+00:00"


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_the_real_v1_files_reconcile_however_they_are_written(variant: str):
    for original in sf.v1_samples():
        sheet = VARIANTS[variant](original)
        check = _one(sf.encoded(sheet))
        _reconciles(check, sheet, "v1")
        assert check.currency in {"AUD", "GBP"}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_the_v2_sample_in_the_v1_layout_reconciles(variant: str):
    sheet = VARIANTS[variant](sf.as_v1(sf.v2_sample()))
    check = _one(sf.encoded(sheet))
    _reconciles(check, sheet, "v1")
    assert check.rows == 23


def test_encodings_of_every_marketplace():
    latin = sf.with_cell(sf.v2_sample(), "sku", "CAFÉ-CRÈME-ß")
    japanese = sf.with_cell(sf.v2_sample(), "sku", "テスト商品-01")
    cases = {
        "utf-8": sf.encoded(latin),
        "utf-8 with BOM": sf.encoded(latin, bom=True),
        "cp1252": sf.encoded(latin, "cp1252"),
        "latin-1": sf.encoded(latin, "latin-1"),
        "shift_jis": sf.encoded(japanese, "shift_jis"),
        "cp932": sf.encoded(japanese, "cp932"),
        "utf-16 (a spreadsheet's Unicode text)": sf.encoded(japanese, "utf-16"),
    }
    for label, data in cases.items():
        check = _one(data)
        assert check.reconciled, (label, check.error)
        assert check.rows == 23, label
    assert _one(cases["shift_jis"]).encoding == "cp932"
    assert _one(cases["cp1252"]).encoding == "cp1252"


def test_a_yen_settlement_with_grouped_thousands():
    sheet = sf.with_cell(sf.yen(sf.v2_sample()), "sku", "テスト商品-01")
    check = _one(sf.encoded(sheet, "cp932"))
    _reconciles(check, sheet, "v2")
    assert (check.currency, check.total) == ("JPY", Decimal("58289"))
    v1 = sf.as_v1(sheet)
    _reconciles(_one(sf.encoded(v1, "cp932")), v1, "v1")


def test_a_japanese_sku_is_read_as_written():
    from ams.sync.parsers.settlement_file import SettlementReader, Source

    sheet = sf.with_cell(sf.v2_sample(), "sku", "テスト商品-01")
    reader = SettlementReader(Source("jp.txt", [sf.encoded(sheet, "cp932")]))
    skus = {row.sku for row in reader if not row.is_summary and row.sku}
    assert skus == {"テスト商品-01"}
    latin = sf.with_cell(sf.v2_sample(), "sku", "CAFÉ-01")
    reader = SettlementReader(Source("fr.txt", [sf.encoded(latin, "cp1252")]))
    assert {row.sku for row in reader if not row.is_summary and row.sku} == {"CAFÉ-01"}


def test_v1_lines_carry_the_summary_currency_and_the_v2_names():
    from ams.sync.parsers.settlement_file import SettlementReader, Source

    sheet = sf.as_v1(sf.v2_sample())
    rows = list(SettlementReader(Source("v1.txt", [sf.encoded(sheet)])))
    lines = [r for r in rows if not r.is_summary]
    assert {r.currency for r in lines} == {"USD"}
    assert [r.line_number for r in lines] == list(range(1, 24))
    first = lines[0]
    assert (first.amount_type, first.amount_description, first.amount) == (
        "ItemPrice",
        "Principal",
        Decimal("129.99"),
    )
    storage = next(r for r in lines if r.amount_description == "Storage Fee")
    assert (storage.amount_type, storage.amount) == ("other-transaction", Decimal("-64.28"))


def test_gzip_and_zip_with_one_or_many_files():
    v2 = sf.encoded(sf.v2_sample())
    v1s = [sf.encoded(s) for s in sf.v1_samples()]
    (gz,) = _check(sf.gzipped(v2), "report.txt.gz")
    assert gz.reconciled
    assert gz.file == "report.txt"
    archive = sf.zipped(
        {
            "2026/v2.txt": v2,
            "old/v1-a.txt": v1s[0],
            "old/v1-b.txt.gz": sf.gzipped(v1s[1]),
            "__MACOSX/._v2.txt": b"\x00\x05\x16\x07",
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
        }
    )
    checks = _check(archive, "history.zip")
    assert [c.file for c in checks] == [
        "history.zip/2026/v2.txt",
        "history.zip/old/v1-a.txt",
        "history.zip/old/v1-b.txt.gz",
    ]
    assert all(c.reconciled for c in checks)
    assert [c.format for c in checks] == ["v2", "v1", "v1"]


def test_simulator_settlements_reconcile_in_both_layouts(seller: SimSeller):
    documents = sf.simulator_documents(seller)
    for sheet in documents:
        for variant in (sheet, sf.decimal_commas(sf.dotted_dates(sheet))):
            _reconciles(_one(sf.encoded(variant)), variant, "v2")
            v1 = sf.as_v1(variant)
            _reconciles(_one(sf.encoded(v1)), v1, "v1")


# --- refused whole, with the reason --------------------------------------------------------------


def _refused(data: bytes, reason: str, name: str = "bad.txt") -> SettlementCheck:
    check = _one(data, name)
    assert reason in check.error, check.error
    assert not check.reconciled
    return check


def test_a_file_that_does_not_add_up_is_refused():
    sheet = sf.v2_sample()
    sheet.rows[3][sheet.header.index("amount")] = "-19.51"
    check = _refused(
        sf.encoded(sheet), "the lines add up to 582.88 USD, the summary's total is 582.89 USD"
    )
    assert (check.total, check.lines_sum) == (Decimal("582.89"), Decimal("582.88"))


def test_other_reports_are_refused():
    orders = "amazon-order-id\tpurchase-date\tsku\titem-price\n111-1\t2026-01-01T00:00:00+00:00\tA\t1.00\n"
    _refused(orders.encode(), "not a settlement report (no column 'settlement-id', 'total-amount')")
    _refused(b'{"fees": [1, 2]}\n', "not a settlement report")
    _refused(b"", "the file is empty")
    header_only = "settlement-id\ttotal-amount\tcurrency\n1\t1.00\tEUR\n"
    _refused(header_only.encode(), "no amount columns")
    xlsx = sf.zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    _refused(xlsx, "a spreadsheet workbook", "settlement.xlsx")


def test_binary_garbage_is_refused():
    garbage = bytes(range(256)) * 40
    _refused(garbage, "not a text file")
    _refused(b"\x89PNG\r\n\x1a\n" + bytes(200), "not a text file")


def test_text_that_is_not_any_encoding_is_refused_with_the_line():
    sheet = sf.with_cell(sf.v2_sample(), "sku", "テスト")
    data = bytearray(sf.encoded(sheet, "cp932"))
    # A byte that starts a Shift_JIS character followed by one that cannot end it, in the first line of the second order (line 8).
    fifth = data.index("テスト".encode("cp932"), data.index(b"113-2047718-9930613"))
    data[fifth:fifth] = b"\x81\x20"
    check = _refused(bytes(data), "1 row(s) could not be read (line 8: not valid cp932")
    assert check.quarantined == 1


def test_a_truncated_file_is_refused():
    data = sf.encoded(sf.v2_sample())
    _refused(data[: len(data) - 40], "cut short")
    # Cut at a line's end, the missing lines do not add up.
    cut = data.rindex(b"\n", 0, len(data) - 1) + 1
    _refused(data[:cut], "the lines add up to")
    _refused(sf.gzipped(data)[:-30], "cut short", "report.txt.gz")
    _refused(sf.zipped({"a.txt": data})[:-60], "not a readable zip archive", "history.zip")


def test_mixed_settlements_are_refused():
    one, other = sf.v1_samples()
    mixed = Sheet(one.header, [*one.rows, *other.rows])
    _refused(sf.encoded(mixed), "the file mixes settlements (10661580643, 13690633142)")
    sheet = sf.v2_sample()
    sheet.rows[5][0] = "28471003999"
    _refused(sf.encoded(sheet), "the file mixes settlements")


def test_a_row_that_cannot_be_read_refuses_the_file():
    sheet = sf.v2_sample()
    sheet.rows[2][sheet.header.index("amount")] = "ten dollars"
    check = _refused(
        sf.encoded(sheet),
        "1 row(s) could not be read (line 4: 'amount' is not an amount: 'ten dollars')",
    )
    assert check.quarantined == 1


def test_a_file_without_its_summary_or_with_two_is_refused():
    sheet = sf.v2_sample()
    _refused(sf.encoded(Sheet(sheet.header, sheet.rows[1:])), "no summary row")
    _refused(sf.encoded(Sheet(sheet.header, [sheet.rows[0], *sheet.rows])), "2 summary rows")


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019-08-13T11:28:19+00:00", "2019-08-13T11:28:19+00:00"),
        ("2019-08-13T13:28:19+02:00", "2019-08-13T11:28:19+00:00"),
        ("2019-08-13 11:28:19 UTC", "2019-08-13T11:28:19+00:00"),
        ("2019-08-13T11:28:19Z", "2019-08-13T11:28:19+00:00"),
        ("13.08.2019", "2019-08-13T00:00:00+00:00"),
        ("13.08.2019 11:28:19 UTC", "2019-08-13T11:28:19+00:00"),
        ("13.08.2019 13:28:19 +02:00", "2019-08-13T11:28:19+00:00"),
        ("13/08/2019", "2019-08-13T00:00:00+00:00"),
        ("13/08/2019 11:28:19 GMT", "2019-08-13T11:28:19+00:00"),
        ("08/13/2019 04:28:19 PDT", "2019-08-13T11:28:19+00:00"),
        ("2019/08/13", "2019-08-13T00:00:00+00:00"),
        ("2019/08/13 20:28:19 JST", "2019-08-13T11:28:19+00:00"),
        ("13-08-2019 11:28", "2019-08-13T11:28:00+00:00"),
        # The V2 settlement report's posted-date, as Amazon documents it (MM/DD/YY).
        ("06/17/26", "2026-06-17T00:00:00+00:00"),
    ],
)
def test_every_date_form_amazon_writes(raw: str, expected: str):
    value = parse_timestamp(raw)
    assert value is not None
    assert value.isoformat() == expected


@pytest.mark.parametrize(
    "raw", ["31.02.2019", "13.08.19", "yesterday", "2019-13-45", "13.08.2019 XYZT"]
)
def test_what_is_not_a_date(raw: str):
    assert parse_timestamp(raw) is None


# --- settlement_check ------------------------------------------------------------------------------


def test_settlement_check_prints_one_json_line_per_document_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    good = tmp_path / "v1.txt"
    good.write_bytes(sf.encoded(sf.decimal_commas(sf.v1_samples()[0])))
    archive = tmp_path / "history.zip"
    archive.write_bytes(
        sf.zipped(
            {"v2.txt": sf.encoded(sf.v2_sample()), "orders.txt": b"amazon-order-id\tsku\n1\tA\n"}
        )
    )
    with pytest.raises(SystemExit) as exited:
        call_command("settlement_check", str(good), str(archive), str(tmp_path / "missing.txt"))
    assert exited.value.code == 1  # one document refused
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {
            "file": str(good),
            "format": "v1",
            "settlement_id": "13690633142",
            "currency": "GBP",
            "total": "-15.68",
            "lines_sum": "-15.68",
            "reconciled": True,
            "rows": 2,
            "quarantined": 0,
            "error": None,
        },
        {
            "file": f"{archive}/v2.txt",
            "format": "v2",
            "settlement_id": "28471003921",
            "currency": "USD",
            "total": "582.89",
            "lines_sum": "582.89",
            "reconciled": True,
            "rows": 23,
            "quarantined": 0,
            "error": None,
        },
        {
            "file": f"{archive}/orders.txt",
            "format": None,
            "settlement_id": None,
            "currency": None,
            "total": None,
            "lines_sum": "0.00",
            "reconciled": False,
            "rows": 0,
            "quarantined": 0,
            "error": "not a settlement report (no column 'settlement-id', 'total-amount')",
        },
        {
            "file": str(tmp_path / "missing.txt"),
            "format": None,
            "settlement_id": None,
            "currency": None,
            "total": None,
            "lines_sum": "0.00",
            "reconciled": False,
            "rows": 0,
            "quarantined": 0,
            "error": "cannot be opened: No such file or directory",
        },
    ]


def test_settlement_check_of_good_files_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    good = tmp_path / "v2.txt.gz"
    good.write_bytes(sf.gzipped(sf.encoded(sf.v2_sample())))
    call_command("settlement_check", str(good))
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["reconciled"] is True
