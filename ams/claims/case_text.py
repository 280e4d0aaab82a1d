"""The text a seller pastes into Seller Central's case form: plain, factual, with the ids
Amazon asks for (FNSKU, order id, dates, quantities), built from the case's own evidence."""

from __future__ import annotations

from typing import Any

from ams.claims.models import Claim, ClaimKind
from ams.core.marketplaces import label

LEDGER_REASONS = {"M": "misplaced (lost)", "E": "damaged in the fulfilment centre", "F": "found"}


def _fields(claim: Claim, source_prefix: str) -> list[dict[str, Any]]:
    return [
        dict(e.get("fields") or [])
        for e in claim.evidence
        if str(e.get("source", "")).startswith(source_prefix)
    ]


def case_text(claim: Claim) -> str:
    where = f"{label(claim.marketplace_id)} marketplace ({claim.marketplace_id})"
    if claim.kind in (ClaimKind.WAREHOUSE_LOST, ClaimKind.WAREHOUSE_DAMAGED):
        what = "lost" if claim.kind == ClaimKind.WAREHOUSE_LOST else "damaged"
        lines = [
            f"Reimbursement request: FBA units {what} in a fulfilment centre, {where}.",
            "",
            f"FNSKU: {claim.fnsku}",
            f"SKU: {claim.sku}",
        ]
        for row in _fields(claim, "Inventory ledger"):
            reason = str(row.get("Reason", ""))
            lines.append(
                f"Inventory ledger adjustment: reference ID {row.get('ReferenceID', '')}, "
                f"date {str(row.get('Date', ''))[:10]}, reason {reason} "
                f"({LEDGER_REASONS.get(reason, 'adjustment')}), quantity {row.get('Quantity', '')}, "
                f"fulfilment centre {row.get('FulfillmentCenter', '')}, "
                f"disposition {row.get('Disposition', '')}."
            )
        lines += [
            f"Units neither found nor reimbursed: {claim.quantity}.",
            "",
            f"Please reimburse these {claim.quantity} unit(s) under the FBA inventory "
            "reimbursement policy (fulfilment centre operations claim).",
        ]
        return "\n".join(lines)
    if claim.kind == ClaimKind.FEE_TIER_CHANGE:
        return _fee_text(claim, where)
    orders = _fields(claim, "Order")
    refunds = _fields(claim, "Refund")
    order = orders[0] if orders else {}
    refund = refunds[0] if refunds else {}
    lines = [
        f"Order ID: {claim.order_id}",
        f"SKU: {claim.sku}" + (f", FNSKU: {claim.fnsku}" if claim.fnsku else ""),
        f"Units ordered: {order.get('quantity', '')}, "
        f"purchased on {str(order.get('purchase-date', ''))[:10]}.",
        f"Refund date: {str(refund.get('refund-date', ''))[:10]}; "
        f"refund transactions: {refund.get('transaction-ids', '')}.",
    ]
    if claim.kind == ClaimKind.RETURN_NOT_RECEIVED:
        returns = _fields(claim, "FBA customer returns")
        received = returns[0].get("units-returned", 0) if returns else 0
        head = [
            f"Reimbursement request: FBA customer refund without a return, {where}.",
            "",
        ]
        tail = [
            f"Product price refunded: {refund.get('refunded-principal', '')} {claim.currency}.",
            f"Units received back at a fulfilment centre (FBA customer returns report): {received}.",
            f"Units refunded and not returned: {claim.quantity}. No reimbursement for this "
            "order appears in the reimbursements report.",
            "",
            "Please charge the customer or reimburse these units under the FBA customer "
            "returns reimbursement policy.",
        ]
        return "\n".join(head + lines + tail)
    head = [f"Reimbursement request: FBA refund larger than the amount paid, {where}.", ""]
    tail = [
        f"Amount the customer paid for this item: {order.get('paid', '')} {claim.currency} "
        f"(item price {order.get('item-price', '')}, shipping {order.get('shipping-price', '')}, "
        f"tax {order.get('tax', '')}, promotions -{order.get('promotion-discount', '')}).",
        f"Amount refunded: {refund.get('refunded-total', '')} {claim.currency}.",
        f"Refunded above the amount paid: {claim.estimate} {claim.currency}.",
        "",
        "Please reimburse the amount refunded above what the customer paid.",
    ]
    return "\n".join(head + lines + tail)


def _fee_text(claim: Claim, where: str) -> str:
    fees = _fields(claim, "FBA fulfilment fee")
    before, after = [*fees, {}, {}][:2]
    return "\n".join(
        [
            f"Reimbursement request: FBA fulfilment fee charged above the product's size tier, {where}.",
            "",
            f"SKU: {claim.sku}" + (f", FNSKU: {claim.fnsku}" if claim.fnsku else ""),
            f"Fee per unit before: {before.get('fee-per-unit', '')} {claim.currency} "
            f"(last on order {before.get('order-id', '')}, "
            f"{str(before.get('posted-date', ''))[:10]}).",
            f"Fee per unit since {str(after.get('posted-date', ''))[:10]}: "
            f"{after.get('fee-per-unit', '')} {claim.currency} "
            f"(first on order {after.get('order-id', '')}).",
            "The product's weight and dimensions have not changed; photos of its measurements "
            "are attached.",
            f"Units charged the higher fee in the last 90 days: {claim.quantity}; "
            f"overcharge: {claim.estimate} {claim.currency}.",
            "",
            "Please re-measure the item and refund the difference under the FBA fees "
            "reimbursement policy (weight and dimensions).",
        ]
    )
