"""Money: Finances 2024-06-19 transactions, and the V2 settlement flat file, as the finance
app's rows (ams/finance/writers.py).

A transaction is one row per leaf of its breakdown tree (Sales / ProductCharges / Principal,
Expenses / AmazonFees / FBAPerUnitFulfillmentFee, …) carrying the transaction's own fields too
(a ``ChargeRow``). Amounts are read from their decimal text: Amazon sends them as JSON numbers,
which must never pass through a float.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ams.finance.writers import ChargeRow, ReimbursementRow, SettlementRow
from ams.sync.parsers.flatfile import (
    RowError,
    integer,
    money,
    optional_integer,
    optional_timestamp,
    parse_timestamp,
    required_text,
    text,
)

CENT = Decimal("0.01")


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
            raise RowError(
                f"transaction {transaction_id}: charges in {charge_currency}, total in {currency}"
            )
        remainder[path] = remainder.get(path, Decimal(0)) + value
    for item in transaction.get("items") or []:
        if not isinstance(item, dict):
            continue
        sku = _item_sku(item)
        for path, amount in _leaves(item.get("breakdowns")):
            value, charge_currency = _money(amount)
            if charge_currency and charge_currency != currency:
                raise RowError(
                    f"transaction {transaction_id}: charges in {charge_currency}, total in {currency}"
                )
            if path in remainder:
                remainder[path] -= value
            yield sku, path, value
    for path, value in remainder.items():
        if value:
            yield "", path, value


def transaction_rows(transaction: Mapping[str, Any]) -> list[ChargeRow]:
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
    # The transaction as a row without a charge: what a transaction without charges stages.
    bare = ChargeRow(
        transaction_id=transaction_id,
        transaction_type=str(transaction.get("transactionType") or "")[:60],
        status=str(transaction.get("transactionStatus") or "")[:24],
        description=str(transaction.get("description") or "")[:200],
        posted_at=posted,
        marketplace_id=marketplace_id,
        currency=currency,
        total_amount=total,
        order_id=_related(related, "ORDER_ID")[:40],
        event_group_id=_related(related, "FINANCIAL_EVENT_GROUP_ID"),
        settlement_id=_related(related, "SETTLEMENT_ID")[:40],
        position=-1,
        sku="",
        category="",
        kind="",
        charge_description="",
        amount=Decimal(0),
    )
    rows: list[ChargeRow] = []
    for sku, path, value in _charges(transaction_id, transaction, currency):
        category = path[0] if path else ""
        kind = path[-2] if len(path) >= 2 else category
        rows.append(
            bare._replace(
                position=len(rows),
                sku=sku[:64],
                category=category[:40],
                kind=kind[:60],
                charge_description=path[-1][:120],
                amount=value,
            )
        )
    return rows or [bare]


# --- the settlement flat files --------------------------------------------------------------------

SETTLEMENT_REPORT = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
# Raise it with any change that lets the settlement reader read a document it refused before:
# the settlement reports kept pending under an older version are then read again by themselves
# (ams/sync/pending.py).
SETTLEMENT_PARSER_VERSION = 1
SETTLEMENT_REQUIRED = (
    "settlement-id",
    "total-amount",
    "currency",
    "amount-type",
    "amount-description",
    "amount",
)
# The old layout (V1, Amazon's GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE, as Seller Central has
# offered it for years): one amount column per family, with the cell naming the amount's type
# beside it. Each becomes one line with the V2 file's amount-type and amount-description, so a
# settlement reads the same whichever layout brought it. Columns: (amount, its type or None,
# the V2 amount-type); an amount without a type cell is described by the transaction type.
V1_AMOUNTS = (
    ("price-amount", "price-type", "ItemPrice"),
    ("item-related-fee-amount", "item-related-fee-type", "ItemFees"),
    ("promotion-amount", "promotion-type", "Promotion"),
    ("shipment-fee-amount", "shipment-fee-type", "ShipmentFees"),
    ("order-fee-amount", "order-fee-type", "OrderFees"),
    ("direct-payment-amount", "direct-payment-type", "DirectPayment"),
    ("other-fee-amount", "other-fee-reason-description", "OtherFees"),
    ("misc-fee-amount", None, "MiscFees"),
    ("other-amount", None, "other-transaction"),
)
SETTLEMENT_COMMON = ("settlement-id", "total-amount")
V2_COLUMNS = ("amount-type", "amount-description", "amount")


def settlement_layout(header: Sequence[str]) -> str | None:
    """The layout of a settlement report's header ("v2" or "v1"), or None for another header."""
    if not all(name in header for name in SETTLEMENT_COMMON):
        return None
    if all(name in header for name in V2_COLUMNS):
        return "v2"
    if any(amount in header for amount, _kind, _type in V1_AMOUNTS):
        return "v1"
    return None


