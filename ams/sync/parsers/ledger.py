"""The FBA inventory ledger's adjustments and the FBA customer returns report, as the inventory
app's rows (ams/inventory/writers.py): the evidence of the reimbursement claims (ams.claims)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ams.inventory.writers import AdjustmentRow, ReturnRow
from ams.sync.parsers.flatfile import (
    RowError,
    integer,
    optional_date,
    optional_integer,
    parse_timestamp,
    required_text,
    text,
)

LEDGER_REPORT = "GET_LEDGER_DETAIL_VIEW_DATA"
LEDGER_REQUIRED = ("Date", "FNSKU", "EventType", "Quantity", "Reason")
RETURNS_REPORT = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
RETURNS_REQUIRED = ("return-date", "order-id", "sku", "quantity")


def moment(row: Mapping[str, str], name: str) -> datetime:
    """An instant, or a calendar date (``MM/DD/YYYY`` as Seller Central writes the ledger's
    Date) taken as its UTC midnight."""
    raw = row.get(name, "").strip()
    if not raw:
        raise RowError(f"'{name}' is empty")
    stamp = parse_timestamp(raw)
    if stamp is not None:
        return stamp
    day = optional_date(row, name)
    assert day is not None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def adjustment_converter(
    marketplace_id: str,
) -> Callable[[Mapping[str, str]], AdjustmentRow | None]:
    """The ledger's ``Adjustments`` rows; its other event types are skipped."""

    def convert(row: Mapping[str, str]) -> AdjustmentRow | None:
        if text(row, "EventType").lower() != "adjustments":
            return None
        return AdjustmentRow(
            marketplace_id,
            moment(row, "Date"),
            required_text(row, "FNSKU", limit=16),
            text(row, "ASIN", limit=16),
            text(row, "MSKU", limit=64),
            text(row, "ReferenceID", limit=40),
            integer(row, "Quantity"),
            text(row, "FulfillmentCenter", limit=10),
            text(row, "Disposition", limit=40),
            text(row, "Reason", limit=10),
            text(row, "Country", limit=2),
            optional_integer(row, "ReconciledQuantity"),
            optional_integer(row, "UnreconciledQuantity"),
        )

    return convert


def return_converter(marketplace_id: str) -> Callable[[Mapping[str, str]], ReturnRow]:
    """A return; the customer's comments are left out (the buyer's own words)."""

    def convert(row: Mapping[str, str]) -> ReturnRow:
        return ReturnRow(
            marketplace_id,
            moment(row, "return-date"),
            required_text(row, "order-id", limit=40),
            required_text(row, "sku", limit=64),
            text(row, "asin", limit=16),
            text(row, "fnsku", limit=16),
            integer(row, "quantity"),
            text(row, "fulfillment-center-id", limit=10),
            text(row, "detailed-disposition", limit=40),
            text(row, "reason", limit=60),
            text(row, "status", limit=60),
            text(row, "license-plate-number", limit=40),
        )

    return convert
