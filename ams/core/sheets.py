"""Reading a seller's sheet (CSV or XLSX) row by row, for every import AMS has.

The file is bounded before anything is parsed (bytes, rows, cells per row, the workbook's unpacked
size), so a hostile upload costs no more memory than an honest one; a file that cannot be read at
all (too big, not UTF-8, a required column missing) raises ``ImportFileError`` with a sentence
saying what to change. Each import then checks the rows it gets (``RowError`` for one row), so a
bad row is reported with its line and reason and every good row is kept.

The cells helpers read what spreadsheets write: a decimal comma, a date with the midnight time
Excel adds, and the apostrophe AMS's own exports put before a cell that looks like a formula
(``ams.core.exports``), so an exported file imports again unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import iterparse

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TOO_LARGE = (
    f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: split it into smaller files."
)
MAX_ROWS = 50_000
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
# A row of thousands of cells is an attack on memory, since the workbook reader builds each row
# whole before it yields it; no sheet AMS reads has more than a few dozen columns.
MAX_XLSX_COLUMNS = 100
XLSX_MAGIC = b"PK\x03\x04"
# Cells our own export protected against spreadsheet formulas (see ams.core.exports).
_FORMULA_PREFIXES = ("'=", "'+", "'-", "'@")
# A day, optionally with the midnight time a spreadsheet adds: 2026-03-01 or 2026-03-01 00:00:00.
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T][0-9:.]*)?$")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why, in the seller's terms."""


class RowError(ValueError):
    """One row cannot be imported; the message says why."""


@dataclass(frozen=True)
class Columns:
    """The columns a sheet may have: their names, which are required, and the other names
    sellers give them (``seller_sku`` for ``sku``). Names match in any case, with spaces or
    dashes for underscores."""

    names: Sequence[str]
    required: Sequence[str]
    aliases: Mapping[str, str]

    def name(self, cell: object) -> str:
        text = str(cell or "").strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")
        return self.aliases.get(text, text)

    def positions(self, header: Iterable[object]) -> dict[str, int]:
        positions: dict[str, int] = {}
        for i, cell in enumerate(header):
            column = self.name(cell)
            if column in self.names and column not in positions:
                positions[column] = i
        missing = [c for c in self.required if c not in positions]
        if missing:
            optional = [c for c in self.names if c not in self.required]
            raise ImportFileError(
                f"The file has no {', '.join(missing)} column. The first row must name the columns: "
                + ", ".join(self.names)
                + (f" ({', '.join(optional)} are optional)." if optional else ".")
            )
        return positions


def read_rows(
    upload: IO[bytes], name: str, columns: Columns
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, {column: cell}) for each data row of a CSV or XLSX file; line 1 is the
    header. Only the header's known columns are kept; a column the file lacks is absent from the
    dict (not None), so an import can tell "not in the file" from "left empty"."""
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportFileError(TOO_LARGE)
    if not data.strip():
        raise ImportFileError("The file is empty.")
    rows = (
        _xlsx_rows(data)
        if data.startswith(XLSX_MAGIC) or name.lower().endswith(".xlsx")
        else _csv_rows(data)
    )
    try:
        header = next(rows)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    positions = columns.positions(header)
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise ImportFileError(
                f"The file has more than {MAX_ROWS} rows: split it into smaller files."
            )
        values = {c: (cells[i] if i < len(cells) else None) for c, i in positions.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        yield number, values


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is not UTF-8 text: save it as “CSV UTF-8” or as an Excel workbook (.xlsx)."
        ) from None
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _xlsx_within_bounds(archive)
    except zipfile.BadZipFile:
        raise ImportFileError("The file is not a readable Excel workbook (.xlsx).") from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise ImportFileError("The file is not a readable Excel workbook (.xlsx).") from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _xlsx_within_bounds(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook that would unpack to far more than any sheet AMS reads needs, then count
    each sheet's rows and cells as its XML streams by, element by element, and refuse it at the
    first row past the bounds: memory stays flat whatever the sheet holds."""
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(
            f"The workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)} MB: split it into smaller files."
        )
    for member in archive.namelist():
        if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
            continue
        rows = cells = 0
        with archive.open(member) as sheet:
            try:
                for event, element in iterparse(sheet, events=("start", "end")):
                    tag = element.tag.rsplit("}", 1)[-1]
                    if event == "start" and tag == "row":
                        rows, cells = rows + 1, 0
                        if rows > MAX_ROWS + 1:
                            raise ImportFileError(
                                f"The file has more than {MAX_ROWS} rows: split it into smaller files."
                            )
                    elif event == "start" and tag == "c":
                        cells += 1
                        if cells > MAX_XLSX_COLUMNS:
                            raise ImportFileError(
                                f"Row {rows} of the workbook has more than {MAX_XLSX_COLUMNS} "
                                "cells: no sheet AMS reads has that many columns."
                            )
                    elif event == "end" and tag in ("c", "row"):
                        element.clear()
            except ParseError:
                raise ImportFileError(
                    "The file is not a readable Excel workbook (.xlsx)."
                ) from None


# --- Cells --------------------------------------------------------------------------------------


def text(value: Any) -> str:
    """A cell as trimmed text, without the apostrophe our exports put before a formula-like cell."""
    cell = "" if value is None else str(value).strip()
    if cell.startswith(_FORMULA_PREFIXES):
        cell = cell[1:]
    return cell


def decimal(value: Any, *, what: str) -> Decimal | None:
    """A number as Decimal, None for an empty cell; a decimal comma is read as European
    spreadsheets write it. RowError names ``what`` for anything else."""
    if isinstance(value, bool):
        raise RowError(f"{what} is not a number")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        cell = text(value).replace(" ", "")
        if not cell:
            return None
        if "," in cell and "." not in cell and cell.count(",") == 1:
            cell = cell.replace(",", ".")
        try:
            amount = Decimal(cell)
        except InvalidOperation:
            raise RowError(f"{what} is not a number: {cell[:30]!r}") from None
    if not amount.is_finite():
        raise RowError(f"{what} is not a number")
    return amount


def whole(value: Any, *, what: str) -> int | None:
    """A whole number, None for an empty cell (a spreadsheet's 12.0 is 12)."""
    amount = decimal(value, what=what)
    if amount is None:
        return None
    if amount != amount.to_integral_value():
        raise RowError(f"{what} is not a whole number: {amount}")
    if abs(amount) >= 10**9:
        raise RowError(f"{what} is too large: {amount}")
    return int(amount)


def day(value: Any, *, what: str = "date") -> date | None:
    """A day written YYYY-MM-DD (or a spreadsheet's date cell), None for an empty cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    cell = text(value)
    if not cell:
        return None
    try:
        if not _ISO_DAY.match(cell):
            raise ValueError(cell)
        return date.fromisoformat(cell[:10])
    except ValueError:
        raise RowError(f"bad {what} {cell[:30]!r}: write it as YYYY-MM-DD") from None
