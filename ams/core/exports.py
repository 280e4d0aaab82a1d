"""CSV and XLSX files of any table, with the filters the page applied: streamed when small,
built by a job when large (``ams.core.export_jobs``).

A page describes its export once, as an ``ExportSource``: the header, a function that yields the
rows as sequences of cells, the queryset whose size decides between the two paths, and the
validated filters that build the same source again. The web process streams a small source with
``export_response``; a worker writes a large one with ``export_write`` from the source rebuilt
from the saved filters, through the same row mapping, so the two paths give the same file.

Streaming outlives the view: Django sends a streamed body after the view's transaction has
ended, and with it the team scope (``ams.team_id`` is transaction-local). The row generator
therefore re-enters ``team_scope`` itself; without it every tenant query would see zero rows.

Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) are written to CSV with a leading apostrophe (OWASP's "CSV
injection" advice); XLSX cells are typed as text, which a spreadsheet never evaluates.

XLSX is written by XlsxWriter in its constant-memory mode: each row goes to disk as it is
written, and the writer is two to three times faster than openpyxl's write-only mode
(docs/benchmarks.md, Exports).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
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
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE, "zip": "application/zip"}


class ExportNotFound(LookupError):
    """The export names something the team does not have (another team's settlement): a 404."""


@dataclass(frozen=True)
class ExportSource:
    """One table's export under one set of filters; ``build(team, params)`` makes it again."""

    kind: str  # the registered builder: "orders", "costs"
    table: str  # names the file and the sheet: "orders", "settlement-1234"
    header: Sequence[str]
    rows: Rows  # called inside the team's scope
    counted: QuerySet[Any]  # the rows, or the records they are made from: the export's size
    params: Mapping[str, str]  # the validated filters, as text
    # An archive of many tables (format "zip") writes itself: ``archive(target, on_step)``, with
    # ``steps()`` the count of its steps, for the progress shown while a job builds it.
    archive: Callable[[IO[bytes], Callable[[], None] | None], None] | None = None
    steps: Callable[[], int] | None = None


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


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    on_row: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """The CSV file in pieces of about 64 KB."""
    writer = csv.writer(_Echo())
    # A BOM, so spreadsheet programs read the UTF-8 as UTF-8.
    yield ("\ufeff" + writer.writerow([safe_text(h) for h in header])).encode()
    buffer: list[str] = []
    size = 0
    for row in rows:
        line = writer.writerow([csv_cell(c) for c in row])
        buffer.append(line)
        size += len(line)
        if on_row is not None:
            on_row()
        if size >= _CHUNK:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def xlsx_write(
    target: IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet_title: str = "Export",
    on_row: Callable[[], None] | None = None,
) -> None:
    """The workbook into ``target``, one row at a time (XlsxWriter's constant-memory mode)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            # Text stays text: never a formula, a link or a number guessed from it.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    # Excel refuses these characters in a sheet's name, and more than 31 of them.
    title = re.sub(r"[\[\]:*?/\\']", "-", sheet_title)[:31] or "Export"
    sheet = workbook.add_worksheet(title)
    for column, name in enumerate(header):
        sheet.write_string(0, column, name)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(number, column, value)
            elif isinstance(value, int | Decimal):
                sheet.write_number(number, column, value)
            elif isinstance(value, datetime):
                if value.tzinfo is not None:  # Excel has no time zones: UTC
                    value = value.astimezone(UTC).replace(tzinfo=None)
                sheet.write_datetime(number, column, value, moment)
            else:  # a day
                sheet.write_datetime(number, column, value, day)
        if on_row is not None:
            on_row()
    workbook.close()


def xlsx_chunks(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], *, sheet_title: str = "Export"
) -> Iterator[bytes]:
    """The workbook, built into a spooled file first (a zip is finished before it is sent)."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        xlsx_write(spool, header, rows, sheet_title=sheet_title)
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk


def export_write(
    fmt: str, target: IO[bytes], source: ExportSource, *, on_row: Callable[[], None] | None = None
) -> None:
    """The whole file into ``target``: what a job stores. Call inside the team's scope."""
    if source.archive is not None:
        source.archive(target, on_row)
    elif fmt == "xlsx":
        xlsx_write(target, source.header, source.rows(), sheet_title=source.table, on_row=on_row)
    else:
        for chunk in csv_chunks(source.header, source.rows(), on_row=on_row):
            target.write(chunk)


def _scoped(team_id: int, body: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
    with team_scope(team_id):
        yield from body()


class _Released(Iterator[bytes]):
    """The body, and ``release`` run once when it ends or Django closes the response (also
    when the client went away before the first chunk, when a generator's ``finally`` would not run)."""

    def __init__(self, body: Iterator[bytes], release: Callable[[], None] | None) -> None:
        self._body = body
        self._release = release

    def __next__(self) -> bytes:
        try:
            return next(self._body)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


def _body(
    team_id: int, body: Callable[[], Iterator[bytes]], release: Callable[[], None] | None
) -> Iterator[bytes]:
    return _Released(_scoped(team_id, body), release)


def stream_csv(
    *,
    team_id: int,
    header: Sequence[str],
    rows: Rows,
    filename: str,
    release: Callable[[], None] | None = None,
) -> StreamingHttpResponse:
    """A CSV download; ``rows`` is called inside the team's scope while the file is sent."""
    response = StreamingHttpResponse(
        _body(team_id, lambda: csv_chunks(header, rows()), release), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def stream_xlsx(
    *,
    team_id: int,
    header: Sequence[str],
    rows: Rows,
    filename: str,
    sheet_title: str = "Export",
    release: Callable[[], None] | None = None,
) -> StreamingHttpResponse:
    """An XLSX download, built row by row into a spooled file, then sent in chunks."""
    response = StreamingHttpResponse(
        _body(team_id, lambda: xlsx_chunks(header, rows(), sheet_title=sheet_title), release),
        content_type=XLSX_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(
    fmt: str,
    *,
    team_id: int,
    team_slug: str,
    table: str,
    header: Sequence[str],
    rows: Rows,
    release: Callable[[], None] | None = None,
) -> StreamingHttpResponse:
    """The download in ``fmt`` ("csv" or "xlsx"); callers validate ``fmt`` against FORMATS.

    ``release`` runs once the body has been sent or abandoned (it frees the caller's slot).
    """
    filename = export_filename(team_slug, table, fmt)
    if fmt == "xlsx":
        return stream_xlsx(
            team_id=team_id,
            header=header,
            rows=rows,
            filename=filename,
            sheet_title=table,
            release=release,
        )
    return stream_csv(team_id=team_id, header=header, rows=rows, filename=filename, release=release)
