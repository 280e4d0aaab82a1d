"""Reading and checking a cost sheet (CSV or XLSX) row by row.

A row is accepted or rejected as a whole, with its line number and the reason, so the seller can
fix the rejected lines and upload them again; a file that cannot be read at all (too big, not
UTF-8, a required column missing) is refused as a whole with a message saying what to change.
The same checks serve the one-row form on the cost page.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from ams.core import sheets
from ams.core.marketplaces import SALE_CURRENCIES
from ams.core.marketplaces import find as find_marketplace
from ams.core.sheets import RowError
from ams.procurement.models import MAX_UNIT_COST_DIGITS, UNIT_COST_PLACES

# Without a date column (or with an empty cell) a cost holds for all history until a dated one.
REQUIRED = ("sku", "currency", "unit_cost")
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
COST_SHEET = sheets.Columns(names=COLUMNS, required=REQUIRED, aliases=ALIASES)


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


def read_rows(upload: IO[bytes], name: str = "") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, {column: cell}) for each data row of a cost sheet; line 1 is the header."""
    return sheets.read_rows(upload, name, COST_SHEET)


# --- Checking -----------------------------------------------------------------------------------


_text = sheets.text


def _money(value: Any) -> Decimal:
    amount = sheets.decimal(value, what="unit cost")
    if amount is None:
        raise RowError("unit cost is empty")
    if amount < 0:
        raise RowError(f"negative cost: {amount} (a cost can be 0, not less)")
    # The size first: quantizing 1E+30 to four places needs more digits than Decimal's context.
    if amount >= Decimal(10) ** (MAX_UNIT_COST_DIGITS - UNIT_COST_PLACES):
        raise RowError(f"unit cost is too large: {amount}")
    if amount != amount.quantize(Decimal(1).scaleb(-UNIT_COST_PLACES)):
        raise RowError(f"unit cost has more than {UNIT_COST_PLACES} decimal places: {amount}")
    return amount.quantize(Decimal(1).scaleb(-UNIT_COST_PLACES))


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
    effective_from = sheets.day(values.get("effective_from"))
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
