"""Money: Finances 2024-06-19 transactions, and the V2 settlement flat file.

A transaction is staged as one row per leaf of its breakdown tree (Sales / ProductCharges /
Principal, Expenses / AmazonFees / FBAPerUnitFulfillmentFee, …) carrying the transaction's own
fields too, so one staging table feeds both the transaction and its charges. Amounts are read
from their decimal text: Amazon sends them as JSON numbers, which must never pass through a float.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ams.sync import ingest
from ams.sync.parsers.flatfile import (
    RowError,
    money,
    optional_integer,
    optional_timestamp,
    parse_timestamp,
    required_text,
    text,
)

CENT = Decimal("0.01")

TRANSACTION_COLUMNS = (
    ingest.Column("transaction_id", "text"),
    ingest.Column("transaction_type", "text"),
    ingest.Column("status", "text"),
    ingest.Column("description", "text"),
    ingest.Column("posted_at", "timestamptz"),
    ingest.Column("marketplace_id", "text"),
    ingest.Column("currency", "text"),
    ingest.Column("total_amount", "numeric(18,2)"),
    ingest.Column("order_id", "text"),
    ingest.Column("event_group_id", "text"),
    ingest.Column("settlement_id", "text"),
    ingest.Column("position", "integer"),
    ingest.Column("sku", "text"),
    ingest.Column("category", "text"),
    ingest.Column("kind", "text"),
    ingest.Column("charge_description", "text"),
    ingest.Column("amount", "numeric(18,2)"),
)
TRANSACTIONS = ingest.Target(
    table="finance_transaction",
    columns=(
        "transaction_id", "transaction_type", "status", "description", "posted_at", "marketplace_id",
        "currency", "total_amount", "order_id", "event_group_id", "settlement_id",
    ),
    key=("transaction_id",),
)
CHARGES = ingest.Target(
    table="finance_charge",
    columns=("transaction_id", "position", "posted_at", "sku", "category", "kind", "description", "amount", "currency"),
    key=("transaction_id", "position"),
    expressions={"description": "s.charge_description"},
    where="s.position >= 0",
)


def _decimal(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RowError(f"not an amount: {str(value)[:30]!r}") from None
    if not amount.is_finite():
        raise RowError(f"not an amount: {str(value)[:30]!r}")
    return amount.quantize(CENT)


def _money(value: Any) -> tuple[Decimal, str]:
    if not isinstance(value, dict):
        raise RowError("an amount without currency")
    return _decimal(value.get("currencyAmount")), str(value.get("currencyCode") or "")[:3]


def _leaves(breakdowns: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for breakdown in breakdowns or []:
        if not isinstance(breakdown, dict):
            continue
        here = (*path, str(breakdown.get("breakdownType") or ""))
        children = breakdown.get("breakdowns")
        if children:
            yield from _leaves(children, here)
        else:
            yield here, breakdown.get("breakdownAmount")


def _related(identifiers: Any, name: str) -> str:
    for identifier in identifiers or []:
        if isinstance(identifier, dict) and identifier.get("relatedIdentifierName") == name:
            return str(identifier.get("relatedIdentifierValue") or "")[:80]
    return ""


def _item_sku(item: Mapping[str, Any]) -> str:
    for context in item.get("contexts") or []:
        if isinstance(context, dict) and context.get("sku"):
            return str(context["sku"])
    return ""


def _charges(
    transaction_id: str, transaction: Mapping[str, Any], currency: str
) -> Iterator[tuple[str, tuple[str, ...], Decimal]]:
    """(SKU, breakdown path, amount) of each charge: the items' breakdowns first, each under its
    item's SKU, then whatever of the transaction's own breakdown the items do not account for
    (service fees, or amounts Amazon gives only at the top), without a SKU. So the charges add
    up to the transaction's breakdown exactly, and fees split by SKU wherever Amazon says which."""
    remainder: dict[tuple[str, ...], Decimal] = {}
    for path, amount in _leaves(transaction.get("breakdowns")):
        value, charge_currency = _money(amount)
        if charge_currency and charge_currency != currency:
            raise RowError(f"transaction {transaction_id}: charges in {charge_currency}, total in {currency}")
        remainder[path] = remainder.get(path, Decimal(0)) + value
    for item in transaction.get("items") or []:
        if not isinstance(item, dict):
            continue
        sku = _item_sku(item)
        for path, amount in _leaves(item.get("breakdowns")):
            value, charge_currency = _money(amount)
            if charge_currency and charge_currency != currency:
                raise RowError(f"transaction {transaction_id}: charges in {charge_currency}, total in {currency}")
            if path in remainder:
                remainder[path] -= value
            yield sku, path, value
    for path, value in remainder.items():
        if value:
            yield "", path, value