class SettlementRows:
    """Converts the rows of one settlement document, V2 or V1; a line's number is its position
    among the document's amounts, stable because Amazon never rewrites a settlement report.

    The summary row comes first and gives the settlement's currency to lines that leave theirs
    empty (V1 writes it only there; V2 files opened and saved again may lose it)."""

    def __init__(self, report_id: str) -> None:
        self.report_id = report_id[:80]
        self.position = 0
        self.currency = ""

    def __call__(self, row: Mapping[str, str]) -> SettlementRow | None:
        """One V2 row (a summary or one amount), as the sync reads them."""
        rows = self.rows(row)
        if len(rows) > 1:
            raise RowError("several amounts on one row of a V2 settlement report")
        return rows[0] if rows else None

    def rows(self, row: Mapping[str, str]) -> list[SettlementRow]:
        """The summary, or the amounts of one row: one for V2, one per filled amount column
        for V1; none for a V1 row without an amount."""
        settlement_id = required_text(row, "settlement-id", limit=40)
        total = money(row, "total-amount")
        currency = text(row, "currency", limit=3)
        is_v2 = "amount-type" in row
        if total is not None and not (text(row, "amount-type") if is_v2 else _v1_amounts(row)):
            # The summary row comes first: a re-read of the document starts counting again.
            self.position = 0
            self.currency = currency
            return [
                SettlementRow(
                    settlement_id=settlement_id,
                    line_number=0,
                    is_summary=True,
                    report_id=self.report_id,
                    starts_at=optional_timestamp(row, "settlement-start-date"),
                    ends_at=optional_timestamp(row, "settlement-end-date"),
                    deposit_at=optional_timestamp(row, "deposit-date"),
                    total_amount=total,
                    currency=currency,
                    transaction_type="",
                    order_id="",
                    adjustment_id="",
                    shipment_id="",
                    marketplace_name="",
                    amount_type="",
                    amount_description="",
                    amount=None,
                    fulfillment_id="",
                    posted_at=None,
                    order_item_code="",
                    sku="",
                    quantity=None,
                    promotion_id="",
                )
            ]
        if is_v2:
            amount = money(row, "amount")
            if amount is None:
                raise RowError("'amount' is empty")
            amounts = [
                (text(row, "amount-type", limit=80), text(row, "amount-description"), amount)
            ]
        else:
            # An amount without a type of its own (other-amount) is what the transaction is.
            kind = text(row, "transaction-type")
            amounts = [(t, d or kind, a) for t, d, a in _v1_amounts(row)]
        posted = (
            optional_timestamp(row, "posted-date-time")
            if row.get("posted-date-time", "").strip()
            else optional_timestamp(row, "posted-date")
        )
        line = SettlementRow(
            settlement_id=settlement_id,
            line_number=0,
            is_summary=False,
            report_id=self.report_id,
            starts_at=None,
            ends_at=None,
            deposit_at=None,
            total_amount=None,
            currency=currency or self.currency,
            transaction_type=text(row, "transaction-type", limit=80),
            order_id=text(row, "order-id", limit=40),
            adjustment_id=text(row, "adjustment-id", limit=40),
            shipment_id=text(row, "shipment-id", limit=40),
            marketplace_name=text(row, "marketplace-name", limit=60),
            amount_type="",
            amount_description="",
            amount=None,
            fulfillment_id=text(row, "fulfillment-id", limit=8),
            posted_at=posted,
            order_item_code=text(row, "order-item-code", limit=40),
            sku=text(row, "sku", limit=64),
            quantity=optional_integer(row, "quantity-purchased"),
            promotion_id=text(row, "promotion-id", limit=80),
        )
        rows = []
        for amount_type, description, amount in amounts:
            self.position += 1
            rows.append(
                line._replace(
                    line_number=self.position,
                    amount_type=amount_type[:80],
                    amount_description=description[:120],
                    amount=amount,
                )
            )
        return rows


def _v1_amounts(row: Mapping[str, str]) -> list[tuple[str, str, Decimal]]:
    """The filled amount columns of a V1 row: (V2 amount-type, description, amount)."""
    found = []
    for column, kind, amount_type in V1_AMOUNTS:
        amount = money(row, column)
        if amount is not None:
            found.append((amount_type, text(row, kind) if kind else "", amount))
    return found


# --- the FBA reimbursements report -------------------------------------------------------------

REIMBURSEMENTS_REPORT = "GET_FBA_REIMBURSEMENTS_DATA"
REIMBURSEMENTS_REQUIRED = (
    "approval-date",
    "reimbursement-id",
    "reason",
    "quantity-reimbursed-total",
)


def reimbursement_converter(marketplace_id: str) -> Callable[[Mapping[str, str]], ReimbursementRow]:
    def convert(row: Mapping[str, str]) -> ReimbursementRow:
        approved = optional_timestamp(row, "approval-date")
        if approved is None:
            raise RowError("'approval-date' is empty")
        return ReimbursementRow(
            marketplace_id=marketplace_id,
            approved_at=approved,
            reimbursement_id=required_text(row, "reimbursement-id", limit=40),
            case_id=text(row, "case-id", limit=40),
            order_id=text(row, "amazon-order-id", limit=40),
            reason=required_text(row, "reason", limit=60),
            sku=text(row, "sku", limit=64),
            fnsku=text(row, "fnsku", limit=16),
            asin=text(row, "asin", limit=16),
            condition=text(row, "condition", limit=40),
            currency=text(row, "currency-unit", limit=3),
            amount_per_unit=money(row, "amount-per-unit"),
            amount_total=money(row, "amount-total"),
            quantity_cash=integer(row, "quantity-reimbursed-cash", default=0),
            quantity_inventory=integer(row, "quantity-reimbursed-inventory", default=0),
            quantity_total=integer(row, "quantity-reimbursed-total"),
            original_reimbursement_id=text(row, "original-reimbursement-id", limit=40),
            original_reimbursement_type=text(row, "original-reimbursement-type", limit=60),
        )

    return convert
