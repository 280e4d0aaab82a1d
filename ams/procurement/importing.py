"""Reading and checking a cost sheet (CSV or XLSX) row by row.

A row is accepted or rejected as a whole, with its line number and the reason, so the seller can
fix the rejected lines and upload them again; a file that cannot be read at all (too big, not
UTF-8, a required column missing) is refused as a whole with a message saying what to change.
The same checks serve the one-row form on the cost page.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import iterparse

from ams.core.marketplaces import SALE_CURRENCIES
from ams.core.marketplaces import find as find_marketplace
from ams.procurement.models import MAX_UNIT_COST_DIGITS, UNIT_COST_PLACES

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TOO_LARGE = (
    f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: split it into smaller files."
)
MAX_ROWS = 50_000
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
# A cost sheet has six columns; a row of thousands of cells is an attack on memory, since the
# workbook reader builds each row whole before it yields it.
MAX_XLSX_COLUMNS = 100
# Without a date column (or with an empty cell) a cost holds for all history until a dated one.
REQUIRED = ("sku", "currency", "unit_cost")
OPTIONAL = ("marketplace", "effective_from", "note")
COLUMNS = ("sku", "marketplace", "currency", "unit_cost", "effective_from", "note")
ALIASES = {
    "seller_sku": "sku",
    "marketplace_id": "marketplace",
    "country": "marketplace",
    "cost": "unit_cost",
    "unit_price": "unit_cost",
    "date": "effective_from",
    "valid_from": "effective_from",
}
# Cells our own export protected against spreadsheet formulas (see ams.core.exports).
_FORMULA_PREFIXES = ("'=", "'+", "'-", "'@")
XLSX_MAGIC = b"PK\x03\x04"
# A day, optionally with the midnight time a spreadsheet adds: 2026-03-01 or 2026-03-01 00:00:00.
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T][0-9:.]*)?$")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why, in the seller's terms."""


@dataclass(frozen=True)
class CostRow:
    line: int
    sku: str
    marketplace_id: str | None
    currency: str
    unit_cost: Decimal
    effective_from: date | None  # None: all history, until a dated cost
    note: str = ""

    @property
    def key(self) -> tuple[str, str | None, date | None]:
        return (self.sku, self.marketplace_id, self.effective_from)


@dataclass(frozen=True)
class Rejection:
    line: int
    sku: str
    reason: str


class RowError(ValueError):
    pass


# --- Reading ------------------------------------------------------------------------------------


def _column(name: object) -> str:
    text = str(name or "").strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(text, text)


def _header_map(header: Iterable[object]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        column = _column(name)
        if column in COLUMNS and column not in positions:
            positions[column] = i
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        raise ImportFileError(
            f"The file has no {', '.join(missing)} column. The first row must name the columns: "
            + ", ".join(COLUMNS)
            + " (marketplace, effective_from and note are optional)."
        )
    return positions


def read_rows(upload: IO[bytes], name: str = "") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, {column: cell}) for each data row of a CSV or XLSX file; line 1 is the header."""
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
    positions = _header_map(header)
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
    """Refuse a workbook that would unpack to far more than any cost sheet needs, then count each
    sheet's rows and cells as its XML streams by, element by element, and refuse it at the first
    row past the bounds: memory stays flat whatever the sheet holds."""
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
                                "cells: a cost sheet needs six columns."
                            )
                    elif event == "end" and tag in ("c", "row"):
                        element.clear()
            except ParseError:
                raise ImportFileError(
                    "The file is not a readable Excel workbook (.xlsx)."
                ) from None


# --- Checking -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if text.startswith(_FORMULA_PREFIXES):
        text = text[1:]
    return text


def _money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise RowError("unit cost is not a number")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        text = _text(value).replace(" ", "")
        if not text:
            raise RowError("unit cost is empty")
        if "," in text and "." not in text and text.count(",") == 1:
            text = text.replace(",", ".")  # a decimal comma, as European spreadsheets write it
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise RowError(f"unit cost is not a number: {text[:30]!r}") from None
    if not amount.is_finite():
        raise RowError("unit cost is not a number")
    if amount < 0:
        raise RowError(f"negative cost: {amount} (a cost can be 0, not less)")
    # The size first: quantizing 1E+30 to four places needs more digits than Decimal's context.
    if amount >= Decimal(10) ** (MAX_UNIT_COST_DIGITS - UNIT_COST_PLACES):
        raise RowError(f"unit cost is too large: {amount}")
    if amount != amount.quantize(Decimal(1).scaleb(-UNIT_COST_PLACES)):
        raise RowError(f"unit cost has more than {UNIT_COST_PLACES} decimal places: {amount}")
    return amount.quantize(Decimal(1).scaleb(-UNIT_COST_PLACES))


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None  # no date: the cost holds for all history until a dated one
    try:
        if not _ISO_DAY.match(text):
            raise ValueError(text)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise RowError(f"bad date {text[:30]!r}: write it as YYYY-MM-DD") from None


def check_row(line: int, values: dict[str, Any], *, known_skus: set[str] | None) -> CostRow:
    """One row as a cost, or RowError with the first problem found.

    ``known_skus`` None means the team has nothing synced yet to check SKUs against.
    """
    sku = _text(values.get("sku"))
    if not sku:
        raise RowError("SKU is empty")
    if len(sku) > 64:
        raise RowError("SKU is longer than 64 characters")
    if known_skus is not None and sku not in known_skus:
        raise RowError(f"unknown SKU {sku!r}: it is not in your Amazon catalogue")
    marketplace_text = _text(values.get("marketplace"))
    marketplace = None
    if marketplace_text and marketplace_text.lower() not in ("all", "*"):
        marketplace = find_marketplace(marketplace_text)
        if marketplace is None:
            raise RowError(
                f"unknown marketplace {marketplace_text[:30]!r}: use a country code (US, DE) or an Amazon marketplace id"
            )
    currency = _text(values.get("currency")).upper()
    if not currency:
        raise RowError("currency is empty")
    if marketplace is not None and currency != marketplace.currency:
        raise RowError(
            f"wrong currency for the marketplace: {marketplace.country_code} sells in {marketplace.currency}, not {currency[:10]}"
        )
    if currency not in SALE_CURRENCIES:
        raise RowError(f"currency {currency[:10]!r} is not one an Amazon marketplace sells in")
    unit_cost = _money(values.get("unit_cost"))
    effective_from = _day(values.get("effective_from"))
    note = _text(values.get("note"))[:200]
    return CostRow(
        line,
        sku,
        marketplace.id if marketplace else None,
        currency,
        unit_cost,
        effective_from,
        note,
    )


def check_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], *, known_skus: set[str] | None
) -> tuple[list[CostRow], list[Rejection]]:
    accepted: dict[tuple[str, str | None, date | None], CostRow] = {}
    rejected: list[Rejection] = []
    for line, values in rows:
        try:
            row = check_row(line, values, known_skus=known_skus)
        except RowError as exc:
            rejected.append(Rejection(line, _text(values.get("sku"))[:64], str(exc)))
            continue
        first = accepted.get(row.key)
        if first is not None:
            rejected.append(
                Rejection(
                    line,
                    row.sku,
                    f"duplicate in file: line {first.line} has the same SKU, marketplace and date",
                )
            )
            continue
        accepted[row.key] = row
    return list(accepted.values()), rejected