def transaction_rows(transaction: Mapping[str, Any]) -> list[tuple[object, ...]]:
    transaction_id = str(transaction.get("transactionId") or "")[:80]
    if not transaction_id:
        raise RowError("a transaction without transactionId")
    posted = parse_timestamp(str(transaction.get("postedDate") or ""))
    if posted is None:
        raise RowError(f"transaction {transaction_id}: no postedDate")
    total, currency = _money(transaction.get("totalAmount"))
    related = transaction.get("relatedIdentifiers")
    marketplace_id = str(
        (transaction.get("marketplaceDetails") or {}).get("marketplaceId")
        or (transaction.get("sellingPartnerMetadata") or {}).get("marketplaceId")
        or ""
    )[:20]
    head = (
        transaction_id,
        str(transaction.get("transactionType") or "")[:60],
        str(transaction.get("transactionStatus") or "")[:24],
        str(transaction.get("description") or "")[:200],
        posted,
        marketplace_id,
        currency,
        total,
        _related(related, "ORDER_ID")[:40],
        _related(related, "FINANCIAL_EVENT_GROUP_ID"),
        _related(related, "SETTLEMENT_ID")[:40],
    )
    rows: list[tuple[object, ...]] = []
    for sku, path, value in _charges(transaction_id, transaction, currency):
        category = path[0] if path else ""
        kind = path[-2] if len(path) >= 2 else category
        rows.append((*head, len(rows), sku[:64], category[:40], kind[:60], path[-1][:120], value))
    if not rows:
        rows.append((*head, -1, "", "", "", "", Decimal(0)))
    return rows


# --- the V2 settlement flat file -------------------------------------------------------------------

SETTLEMENT_REPORT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
SETTLEMENT_REQUIRED = ("settlement-id", "total-amount", "currency", "amount-type", "amount-description", "amount")

SETTLEMENT_COLUMNS = (
    ingest.Column("settlement_id", "text"),
    ingest.Column("line_number", "integer"),
    ingest.Column("is_summary", "boolean"),
    ingest.Column("report_id", "text"),
    ingest.Column("starts_at", "timestamptz"),
    ingest.Column("ends_at", "timestamptz"),
    ingest.Column("deposit_at", "timestamptz"),
    ingest.Column("total_amount", "numeric(18,2)"),
    ingest.Column("currency", "text"),
    ingest.Column("transaction_type", "text"),
    ingest.Column("order_id", "text"),
    ingest.Column("adjustment_id", "text"),
    ingest.Column("shipment_id", "text"),
    ingest.Column("marketplace_name", "text"),
    ingest.Column("amount_type", "text"),
    ingest.Column("amount_description", "text"),
    ingest.Column("amount", "numeric(18,2)"),
    ingest.Column("fulfillment_id", "text"),
    ingest.Column("posted_at", "timestamptz"),
    ingest.Column("order_item_code", "text"),
    ingest.Column("sku", "text"),
    ingest.Column("quantity", "integer"),
    ingest.Column("promotion_id", "text"),
)
SETTLEMENTS = ingest.Target(
    table="finance_settlement",
    columns=("settlement_id", "report_id", "starts_at", "ends_at", "deposit_at", "currency", "total_amount"),
    key=("settlement_id",),
    where="s.is_summary",
)
SETTLEMENT_LINES = ingest.Target(
    table="finance_settlementline",
    columns=(
        "settlement_id", "line_number", "transaction_type", "order_id", "adjustment_id", "shipment_id",
        "marketplace_name", "amount_type", "amount_description", "amount", "currency", "fulfillment_id",
        "posted_at", "order_item_code", "sku", "quantity", "promotion_id",
    ),
    key=("settlement_id", "line_number"),
    where="NOT s.is_summary",
)


class SettlementRows:
    """Converts the rows of one settlement document; the line number is the row's position
    among the amount rows, stable because Amazon never rewrites a settlement report."""

    def __init__(self, report_id: str) -> None:
        self.report_id = report_id[:80]
        self.position = 0

    def __call__(self, row: Mapping[str, str]) -> tuple[object, ...]:
        settlement_id = required_text(row, "settlement-id", limit=40)
        total = money(row, "total-amount")
        currency = text(row, "currency", limit=3)
        if total is not None and not text(row, "amount-type"):
            # The summary row comes first: a re-read of the document starts counting again.
            self.position = 0
            return (
                settlement_id, 0, True, self.report_id,
                optional_timestamp(row, "settlement-start-date"),
                optional_timestamp(row, "settlement-end-date"),
                optional_timestamp(row, "deposit-date"),
                total, currency,
                "", "", "", "", "", "", "", None, "", None, "", "", None, "",
            )
        amount = money(row, "amount")
        if amount is None:
            raise RowError("'amount' is empty")
        self.position += 1
        posted = optional_timestamp(row, "posted-date-time") if row.get("posted-date-time", "").strip() else optional_timestamp(row, "posted-date")
        return (
            settlement_id, self.position, False, self.report_id, None, None, None, None, currency,
            text(row, "transaction-type", limit=80),
            text(row, "order-id", limit=40),
            text(row, "adjustment-id", limit=40),
            text(row, "shipment-id", limit=40),
            text(row, "marketplace-name", limit=60),
            text(row, "amount-type", limit=80),
            text(row, "amount-description", limit=120),
            amount,
            text(row, "fulfillment-id", limit=8),
            posted,
            text(row, "order-item-code", limit=40),
            text(row, "sku", limit=64),
            optional_integer(row, "quantity-purchased"),
            text(row, "promotion-id", limit=80),
        )
