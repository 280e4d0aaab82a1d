"""Streamed CSV and XLSX downloads of any table, with the filters the page applied.

A page builds its filtered queryset, maps each row to a sequence of cells, and calls
``export_response``; the rows are read with ``.iterator()`` while the file is being sent, so an
export of a million rows uses the memory of a few.

Streaming outlives the view: Django sends a streamed body after the view's transaction has
ended, and with it the team scope (``ams.team_id`` is transaction-local). The row generator
therefore re-enters ``team_scope`` itself; without it every tenant query would see zero rows.

Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) are written to CSV with a leading apostrophe (OWASP's "CSV
injection" advice); XLSX cells are typed as text, which a spreadsheet never evaluates.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from ams.core.tenancy import team_scope

Cell = str | int | Decimal | date | datetime | None
Rows = Callable[[], Iterable[Sequence[Cell]]]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 64 * 1024
# Files up to this size stay in memory while they are built; larger ones spill to disk.
_SPOOL_BYTES = 8 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class _Echo:
    """A file-like object whose write returns the text, so csv.writer yields line by line."""

    def write(self, value: str) -> str:
        return value


def export_filename(team_slug: str, table: str, fmt: str) -> str:
    return f"{slugify(team_slug)}-{slugify(table)}-{timezone.now().date().isoformat()}.{fmt}"


def _scoped(team_id: int, body: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
    with team_scope(team_id):
        yield from body()


def stream_csv(
    *, team_id: int, header: Sequence[str], rows: Rows, filename: str
) -> StreamingHttpResponse:
    """A CSV download; ``rows`` is called inside the team's scope while the file is sent."""

    def body() -> Iterator[bytes]:
        writer = csv.writer(_Echo())
        # A BOM, so spreadsheet programs read the UTF-8 as UTF-8.
        yield ("\ufeff" + writer.writerow([safe_text(h) for h in header])).encode()
        buffer: list[str] = []
        size = 0
        for row in rows():
            line = writer.writerow([csv_cell(c) for c in row])
            buffer.append(line)
            size += len(line)
            if size >= _CHUNK:
                yield "".join(buffer).encode()
                buffer, size = [], 0
        if buffer:
            yield "".join(buffer).encode()

    response = StreamingHttpResponse(_scoped(team_id, body), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_cell(sheet: Any, value: Cell) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
    return cell


def stream_xlsx(
    *, team_id: int, header: Sequence[str], rows: Rows, filename: str, sheet_title: str = "Export"
) -> StreamingHttpResponse:
    """An XLSX download, built row by row (openpyxl write-only) into a spooled file, then sent in chunks."""

    def body() -> Iterator[bytes]:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=sheet_title[:31])
        sheet.append([_xlsx_cell(sheet, h) for h in header])
        for row in rows():
            sheet.append([_xlsx_cell(sheet, c) for c in row])
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            workbook.save(spool)
            spool.seek(0)
            while chunk := spool.read(_CHUNK):
                yield chunk

    response = StreamingHttpResponse(_scoped(team_id, body), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(
    fmt: str, *, team_id: int, team_slug: str, table: str, header: Sequence[str], rows: Rows
) -> StreamingHttpResponse:
    """The download in ``fmt`` ("csv" or "xlsx"); callers validate ``fmt`` against FORMATS."""
    filename = export_filename(team_slug, table, fmt)
    if fmt == "xlsx":
        return stream_xlsx(
            team_id=team_id, header=header, rows=rows, filename=filename, sheet_title=table
        )
    return stream_csv(team_id=team_id, header=header, rows=rows, filename=filename)
