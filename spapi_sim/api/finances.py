"""Finances API v0 (event groups and events) and Finances 2024-06-19 (transactions).

Both render the same financial events the V2 settlement flat file is built from, so a group's
events, its transactions and its settlement report add up to the same total.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spapi_sim import ids
from spapi_sim.api.common import (
    currency_amount,
    decode_token,
    encode_token,
    int_arg,
    invalid,
    iso_seconds,
    not_found,
    parse_time,
)
from spapi_sim.http import Response, Router, json_response
from spapi_sim.money import ZERO
from spapi_sim.state import Context
from spapi_sim.world.finances import (
    ITEM_FEES,
    ITEM_PRICE,
    ITEM_WITHHELD_TAX,
    OTHER,
    PROMOTION,
    REIMBURSEMENT,
    Charge,
    FinanceEvent,
    SettlementPeriod,
    summarize,
)
from spapi_sim.world.history import DAY

_CHARGE_TYPES = {
    "Principal": "Principal",
    "Tax": "Tax",
    "Shipping": "ShippingCharge",
    "ShippingTax": "ShippingTax",
}
_SERVICE_FEE_TYPES = {"Subscription Fee": "Subscription", "Storage Fee": "FBAStorageFee"}
# Amazon refuses PostedBefore later than two minutes before the request.
POSTED_LATENCY = 120


def register(router: Router) -> None:
    router.add(
        "GET",
        "/finances/v0/financialEventGroups",
        list_groups,
        operation="listFinancialEventGroups",
    )
    router.add(
        "GET",
        "/finances/v0/financialEventGroups/{eventGroupId}/financialEvents",
        list_events_by_group,
        operation="listFinancialEventsByGroupId",
    )
    router.add(
        "GET",
        "/finances/v0/orders/{orderId}/financialEvents",
        list_events_by_order,
        operation="listFinancialEventsByOrderId",
    )
    router.add("GET", "/finances/v0/financialEvents", list_events, operation="listFinancialEvents")
    router.add(
        "GET", "/finances/2024-06-19/transactions", list_transactions, operation="listTransactions"
    )


# -- rendering v0 ----------------------------------------------------------------------------


def _charges(charges: tuple[Charge, ...], currency: str, adjustment: bool) -> dict[str, Any]:
    suffix = "AdjustmentList" if adjustment else "List"
    result: dict[str, Any] = {}
    item_charges = [
        {
            "ChargeType": _CHARGE_TYPES.get(c.description, c.description),
            "ChargeAmount": currency_amount(c.amount, currency),
        }
        for c in charges
        if c.amount_type == ITEM_PRICE
    ]
    fees = [
        {"FeeType": c.description, "FeeAmount": currency_amount(c.amount, currency)}
        for c in charges
        if c.amount_type == ITEM_FEES
    ]
    withheld = [
        {"ChargeType": c.description, "ChargeAmount": currency_amount(c.amount, currency)}
        for c in charges
        if c.amount_type == ITEM_WITHHELD_TAX
    ]
    promotions = [c for c in charges if c.amount_type == PROMOTION]
    result[f"ItemCharge{suffix}"] = item_charges
    result[f"ItemFee{suffix}"] = fees
    if withheld:
        result["ItemTaxWithheldList"] = [
            {"TaxCollectionModel": "MarketplaceFacilitator", "TaxesWithheld": withheld}
        ]
    if promotions:
        result[f"Promotion{suffix}"] = promotions
    return result


def _shipment_event(ctx: Context, event: FinanceEvent) -> dict[str, Any]:
    refund = event.kind == "Refund"
    currency = event.marketplace.currency
    items = []
    for item in event.items:
        entry: dict[str, Any] = {
            "SellerSKU": item.sku,
            "OrderItemId": item.order_item_id,
            "QuantityShipped": item.quantity,
        }
        if refund:
            entry["OrderAdjustmentItemId"] = item.adjustment_item_id
        rendered = _charges(item.charges, currency, refund)
        for key, value in rendered.items():
            if key.startswith("Promotion"):
                value = [
                    {
                        "PromotionType": "PromotionMetaDataDefinitionValue",
                        "PromotionId": item.promotion_id,
                        "PromotionAmount": currency_amount(c.amount, currency),
                    }
                    for c in value
                ]
            entry[key] = value
        items.append(entry)
    return {
        "AmazonOrderId": event.order_id,
        "SellerOrderId": event.order_id,
        "MarketplaceName": event.marketplace.name,
        "PostedDate": iso_seconds(ctx, event.posted),
        "ShipmentItemAdjustmentList" if refund else "ShipmentItemList": items,
    }


def _service_fee_event(event: FinanceEvent) -> dict[str, Any]:
    currency = event.marketplace.currency
    return {
        "FeeReason": event.reason,
        "FeeList": [
            {
                "FeeType": _SERVICE_FEE_TYPES.get(c.description, c.description),
                "FeeAmount": currency_amount(c.amount, currency),
            }
            for c in event.charges
        ],
        "FeeDescription": event.reason,
    }


def _adjustment_event(ctx: Context, event: FinanceEvent) -> dict[str, Any]:
    currency = event.marketplace.currency
    items = []
    for item in event.items:
        total = sum((c.amount for c in item.charges), ZERO)
        product = ctx.seller.by_sku[item.sku]
        items.append(
            {
                "Quantity": str(item.quantity),
                "PerUnitAmount": currency_amount(total / item.quantity, currency),
                "TotalAmount": currency_amount(total, currency),
                "SellerSKU": item.sku,
                "FnSKU": product.fnsku,
                "ProductDescription": product.title,
                "ASIN": item.asin,
                "TransactionNumber": event.adjustment_id,
            }
        )
    return {
        "AdjustmentType": event.reason,
        "PostedDate": iso_seconds(ctx, event.posted),
        "AdjustmentAmount": currency_amount(event.total, currency),
        "AdjustmentItemList": items,
    }


def render_events(ctx: Context, events: list[FinanceEvent]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ShipmentEventList": [],
        "RefundEventList": [],
        "GuaranteeClaimEventList": [],
        "ChargebackEventList": [],
        "ServiceFeeEventList": [],
        "AdjustmentEventList": [],
    }
    for event in events:
        if event.kind == "Order":
            result["ShipmentEventList"].append(_shipment_event(ctx, event))
        elif event.kind == "Refund":
            result["RefundEventList"].append(_shipment_event(ctx, event))
        elif event.kind == "ServiceFee":
            result["ServiceFeeEventList"].append(_service_fee_event(event))
        else:
            result["AdjustmentEventList"].append(_adjustment_event(ctx, event))
    return result


# -- paging over events ----------------------------------------------------------------------


def _page(
    ctx: Context, state: dict[str, Any], limit: int
) -> tuple[list[FinanceEvent], dict[str, Any] | None]:
    """Events in [a, b) (optionally one marketplace), resuming at day ``d``, position ``i``."""
    ledger = ctx.seller.ledger
    now = ctx.now
    first, end = int(state["a"]), min(int(state["b"]), now + 1)
    market = state.get("m")
    day = int(state.get("d", max(0, first // DAY)))
    skip = int(state.get("i", 0))
    found: list[FinanceEvent] = []
    last_day = (end - 1) // DAY if end > 0 else -1
    while day <= last_day:
        todays = [
            e
            for e in ledger.events_on_day(day, now)
            if first <= e.posted < end and (market is None or e.marketplace.id == market)
        ]
        room = limit - len(found)
        chunk = todays[skip : skip + room]
        found.extend(chunk)
        if skip + len(chunk) < len(todays):
            return found, {**state, "d": day, "i": skip + len(chunk)}
        day += 1
        skip = 0
        if len(found) >= limit:
            return found, ({**state, "d": day, "i": 0} if day <= last_day else None)
    return found, None


def _group(ctx: Context, group_id: str) -> SettlementPeriod:
    world = ctx.seller
    for period in world.ledger.periods(ctx.now):
        if period.group_id == group_id:
            return period
    raise not_found(f"Financial event group {group_id} not found.")


def _group_json(ctx: Context, period: SettlementPeriod) -> dict[str, Any]:
    now = ctx.now
    summary = summarize(ctx.seller.ledger, period, now)
    closed = period.end <= now
    currency = period.marketplace.currency
    group: dict[str, Any] = {
        "FinancialEventGroupId": period.group_id,
        "ProcessingStatus": "Closed" if closed else "Open",
        "FundTransferStatus": ("Succeeded" if period.deposit <= now else "Processing")
        if closed
        else "Unknown",
        "OriginalTotal": currency_amount(summary.total, currency),
        "ConvertedTotal": currency_amount(summary.total, currency),
        "BeginningBalance": currency_amount(ZERO, currency),
        "FinancialEventGroupStart": iso_seconds(ctx, max(period.start, 0)),
    }
    if closed:
        group["FinancialEventGroupEnd"] = iso_seconds(ctx, period.end)
        group["FundTransferDate"] = iso_seconds(ctx, period.deposit)
        group["TraceId"] = f"{ids.derive(0, period.group_id) % 10**15:015d}"
        group["AccountTail"] = "789"
    return group


def list_groups(ctx: Context) -> Response:
    req = ctx.request
    token = req.arg("NextToken")
    world = ctx.seller
    if token:
        state = decode_token(token, "groups")
    else:
        after = parse_time(
            req.arg("FinancialEventGroupStartedAfter"), "FinancialEventGroupStartedAfter"
        )
        before = parse_time(
            req.arg("FinancialEventGroupStartedBefore"), "FinancialEventGroupStartedBefore"
        )
        state = {
            "k": "groups",
            "a": world.seconds(after) if after else None,
            "b": world.seconds(before) if before else None,
            "n": int_arg(ctx, "MaxResultsPerPage", 100, 1, 100),
            "o": 0,
        }
    periods = [
        p
        for p in world.ledger.periods(ctx.now)
        if (state["a"] is None or p.start >= state["a"])
        and (state["b"] is None or p.start < state["b"])
    ]
    periods.sort(key=lambda p: (-p.start, p.marketplace.id))
    offset, size = int(state["o"]), int(state["n"])
    payload: dict[str, Any] = {
        "FinancialEventGroupList": [_group_json(ctx, p) for p in periods[offset : offset + size]]
    }
    if offset + size < len(periods):
        payload["NextToken"] = encode_token({**state, "o": offset + size})
    return json_response(200, {"payload": payload})


def _events_response(ctx: Context, state: dict[str, Any], kind: str) -> Response:
    events, following = _page(ctx, state, int(state["n"]))
    payload: dict[str, Any] = {"FinancialEvents": render_events(ctx, events)}
    if following is not None:
        payload["NextToken"] = encode_token({**following, "k": kind})
    return json_response(200, {"payload": payload})


def _posted_window(
    ctx: Context, after_name: str, before_name: str, default_after: int | None
) -> tuple[int, int]:
    world = ctx.seller
    now = ctx.now
    after = parse_time(ctx.request.arg(after_name), after_name)
    before = parse_time(ctx.request.arg(before_name), before_name)
    lo = world.seconds(after) if after else default_after
    if lo is None:
        raise invalid(f"{after_name} is required.")
    # Amazon refuses a PostedBefore later than two minutes ago; the simulator clamps it, since
    # its clock may lag the caller's.
    hi = min(now - POSTED_LATENCY, world.seconds(before)) if before else now - POSTED_LATENCY
    if lo >= hi:
        raise invalid(f"{after_name} must be before {before_name}.")
    return lo, hi


def list_events_by_group(ctx: Context) -> Response:
    token = ctx.request.arg("NextToken")
    if token:
        return _events_response(ctx, decode_token(token, "group-events"), "group-events")
    period = _group(ctx, ctx.request.params["eventGroupId"])
    lo, hi = period.start, period.end
    after = parse_time(ctx.request.arg("PostedAfter"), "PostedAfter")
    before = parse_time(ctx.request.arg("PostedBefore"), "PostedBefore")
    if after:
        lo = max(lo, ctx.seller.seconds(after))
    if before:
        hi = min(hi, ctx.seller.seconds(before))
    state = {
        "k": "group-events",
        "a": lo,
        "b": hi,
        "m": period.marketplace.id,
        "n": int_arg(ctx, "MaxResultsPerPage", 100, 1, 100),
    }
    return _events_response(ctx, state, "group-events")


def list_events(ctx: Context) -> Response:
    token = ctx.request.arg("NextToken")
    if token:
        return _events_response(ctx, decode_token(token, "events"), "events")
    # Without PostedAfter Amazon returns the last 48 hours.
    lo, hi = _posted_window(ctx, "PostedAfter", "PostedBefore", ctx.now - POSTED_LATENCY - 2 * DAY)
    state = {
        "k": "events",
        "a": lo,
        "b": hi,
        "m": None,
        "n": int_arg(ctx, "MaxResultsPerPage", 100, 1, 100),
    }
    return _events_response(ctx, state, "events")


def list_events_by_order(ctx: Context) -> Response:
    world = ctx.seller
    index = world.book.order_index(ctx.request.params["orderId"])
    events: list[FinanceEvent] = []
    if index is not None and world.history.o_time[index] <= ctx.now:
        events = world.ledger.events_for_order(world.book.view(index), ctx.now)
    return json_response(200, {"payload": {"FinancialEvents": render_events(ctx, events)}})


# -- 2024-06-19 transactions -----------------------------------------------------------------

_TRANSACTION_TYPES = {
    "Order": "Shipment",
    "Refund": "Refund",
    "ServiceFee": "ServiceFee",
    "Adjustment": "Adjustment",
}


def _money(amount: Any, currency: str) -> dict[str, Any]:
    return {
        "currencyCode": currency,
        "currencyAmount": currency_amount(amount, currency)["CurrencyAmount"],
    }


def _breakdowns(
    charges: Iterator[Charge] | tuple[Charge, ...], currency: str
) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for c in charges:
        if c.amount_type in (ITEM_PRICE, PROMOTION):
            top = "Sales"
        elif c.amount_type == REIMBURSEMENT:
            top = "Reimbursements"
        else:
            top = "Expenses"
        sub = {
            ITEM_PRICE: "ProductCharges",
            PROMOTION: "Promotion",
            ITEM_FEES: "AmazonFees",
            ITEM_WITHHELD_TAX: "Tax",
            OTHER: "AmazonFees",
            REIMBURSEMENT: "Reimbursements",
        }[c.amount_type]
        group = groups.setdefault(top, {"total": ZERO, "subs": {}})
        group["total"] += c.amount
        leaf = group["subs"].setdefault(sub, {})
        leaf[c.description] = leaf.get(c.description, ZERO) + c.amount
    result = []
    for top, group in groups.items():
        subs = []
        for sub, leaves in group["subs"].items():
            subs.append(
                {
                    "breakdownType": sub,
                    "breakdownAmount": _money(sum(leaves.values(), ZERO), currency),
                    "breakdowns": [
                        {"breakdownType": name, "breakdownAmount": _money(amount, currency)}
                        for name, amount in leaves.items()
                    ],
                }
            )
        result.append(
            {
                "breakdownType": top,
                "breakdownAmount": _money(group["total"], currency),
                "breakdowns": subs,
            }
        )
    return result


def transaction_json(ctx: Context, event: FinanceEvent) -> dict[str, Any]:
    m = event.marketplace
    period = ctx.seller.ledger.period_of(m, event.posted)
    related = [
        {
            "relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID",
            "relatedIdentifierValue": period.group_id,
        }
    ]
    if event.order_id:
        related.append(
            {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": event.order_id}
        )
    if event.shipment_id:
        related.append(
            {"relatedIdentifierName": "SHIPMENT_ID", "relatedIdentifierValue": event.shipment_id}
        )
    if period.end <= ctx.now:
        related.append(
            {
                "relatedIdentifierName": "SETTLEMENT_ID",
                "relatedIdentifierValue": period.settlement_id,
            }
        )
    items = []
    for item in event.items:
        item_json: dict[str, Any] = {
            "description": ctx.seller.by_sku[item.sku].title,
            "totalAmount": _money(sum((c.amount for c in item.charges), ZERO), m.currency),
            "breakdowns": _breakdowns(item.charges, m.currency),
            "contexts": [
                {
                    "contextType": "ProductContext",
                    "asin": item.asin,
                    "sku": item.sku,
                    "quantityShipped": item.quantity,
                    "fulfillmentNetwork": event.fulfillment or "AFN",
                }
            ],
        }
        if item.adjustment_item_id:
            item_json["relatedIdentifiers"] = [
                {
                    "itemRelatedIdentifierName": "ORDER_ADJUSTMENT_ITEM_ID",
                    "itemRelatedIdentifierValue": item.adjustment_item_id,
                }
            ]
        items.append(item_json)
    return {
        "sellingPartnerMetadata": {
            "sellingPartnerId": ctx.seller.selling_partner_id,
            "accountType": "Standard Orders",
            "marketplaceId": m.id,
        },
        "relatedIdentifiers": related,
        "transactionType": _TRANSACTION_TYPES[event.kind],
        "transactionId": ids.alnum(
            ids.derive(0, ctx.seller.selling_partner_id, event.event_id), 43
        ),
        "transactionStatus": "RELEASED",
        "description": event.reason or _TRANSACTION_TYPES[event.kind],
        "postedDate": iso_seconds(ctx, event.posted),
        "totalAmount": _money(event.total, m.currency),
        "marketplaceDetails": {"marketplaceId": m.id, "marketplaceName": m.name},
        "items": items,
        "contexts": [],
        "breakdowns": _breakdowns(tuple(event.all_charges()), m.currency),
    }


def list_transactions(ctx: Context) -> Response:
    req = ctx.request
    token = req.arg("nextToken")
    world = ctx.seller
    if token:
        state = decode_token(token, "transactions")
    else:
        lo, hi = _posted_window(ctx, "postedAfter", "postedBefore", None)
        marketplace = req.arg("marketplaceId")
        if marketplace and world.marketplace_index(marketplace) is None:
            raise invalid(f"Invalid marketplaceId {marketplace}.")
        status = req.arg("transactionStatus")
        if status and status not in ("DEFERRED", "RELEASED", "DEFERRED_RELEASED"):
            raise invalid("Invalid transactionStatus.")
        name = req.arg("relatedIdentifierName")
        value = req.arg("relatedIdentifierValue")
        if bool(name) != bool(value):
            raise invalid("relatedIdentifierName and relatedIdentifierValue go together.")
        if name and name not in ("ORDER_ID", "FINANCIAL_EVENT_GROUP_ID"):
            raise invalid("relatedIdentifierName must be ORDER_ID or FINANCIAL_EVENT_GROUP_ID.")
        state = {
            "k": "transactions",
            "a": lo,
            "b": hi,
            "m": marketplace,
            "n": 100,
            "s": status,
            "rn": name,
            "rv": value,
        }
    if state.get("s") in ("DEFERRED", "DEFERRED_RELEASED"):
        return json_response(200, {"payload": {"transactions": []}})
    if state.get("rn") == "ORDER_ID":
        index = world.book.order_index(str(state["rv"]))
        events = []
        if index is not None and world.history.o_time[index] <= ctx.now:
            events = [
                e
                for e in world.ledger.events_for_order(world.book.view(index), ctx.now)
                if state["a"] <= e.posted < state["b"]
            ]
        return json_response(
            200, {"payload": {"transactions": [transaction_json(ctx, e) for e in events]}}
        )
    if state.get("rn") == "FINANCIAL_EVENT_GROUP_ID" and not token:
        period = _group(ctx, str(state["rv"]))
        state = {
            **state,
            "a": max(state["a"], period.start),
            "b": min(state["b"], period.end),
            "m": period.marketplace.id,
        }
    events, following = _page(ctx, state, int(state["n"]))
    payload: dict[str, Any] = {"transactions": [transaction_json(ctx, e) for e in events]}
    if following is not None:
        payload["nextToken"] = encode_token(following)
    return json_response(200, {"payload": payload})
