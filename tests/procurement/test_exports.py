"""The streamed exporter every table page uses."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ams.core.exports import Cell, csv_cell, stream_csv, stream_xlsx
from ams.core.tenancy import current_team_id
from tests.factories import Personas
from tests.procurement.helpers import streamed

pytestmark = pytest.mark.django_db

NASTY = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "plain"]


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted():
    assert [csv_cell(v) for v in NASTY] == [
        '\'=HYPERLINK("http://evil")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "plain",
    ]
    assert csv_cell(-2) == "-2"  # numbers are numbers, not text
    assert csv_cell(None) == ""


def test_csv_streams_in_the_team_scope_after_the_view_has_returned(personas: Personas):
    seen: list[int | None] = []

    def rows():
        seen.append(current_team_id())
        yield from ([str(i), i] for i in range(5000))

    response = stream_csv(
        team_id=personas.team.id, header=["name", "n"], rows=rows, filename="x.csv"
    )
    chunks = streamed(response)
    assert len(chunks) > 1  # sent in pieces, not built whole
    assert seen == [personas.team.id]
    parsed = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert parsed[0] == ["name", "n"]
    assert parsed[-1] == ["4999", "4999"]


def test_xlsx_never_writes_a_formula(personas: Personas):
    response = stream_xlsx(
        team_id=personas.team.id, header=["v"], rows=lambda: ([v] for v in NASTY), filename="x.xlsx"
    )
    workbook = load_workbook(io.BytesIO(b"".join(streamed(response))))
    sheet = workbook.worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == NASTY
    assert {c.data_type for c in cells} == {"s"}


def test_xlsx_writes_times_in_utc_days_as_days_and_numbers_as_numbers(personas: Personas):
    berlin = timezone(timedelta(hours=2))
    rows: list[list[Cell]] = [
        [datetime(2026, 3, 1, 14, 30, tzinfo=berlin), date(2026, 3, 1), Decimal("19.99"), 3, None]
    ]
    response = stream_xlsx(
        team_id=personas.team.id,
        header=["at", "day", "price", "units", "empty"],
        rows=lambda: rows,
        filename="x.xlsx",
        sheet_title="settlement: 1/2 [x]",
    )
    workbook = load_workbook(io.BytesIO(b"".join(streamed(response))))
    sheet = workbook.worksheets[0]
    assert sheet.title == "settlement- 1-2 -x-"
    at, day, price, units, empty = next(sheet.iter_rows(min_row=2))
    # UTC, as Excel has no time zones.
    assert at.value == datetime(2026, 3, 1, 12, 30, tzinfo=UTC).replace(tzinfo=None)
    assert day.value.date() == date(2026, 3, 1)
    assert day.number_format == "yyyy-mm-dd"
    assert (price.value, price.data_type) == (19.99, "n")
    assert (units.value, empty.value) == (3, None)
