"""Stock from FBA inventory summaries and the listings report; advice from the restock and
planning reports, as the inventory app's rows (ams/inventory/writers.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ams.inventory.writers import PlanningRow, RestockRow, StockRow
from ams.sync.parsers.flatfile import (
    RowError,
    integer,
    optional_date,
    optional_integer,
    required_text,
    text,
)

LISTINGS_REPORT = "GET_MERCHANT_LISTINGS_ALL_DATA"
RESTOCK_REPORT = "GET_RESTOCK_INVENTORY_RECOMMENDATIONS_REPORT"
PLANNING_REPORT = "GET_FBA_INVENTORY_PLANNING_DATA"
MYI_REPORT = "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA"


def _int(value: Any) -> int:
    if isinstance(value, dict):
        value = next((v for k, v in value.items() if k.startswith("total")), 0)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise RowError(f"not a quantity: {str(value)[:30]!r}") from None


def summary_row(marketplace_id: str, summary: Mapping[str, Any]) -> StockRow:
    """One getInventorySummaries entry (details=true) as a staged stock row."""
    sku = str(summary.get("sellerSku") or "")[:64]
    if not sku:
        raise RowError("an inventory summary without sellerSku")
    details = summary.get("inventoryDetails") or {}
    return StockRow(
        marketplace_id,
        sku,
        "AFN",
        str(summary.get("fnSku") or "")[:16],
        str(summary.get("asin") or "")[:16],
        _int(details.get("fulfillableQuantity")),
        _int(details.get("inboundWorkingQuantity")),
        _int(details.get("inboundShippedQuantity")),
        _int(details.get("inboundReceivingQuantity")),
        _int(details.get("reservedQuantity")),
        _int(details.get("unfulfillableQuantity")),
        _int(details.get("researchingQuantity")),
        _int(summary.get("totalQuantity")),
    )


LISTINGS_REQUIRED = ("seller-sku", "quantity", "fulfillment-channel")


def merchant_stock_converter(marketplace_id: str) -> Callable[[Mapping[str, str]], StockRow | None]:
    """The listings report's quantity of merchant-fulfilled SKUs (FBA rows are skipped: their
    stock comes from the inventory summaries)."""

    def convert(row: Mapping[str, str]) -> StockRow | None:
        channel = text(row, "fulfillment-channel").upper()
        if channel.startswith("AMAZON") or channel == "AFN":
            return None
        quantity = integer(row, "quantity", default=0)
        return StockRow(
            marketplace_id,
            required_text(row, "seller-sku", limit=64),
            "MFN",
            "",
            text(row, "asin1", limit=16),
            quantity,
            0,
            0,
            0,
            0,
            0,
            0,
            quantity,
        )

    return convert


MYI_REQUIRED = (
    "sku",
    "afn-fulfillable-quantity",
    "afn-reserved-quantity",
    "afn-unsellable-quantity",
)


def myi_converter(marketplace_id: str) -> Callable[[Mapping[str, str]], StockRow | None]:
    """The FBA buckets of the MYI report (GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA), where the
    inventory summaries API does not serve the marketplace. Its ``afn-total-quantity`` leaves
    out the units being researched, which the summaries' ``totalQuantity`` counts: they are
    added back so both sources give the same total. Rows without an FBA listing are skipped."""

    def convert(row: Mapping[str, str]) -> StockRow | None:
        if text(row, "afn-listing-exists").lower() == "no":
            return None
        fulfillable = integer(row, "afn-fulfillable-quantity", default=0)
        reserved = integer(row, "afn-reserved-quantity", default=0)
        unfulfillable = integer(row, "afn-unsellable-quantity", default=0)
        working = integer(row, "afn-inbound-working-quantity", default=0)
        shipped = integer(row, "afn-inbound-shipped-quantity", default=0)
        receiving = integer(row, "afn-inbound-receiving-quantity", default=0)
        researching = integer(row, "afn-researching-quantity", default=0)
        total = integer(
            row,
            "afn-total-quantity",
            default=fulfillable + reserved + unfulfillable + working + shipped + receiving,
        )
        return StockRow(
            marketplace_id,
            required_text(row, "sku", limit=64),
            "AFN",
            text(row, "fnsku", limit=16),
            text(row, "asin", limit=16),
            fulfillable,
            working,
            shipped,
            receiving,
            reserved,
            unfulfillable,
            researching,
            total + researching,
        )

    return convert


RESTOCK_REQUIRED = ("Merchant SKU", "Recommended replenishment qty")


def _first(row: Mapping[str, str], *names: str) -> str:
    for name in names:
        if name in row:
            return name
    return names[0]


def restock_converter(marketplace_id: str) -> Callable[[Mapping[str, str]], RestockRow]:
    def convert(row: Mapping[str, str]) -> RestockRow:
        return RestockRow(
            marketplace_id,
            required_text(row, "Merchant SKU", limit=64),
            optional_integer(row, "Recommended replenishment qty"),
            optional_date(row, "Recommended ship date"),
            text(row, "Recommended action", limit=100),
            text(row, "Alert", limit=40),
            optional_integer(
                row,
                _first(
                    row,
                    "Total Days of Supply (including units from open shipments)",
                    "Total Days of Supply",
                ),
            ),
            optional_integer(row, "Days of Supply at Amazon Fulfillment Network"),
            optional_integer(row, "Units Sold Last 30 Days"),
        )

    return convert


PLANNING_REQUIRED = ("sku",)


def planning_converter(marketplace_id: str) -> Callable[[Mapping[str, str]], PlanningRow]:
    def convert(row: Mapping[str, str]) -> PlanningRow:
        return PlanningRow(
            marketplace_id,
            required_text(row, "sku", limit=64),
            optional_date(row, "snapshot-date"),
            optional_integer(row, "days-of-supply"),
            optional_integer(row, "estimated-excess-quantity"),
            optional_integer(row, "healthy-inventory-level"),
            optional_integer(row, "inv-age-0-to-90-days"),
            optional_integer(row, "inv-age-91-to-180-days"),
            optional_integer(row, "inv-age-181-to-270-days"),
            optional_integer(row, "inv-age-271-to-365-days"),
            optional_integer(row, "inv-age-365-plus-days"),
            optional_integer(row, "units-shipped-t30"),
            text(row, "alert", limit=40),
            text(row, "recommended-action", limit=100),
        )

    return convert
