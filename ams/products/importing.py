"""Checking a products sheet row by row: the columns of the products export, so an exported file
edited in a spreadsheet imports again.

A row names a product by its code: a new code makes a product, a known one changes the columns
the file has (a column the file lacks leaves its field alone; an empty cell clears it). The
``skus`` cell lists SKUs that sell the product (``SKU`` in every marketplace, ``SKU@DE`` or
``SKU@<marketplace id>`` in one), the ``components`` cell what a bundle is made of (``2xMUG-1
1xBOX``); both add and change, never remove: removing is done on the product's page, where the
seller sees what goes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ams.core import sheets
from ams.core.marketplaces import find as find_marketplace
from ams.core.sheets import RowError
from ams.products.models import MEASURES

COLUMNS = (
    "code",
    "name",
    "skus",
    "components",
    "hs_code",
    "country_of_origin",
    *MEASURES[:4],
    "units_per_carton",
    *MEASURES[4:],
    "note",
)
PRODUCT_SHEET = sheets.Columns(
    names=COLUMNS,
    required=("code",),
    aliases={"product_code": "code", "sku": "skus", "product": "name", "title": "name"},
)
# Every row is saved through the product services one by one; a catalogue larger than this is
# imported in several files.
MAX_PRODUCT_ROWS = 10_000
_COMPONENT = re.compile(r"^(\d+)\s*[x\u00d7*]\s*(\S+)$", re.IGNORECASE)
_TEXT_LIMITS = {"name": 200, "hs_code": 16, "country_of_origin": 2, "note": 500}


@dataclass(frozen=True)
class ProductRow:
    line: int
    code: str
    # The product's own fields the file has a column for, checked and typed.
    fields: dict[str, Any] = field(default_factory=dict)
    # (SKU, marketplace id or None for every marketplace)
    skus: tuple[tuple[str, str | None], ...] = ()
    # (component code, units per bundle)
    components: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Rejection:
    line: int
    code: str
    reason: str


def _skus(cell: Any) -> tuple[tuple[str, str | None], ...]:
    found: list[tuple[str, str | None]] = []
    for part in re.split(r"[\s,;]+", sheets.text(cell)):
        if not part:
            continue
        sku, _, where = part.partition("@")
        if not sku:
            raise RowError(f"SKU is empty in {part[:40]!r}")
        if len(sku) > 64:
            raise RowError("a SKU is longer than 64 characters")
        marketplace = None
        if where:
            found_marketplace = find_marketplace(where)
            if found_marketplace is None:
                raise RowError(
                    f"unknown marketplace {where[:30]!r} after {sku[:40]}@: use a country code "
                    "(US, DE) or an Amazon marketplace id"
                )
            marketplace = found_marketplace.id
        found.append((sku, marketplace))
    return tuple(dict.fromkeys(found))


def _components(cell: Any, code: str) -> tuple[tuple[str, int], ...]:
    found: dict[str, int] = {}
    for part in re.split(r"[,;]+|\s+(?=\d+\s*[x\u00d7*])", sheets.text(cell)):
        part = part.strip()
        if not part:
            continue
        match = _COMPONENT.match(part)
        if match is None:
            raise RowError(f"write a component as 2xCODE, not {part[:40]!r}")
        quantity, component = int(match[1]), match[2]
        if quantity < 1:
            raise RowError(f"a bundle holds at least one unit of {component[:40]}")
        if component == code:
            raise RowError("a bundle cannot contain itself")
        found[component] = quantity
    return tuple(found.items())


def _field(column: str, cell: Any) -> Any:
    what = column.replace("_", " ")
    if column in MEASURES:
        size = sheets.decimal(cell, what=what)
        if size is not None:
            if size <= 0:
                raise RowError(f"{what} must be more than zero")
            if size >= Decimal(10) ** 8 or size != round(size, 2):
                raise RowError(f"{what} has more than 2 decimal places or is too large: {size}")
        return size
    if column == "units_per_carton":
        units = sheets.whole(cell, what=what)
        if units is not None and units < 1:
            raise RowError("units per carton must be at least 1")
        return units
    value = sheets.text(cell)
    if column == "country_of_origin":
        value = value.upper()
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise RowError("country of origin is a two-letter code, such as CN or DE")
    if len(value) > _TEXT_LIMITS[column]:
        raise RowError(f"{what} is longer than {_TEXT_LIMITS[column]} characters")
    return value


def check_row(line: int, values: dict[str, Any]) -> ProductRow:
    code = sheets.text(values.get("code"))
    if not code:
        raise RowError("code is empty")
    if len(code) > 64:
        raise RowError("code is longer than 64 characters")
    fields = {
        column: _field(column, cell)
        for column, cell in values.items()
        if column not in ("code", "skus", "components")
    }
    if "name" in fields and not fields["name"]:
        raise RowError("name is empty: a product needs one")
    return ProductRow(
        line,
        code,
        fields,
        _skus(values.get("skus")),
        _components(values.get("components"), code),
    )


def check_rows(
    rows: Iterable[tuple[int, dict[str, Any]]],
) -> tuple[list[ProductRow], list[Rejection]]:
    """The rows that pass the checks, simple products before bundles (so a bundle's components
    exist by the time it is saved), and the rejected ones with their reasons."""
    accepted: dict[str, ProductRow] = {}
    rejected: list[Rejection] = []
    for line, values in rows:
        if line > MAX_PRODUCT_ROWS + 1:
            raise sheets.ImportFileError(
                f"The file has more than {MAX_PRODUCT_ROWS:,} products: split it into smaller files."
            )
        try:
            row = check_row(line, values)
        except RowError as exc:
            rejected.append(Rejection(line, sheets.text(values.get("code"))[:64], str(exc)))
            continue
        first = accepted.get(row.code)
        if first is not None:
            rejected.append(
                Rejection(line, row.code, f"duplicate in file: line {first.line} has the same code")
            )
            continue
        accepted[row.code] = row
    ordered = sorted(accepted.values(), key=lambda r: (bool(r.components), r.line))
    return ordered, rejected
