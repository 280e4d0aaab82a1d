"""Checking a supplier price sheet row by row: the columns of the supplier prices export, so a
price list exported, edited in a spreadsheet (or rebuilt from a supplier's own list) imports again.

A row is one price: the supplier (by name) asks ``unit_price`` for the product (by its code) from
``min_quantity`` units on, from ``valid_from`` (today when empty) until ``valid_until`` (open when
empty). A price with the same supplier, product, quantity break and start replaces the one saved.
The offer's columns (the supplier's code, minimum order, case pack), when the file has them,
change the offer too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ams.core import sheets
from ams.core.sheets import RowError
from ams.purchasing.models import MONEY_DIGITS, MONEY_PLACES

COLUMNS = (
    "supplier",
    "product_code",
    "supplier_code",
    "minimum_order_quantity",
    "case_pack",
    "min_quantity",
    "unit_price",
    "currency",
    "valid_from",
    "valid_until",
)
PRICE_SHEET = sheets.Columns(
    names=COLUMNS,
    required=("supplier", "product_code", "unit_price"),
    aliases={
        "supplier_name": "supplier",
        "product": "product_code",
        "code": "product_code",
        "moq": "minimum_order_quantity",
        "price": "unit_price",
        "quantity_break": "min_quantity",
        "from_quantity": "min_quantity",
        "valid_to": "valid_until",
    },
)
MAX_PRICE_ROWS = 20_000
OFFER_COLUMNS = ("supplier_code", "minimum_order_quantity", "case_pack")


@dataclass(frozen=True)
class PriceRow:
    line: int
    supplier: str
    product_code: str
    unit_price: Decimal
    min_quantity: int
    valid_from: date
    valid_until: date | None
    currency: str  # empty: the supplier's
    # The offer's columns the file has: supplier_code, minimum_order_quantity, case_pack.
    offer: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, int, date]:
        return (self.supplier.casefold(), self.product_code, self.min_quantity, self.valid_from)


@dataclass(frozen=True)
class Rejection:
    line: int
    product_code: str
    reason: str


def _quantity(value: Any, *, what: str, default: int) -> int:
    number = sheets.whole(value, what=what)
    if number is None:
        return default
    if number < 1:
        raise RowError(f"{what} is at least 1")
    return number


def check_row(line: int, values: dict[str, Any], *, today: date) -> PriceRow:
    supplier = sheets.text(values.get("supplier"))
    if not supplier:
        raise RowError("supplier is empty")
    code = sheets.text(values.get("product_code"))
    if not code:
        raise RowError("product code is empty")
    price = sheets.decimal(values.get("unit_price"), what="unit price")
    if price is None:
        raise RowError("unit price is empty")
    if price < 0:
        raise RowError(f"negative price: {price}")
    if price >= Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES) or price != round(price, MONEY_PLACES):
        raise RowError(f"unit price has more than {MONEY_PLACES} decimal places or is too large")
    valid_from = sheets.day(values.get("valid_from"), what="valid from date") or today
    valid_until = sheets.day(values.get("valid_until"), what="valid until date")
    if valid_until is not None and valid_until < valid_from:
        raise RowError("the price ends before it starts")
    offer: dict[str, Any] = {}
    if "supplier_code" in values:
        offer["supplier_code"] = sheets.text(values["supplier_code"])[:64]
    if "minimum_order_quantity" in values:
        offer["minimum_order_quantity"] = _quantity(
            values["minimum_order_quantity"], what="minimum order quantity", default=1
        )
    if "case_pack" in values:
        offer["case_pack"] = _quantity(values["case_pack"], what="case pack", default=1)
    return PriceRow(
        line=line,
        supplier=supplier,
        product_code=code,
        unit_price=price,
        min_quantity=_quantity(values.get("min_quantity"), what="min quantity", default=1),
        valid_from=valid_from,
        valid_until=valid_until,
        currency=sheets.text(values.get("currency")).upper(),
        offer=offer,
    )


def check_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], *, today: date
) -> tuple[list[PriceRow], list[Rejection]]:
    accepted: dict[tuple[str, str, int, date], PriceRow] = {}
    rejected: list[Rejection] = []
    for line, values in rows:
        if line > MAX_PRICE_ROWS + 1:
            raise sheets.ImportFileError(
                f"The file has more than {MAX_PRICE_ROWS:,} prices: split it into smaller files."
            )
        try:
            row = check_row(line, values, today=today)
        except RowError as exc:
            rejected.append(Rejection(line, sheets.text(values.get("product_code"))[:64], str(exc)))
            continue
        first = accepted.get(row.key)
        if first is not None:
            rejected.append(
                Rejection(
                    line,
                    row.product_code,
                    f"duplicate in file: line {first.line} has the same supplier, product, "
                    "quantity break and start",
                )
            )
            continue
        accepted[row.key] = row
    return list(accepted.values()), rejected
