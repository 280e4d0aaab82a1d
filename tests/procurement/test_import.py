"""Cost sheets: every bad row rejected with its line and reason, every good row imported."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from ams.core.sheets import MAX_UPLOAD_BYTES, ImportFileError
from ams.core.tenancy import team_scope
from ams.procurement.importing import check_rows, read_rows
from ams.procurement.models import ProductCost
from ams.procurement.selectors import known_skus, synced_skus
from tests.factories import Personas
from tests.procurement.helpers import DE, US, add_cost
from tests.procurement.helpers import synced_skus as sync_skus

pytestmark = pytest.mark.django_db

KNOWN = {"MUG-1", "MUG-2", "LAMP-1", "LAMP-2"}

BAD_AND_GOOD = (
    "SKU;Marketplace;Currency;Unit_Cost;Effective_From;Note\n"
    "MUG-1;US;USD;4.20;2026-01-01;first batch\n"  # 2 ok
    "NOPE-9;US;USD;1.00;2026-01-01;\n"  # 3 unknown SKU
    "MUG-2;;USD;-1.00;2026-01-01;\n"  # 4 negative
    "LAMP-1;DE;EUR;12,50;01/02/2026;\n"  # 5 bad date
    "LAMP-2;DE;USD;3.00;2026-02-01;\n"  # 6 wrong currency for DE
    "MUG-2;;USD;abc;2026-01-01;\n"  # 7 bad number
    "MUG-1;US;USD;4.30;2026-01-01;\n"  # 8 duplicate of line 2
    "LAMP-1;DE;EUR;12,50;2026-02-01;\n"  # 9 ok, decimal comma
    ";;;;;\n"  # blank, skipped
    "MUG-2;;USD;0;2026-03-01;free sample\n"  # 11 ok, zero is a cost
)


def _check(text: str | bytes, name: str = "costs.csv", known: set[str] | None = None):
    data = text.encode() if isinstance(text, str) else text
    return check_rows(
        read_rows(io.BytesIO(data), name), known_skus=KNOWN if known is None else known
    )


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_accepted():
    rows, rejected = _check(BAD_AND_GOOD)
    assert [(r.line, r.sku) for r in rows] == [(2, "MUG-1"), (9, "LAMP-1"), (11, "MUG-2")]
    reasons = {r.line: r.reason for r in rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert reasons[3].startswith("unknown SKU 'NOPE-9'")
    assert reasons[4].startswith("negative cost")
    assert reasons[5].startswith("bad date '01/02/2026'")
    assert reasons[6] == "wrong currency for the marketplace: DE sells in EUR, not USD"
    assert reasons[7].startswith("unit cost is not a number")
    assert reasons[8].startswith("duplicate in file: line 2")
    assert rows[1].unit_cost == Decimal("12.5")
    assert rows[1].marketplace_id == DE
    assert rows[2].marketplace_id is None


@pytest.mark.parametrize("cost", ["1E+30", "1e30", "99999999999999999999999999.5", "1E-30"])
def test_a_huge_or_tiny_cost_is_a_rejected_row_not_an_error(cost: str):
    rows, rejected = _check(f"sku,currency,unit_cost,effective_from\nMUG-1,USD,{cost},2026-02-01\n")
    assert rows == []
    assert [r.line for r in rejected] == [2]
    assert rejected[0].reason.startswith(("unit cost is too large", "unit cost has more than"))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_bom_and_header_case_are_tolerated(delimiter: str):
    text = "\ufeff" + delimiter.join(["SKU", "currency", "UNIT COST", "Effective From"]) + "\r\n"
    text += delimiter.join(["MUG-1", "USD", "4.2", "2026-01-01"]) + "\r\n"
    rows, rejected = _check(text.encode("utf-8"))
    assert rejected == []
    assert rows[0].sku == "MUG-1"
    assert rows[0].unit_cost == Decimal("4.2")


def test_a_missing_required_column_rejects_the_whole_file():
    with pytest.raises(ImportFileError, match="no unit_cost column"):
        _check("sku,currency,effective_from\nMUG-1,USD,2026-01-01\n")


def test_a_file_that_is_not_utf8_or_too_big_is_refused():
    with pytest.raises(ImportFileError, match="not UTF-8"):
        _check("sku,currency,unit_cost,effective_from\nMÜG,USD,1,2026-01-01\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match="larger than 5 MB"):
        _check(b"sku,currency,unit_cost,effective_from\n" + b"x" * MAX_UPLOAD_BYTES)
    with pytest.raises(ImportFileError, match="empty"):
        _check(b"")


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_rows_with_typed_cells():
    data = _xlsx(
        [
            ["sku", "marketplace", "currency", "unit_cost", "effective_from"],
            ["MUG-1", "US", "USD", 4.2, datetime(2026, 1, 1)],  # noqa: DTZ001 (Excel has no zones)
            ["MUG-2", "", "USD", -3, date(2026, 1, 1)],
            ["LAMP-1", "DE", "GBP", 7, "2026-01-01"],
            ["NOPE-9", "", "USD", 1, "2026-01-01"],
            ["LAMP-2", "", "XYZ", 1, "2026-01-01"],
        ]
    )
    rows, rejected = _check(data, "costs.xlsx")
    assert [(r.sku, r.unit_cost, r.effective_from) for r in rows] == [
        ("MUG-1", Decimal("4.2"), date(2026, 1, 1))
    ]
    assert [r.line for r in rejected] == [3, 4, 5, 6]
    assert "negative cost" in rejected[0].reason
    assert "wrong currency" in rejected[1].reason
    assert "unknown SKU" in rejected[2].reason
    assert "XYZ" in rejected[3].reason


def test_a_workbook_that_unpacks_to_too_much_is_refused(monkeypatch):
    from ams.core import sheets

    monkeypatch.setattr(sheets, "MAX_XLSX_UNPACKED_BYTES", 1000)
    data = _xlsx(
        [
            ["sku", "currency", "unit_cost", "effective_from"],
            *([["MUG-1", "USD", 1, "2026-01-01"]] * 200),
        ]
    )
    with pytest.raises(ImportFileError, match="unpacks to more than"):
        _check(data, "costs.xlsx")


def test_a_damaged_workbook_is_refused():
    with pytest.raises(ImportFileError, match="not a readable Excel workbook"):
        _check(b"PK\x03\x04 not really a zip", "costs.xlsx")


def test_known_skus_come_from_the_synced_catalogue_and_the_costed_skus(personas: Personas):
    with team_scope(personas.team.id):
        assert synced_skus(personas.team) is None  # nothing synced: nothing to check against
    sync_skus(personas.team, "MUG-1", "MUG-2")
    sync_skus(personas.outsider_team, "OUTSIDER-SKU")
    add_cost(personas.team, "OLD-SKU", "1", date(2026, 1, 1))
    with team_scope(personas.team.id):
        assert synced_skus(personas.team) == {"MUG-1", "MUG-2"}
        assert known_skus(personas.team) == {"MUG-1", "MUG-2", "OLD-SKU"}


def test_import_service_upserts_the_good_rows(personas: Personas):
    from ams.procurement.services import product_costs_import

    add_cost(personas.team, "MUG-1", "9.99", date(2026, 1, 1), marketplace_id=US)
    rows, rejected = _check(BAD_AND_GOOD)
    with team_scope(personas.team.id):
        result = product_costs_import(
            team=personas.team, actor=personas.member, rows=rows, rejected=rejected
        )
        saved = sorted(
            ProductCost.objects.values_list("sku", "marketplace_id", "unit_cost", "created_by")
        )
    assert result.imported == 3
    assert len(result.rejected) == 6
    assert saved == [
        ("LAMP-1", DE, Decimal("12.5000"), personas.member.id),
        ("MUG-1", US, Decimal("4.2000"), personas.member.id),  # replaced the 9.99
        ("MUG-2", None, Decimal("0.0000"), personas.member.id),
    ]


def _workbook_with_a_wide_row(cells: int) -> bytes:
    """A valid .xlsx whose first row holds ``cells`` cells: it compresses to almost nothing."""
    data = _xlsx([["sku", "currency", "unit_cost", "effective_from"]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                wide = b"".join(b'<c t="inlineStr"><is><t>x</t></is></c>' for _ in range(cells))
                content = content.replace(b"</row>", wide + b"</row>", 1)
            target.writestr(item, content)
    return out.getvalue()


def test_a_tiny_workbook_with_a_huge_row_is_refused_before_it_is_read(monkeypatch):
    """A sheet whose header row holds a million cells (under 1 MB packed): the reader would build
    the whole row in memory; the bound stops at the first cell past it."""
    import tracemalloc

    data = _workbook_with_a_wide_row(1_000_000)
    assert len(data) < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError, match="more than 100 cells"):
            _check(data, "costs.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # the row was never built: megabytes, not gigabytes
    # A sheet within the bounds still reads.
    rows, rejected = _check(_workbook_with_a_wide_row(20), "costs.xlsx")
    assert (rows, rejected) == ([], [])
