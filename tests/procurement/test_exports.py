"""The streamed exporter every table page uses."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from ams.core.exports import csv_cell, stream_csv, stream_xlsx
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
