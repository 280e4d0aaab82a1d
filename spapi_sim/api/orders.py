"""Orders API v0 (deprecated, still used) and Orders API v2026-01-01."""

from __future__ import annotations

import datetime as dt
from typing import Any

from spapi_sim.api.common import (
    decode_token,
    encode_token,
    int_arg,
    invalid,
    iso_seconds,
    marketplace_indices,
    money_2026,
    money_v0,
    not_found,
    parse_time,
)
from spapi_sim.http import Response, Router, json_response
from spapi_sim.money import ZERO
from spapi_sim.state import Context
from spapi_sim.world.buyers import buyer
from spapi_sim.world.history import DAY
from spapi_sim.world.orders import CANCELED, PENDING, SHIPPED, STATUS_2026, OrderView

# Orders change status (pending, shipped, cancelled) within a few days of purchase; a search by
# last update only needs to look this far back before the window's start.
_UPDATE_HORIZON = 4 * DAY
_V0_STATUSES = {
    "Pending",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "Canceled",
    "Unfulfillable",
    "InvoiceUnconfirmed",
    "PendingAvailability",
}
_TOKEN_SECONDS_2026 = 24 * 3600


def register(router: Router) -> None:
    router.add("GET", "/orders/v0/orders", get_orders, operation="getOrders")
    router.add("GET", "/orders/v0/orders/{orderId}", get_order_v0, operation="getOrder")
    router.add(
        "GET", "/orders/v0/orders/{orderId}/orderItems", get_order_items, operation="getOrderItems"
    )
    router.add("GET", "/orders/2026-01-01/orders", search_orders, operation="searchOrders")
    router.add(
        "GET", "/orders/2026-01-01/orders/{orderId}", get_order_2026, operation="getOrder2026"
    )


# -- shared search ---------------------------------------------------------------------------


def _scan(
    ctx: Context,
    state: dict[str, Any],
    limit: int,
) -> tuple[list[int], int | None]:
    """Orders matching the search state, from scan position ``p``; returns the next position."""
    world = ctx.seller
    book = world.book
    h = world.history
    now = ctx.now
    by_update = state["mode"] == "updated"
    lo, hi = state["after"], state["before"]
    scan_lo = lo - _UPDATE_HORIZON if by_update else lo
    orders = h.orders_between(scan_lo, min(hi + 1, now + 1))
    position = max(state.get("p", orders.start), orders.start)
    markets = set(state["m"])
    statuses = set(state.get("st") or [])
    channels = set(state.get("fc") or [])
    found: list[int] = []
    while position < orders.stop:
        index = position
        position += 1
        if h.o_mkt[index] not in markets:
            continue
        if channels and h.products[h.i_sku[h.o_item[index]]].channel not in channels:
            continue
        status, updated = book.status(index, now)
        if by_update and not lo <= updated <= hi:
            continue
        if statuses and status not in statuses:
            continue
        found.append(index)
        if len(found) >= limit:
            break
    more = position < orders.stop
    return found, position if more else None


def _window(
    ctx: Context, after: dt.datetime | None, before: dt.datetime | None, name: str
) -> tuple[int, int]:
    world = ctx.seller
    now = ctx.now
    lo = world.seconds(after) if after else 0
    # Amazon refuses a *Before in the future; a simulator whose clock may lag the caller's
    # clamps it to now instead.
    hi = min(now, world.seconds(before)) if before else now
    if lo > hi:
        raise invalid(f"{name}After must be before {name}Before.")
    return lo, hi


# -- v0 -----------------------------------------------------------------------------------------


def _order_v0(ctx: Context, order: OrderView) -> dict[str, Any]:
    now = ctx.now
    status = order.status(now)
    m = order.marketplace
    afn = order.channel == "AFN"
    shipped = status == SHIPPED
    units = order.units
    result: dict[str, Any] = {
        "AmazonOrderId": order.order_id,
        "SellerOrderId": order.order_id,
        "PurchaseDate": iso_seconds(ctx, order.purchase_second),
        "LastUpdateDate": iso_seconds(ctx, order.last_update(now)),
        "OrderStatus": status,
        "FulfillmentChannel": order.channel,
        "SalesChannel": m.name,
        "ShipServiceLevel": "Std US D2D Dom" if m.country_code == "US" else "Std Dom",
        "NumberOfItemsShipped": units if shipped else 0,
        "NumberOfItemsUnshipped": 0 if shipped or status == CANCELED else units,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "IsReplacementOrder": False,
        "MarketplaceId": m.id,
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso_seconds(ctx, order.pending_until),
        "LatestShipDate": iso_seconds(ctx, order.pending_until + 2 * DAY),
        "EarliestDeliveryDate": iso_seconds(ctx, order.pending_until + 2 * DAY),
        "LatestDeliveryDate": iso_seconds(ctx, order.pending_until + 6 * DAY),
        "IsBusinessOrder": False,
        "IsPrime": afn,
        "IsGlobalExpressEnabled": False,
        "IsPremiumOrder": False,
        "IsSoldByAB": False,
        "IsIBA": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "AutomatedShippingSettings": {"HasAutomatedShippingSettings": False},
        "ElectronicInvoiceStatus": "NotRequired",
    }
    # Amazon leaves the total out while an order is Pending or once it is cancelled.
    if status not in (PENDING, CANCELED):
        result["OrderTotal"] = money_v0(order.total(), order.currency)
    if shipped or status == "Unshipped":
        # The city-level part of the address, as Amazon gives it without restricted data, and
        # the buyer's relay email and name: a client must keep none of them.
        who = buyer(order.order_id)
        result["ShippingAddress"] = {
            "City": who.city,
            "StateOrRegion": who.state,
            "PostalCode": who.postal_code,
            "CountryCode": m.country_code,
        }
        result["BuyerInfo"] = {"BuyerEmail": who.email, "BuyerName": who.name}
    return result


def get_orders(ctx: Context) -> Response:
    req = ctx.request
    token = req.arg("NextToken")
    if token:
        state = decode_token(token, "orders-v0")
    else:
        markets = marketplace_indices(ctx, req.args("MarketplaceIds"), required=True)
        created_after = parse_time(req.arg("CreatedAfter"), "CreatedAfter")
        updated_after = parse_time(req.arg("LastUpdatedAfter"), "LastUpdatedAfter")
        if (created_after is None) == (updated_after is None):
            raise invalid("Exactly one of CreatedAfter and LastUpdatedAfter must be specified.")
        statuses = req.args("OrderStatuses")
        unknown = [s for s in statuses if s not in _V0_STATUSES]
        if unknown:
            raise invalid(f"Invalid OrderStatuses: {unknown[0]}.")
        if created_after is not None:
            if req.arg("LastUpdatedBefore"):
                raise invalid("LastUpdatedBefore cannot be combined with CreatedAfter.")
            lo, hi = _window(
                ctx, created_after, parse_time(req.arg("CreatedBefore"), "CreatedBefore"), "Created"
            )
            mode = "created"
        else:
            if req.arg("CreatedBefore"):
                raise invalid("CreatedBefore cannot be combined with LastUpdatedAfter.")
            lo, hi = _window(
                ctx,
                updated_after,
                parse_time(req.arg("LastUpdatedBefore"), "LastUpdatedBefore"),
                "LastUpdated",
            )
            mode = "updated"
        state = {
            "k": "orders-v0",
            "mode": mode,
            "after": lo,
            "before": hi,
            "m": markets,
            "st": statuses,
            "fc": req.args("FulfillmentChannels"),
            "n": int_arg(ctx, "MaxResultsPerPage", 100, 1, 100),
        }
    found, position = _scan(ctx, state, int(state["n"]))
    world = ctx.seller
    payload: dict[str, Any] = {"Orders": [_order_v0(ctx, world.book.view(i)) for i in found]}
    if position is not None:
        payload["NextToken"] = encode_token({**state, "p": position})
    key = "CreatedBefore" if state["mode"] == "created" else "LastUpdatedBefore"
    payload[key] = iso_seconds(ctx, int(state["before"]))
    return json_response(200, {"payload": payload})


def _order_by_id(ctx: Context, order_id: str) -> OrderView:
    index = ctx.seller.book.order_index(order_id)
    if index is None or ctx.seller.history.o_time[index] > ctx.now:
        raise not_found(f"Order {order_id} not found.")
    return ctx.seller.book.view(index)


def get_order_v0(ctx: Context) -> Response:
    order = _order_by_id(ctx, ctx.request.params["orderId"])
    return json_response(200, {"payload": _order_v0(ctx, order)})


def get_order_items(ctx: Context) -> Response:
    order = _order_by_id(ctx, ctx.request.params["orderId"])
    status = order.status(ctx.now)
    items = []
    for line in order.lines:
        item: dict[str, Any] = {
            "ASIN": line.product.asin,
            "SellerSKU": line.product.sku,
            "OrderItemId": line.order_item_id,
            "Title": line.product.title,
            # An item cancelled on its own: v0 says so only by ordering none of it.
            "QuantityOrdered": 0 if line.cancelled else line.quantity,
            "QuantityShipped": line.quantity if status == SHIPPED and not line.cancelled else 0,
            "ProductInfo": {"NumberOfItems": "1"},
            "IsGift": "false",
            "ConditionId": "New",
            "ConditionSubtypeId": "New",
            "IsTransparency": False,
            "SerialNumberRequired": False,
        }
        if status not in (PENDING, CANCELED) and not line.cancelled:
            c = order.currency
            item["ItemPrice"] = money_v0(line.item_price, c)
            item["ItemTax"] = money_v0(line.item_tax, c)
            item["ShippingPrice"] = money_v0(line.shipping_price, c)
            item["ShippingTax"] = money_v0(line.shipping_tax, c)
            item["ShippingDiscount"] = money_v0(ZERO, c)
            item["ShippingDiscountTax"] = money_v0(ZERO, c)
            item["PromotionDiscount"] = money_v0(line.promotion_discount, c)
            item["PromotionDiscountTax"] = money_v0(ZERO, c)
            if line.promotion_discount and order.promotion_id:
                item["PromotionIds"] = [order.promotion_id]
        items.append(item)
    payload = {"OrderItems": items, "AmazonOrderId": order.order_id}
    return json_response(200, {"payload": payload})


# -- v2026-01-01 --------------------------------------------------------------------------------

_INCLUDED = {
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "EXPENSE",
    "PROMOTION",
    "CANCELLATION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
    "PAYMENT",
    "FULFILLMENT_ORDERS",
}


def _included(ctx: Context) -> set[str]:
    values = set(ctx.request.args("includedData"))
    unknown = values - _INCLUDED
    if unknown:
        raise invalid(f"Invalid includedData value: {sorted(unknown)[0]}.")
    return values


def _order_2026(ctx: Context, order: OrderView, included: set[str]) -> dict[str, Any]:
    now = ctx.now
    status = order.status(now)
    m = order.marketplace
    c = order.currency
    result: dict[str, Any] = {
        "orderId": order.order_id,
        "orderAliases": [],
        "createdTime": iso_seconds(ctx, order.purchase_second),
        "lastUpdatedTime": iso_seconds(ctx, order.last_update(now)),
        "programs": ["PRIME"] if order.channel == "AFN" else [],
        "associatedOrders": [],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": m.id, "marketplaceName": m.name},
    }
    priced = status not in (PENDING, CANCELED)
    who = buyer(order.order_id)
    if "BUYER" in included:
        result["buyer"] = {"buyerName": who.name, "buyerEmail": who.email}
    if "RECIPIENT" in included:
        result["recipient"] = {
            "deliveryAddress": {
                "name": who.name,
                "addressLine1": who.address_line,
                "city": who.city,
                "stateOrRegion": who.state,
                "postalCode": who.postal_code,
                "countryCode": m.country_code,
                "phone": who.phone,
                "addressType": "RESIDENTIAL",
            }
        }
    if "PROCEEDS" in included and priced:
        item_total = sum((ln.item_price for ln in order.sold_lines), ZERO)
        shipping = sum((ln.shipping_price for ln in order.sold_lines), ZERO)
        tax = sum((ln.item_tax + ln.shipping_tax for ln in order.sold_lines), ZERO)
        discount = sum((ln.promotion_discount for ln in order.sold_lines), ZERO)
        breakdowns = [{"type": "ITEM", "subtotal": money_2026(item_total, c)}]
        if shipping:
            breakdowns.append({"type": "SHIPPING", "subtotal": money_2026(shipping, c)})
        if tax:
            breakdowns.append({"type": "TAX", "subtotal": money_2026(tax, c)})
        if discount:
            breakdowns.append({"type": "DISCOUNT", "subtotal": money_2026(-discount, c)})
        result["proceeds"] = {"grandTotal": money_2026(order.total(), c), "breakdowns": breakdowns}
    if "FULFILLMENT" in included:
        result["fulfillment"] = {
            "fulfillmentStatus": STATUS_2026[status],
            "fulfilledBy": "AMAZON" if order.channel == "AFN" else "MERCHANT",
            "fulfillmentServiceLevel": "STANDARD",
            "shipByWindow": {
                "earliestDateTime": iso_seconds(ctx, order.pending_until),
                "latestDateTime": iso_seconds(ctx, order.pending_until + 2 * DAY),
            },
            "deliverByWindow": {
                "earliestDateTime": iso_seconds(ctx, order.pending_until + 2 * DAY),
                "latestDateTime": iso_seconds(ctx, order.pending_until + 6 * DAY),
            },
        }
    items = []
    for ln in order.lines:
        item: dict[str, Any] = {
            "orderItemId": ln.order_item_id,
            "quantityOrdered": ln.quantity,
            "programs": [],
            "product": {
                "asin": ln.product.asin,
                "title": ln.product.title,
                "sellerSku": ln.product.sku,
                "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                "price": {"unitPrice": money_2026(ln.unit_price, c)},
            },
        }
        if "PROCEEDS" in included and priced and not ln.cancelled:
            parts = [{"type": "ITEM", "subtotal": money_2026(ln.item_price, c)}]
            if ln.shipping_price:
                parts.append({"type": "SHIPPING", "subtotal": money_2026(ln.shipping_price, c)})
            if ln.item_tax or ln.shipping_tax:
                parts.append(
                    {"type": "TAX", "subtotal": money_2026(ln.item_tax + ln.shipping_tax, c)}
                )
            if ln.promotion_discount:
                parts.append(
                    {"type": "DISCOUNT", "subtotal": money_2026(-ln.promotion_discount, c)}
                )
            total = ln.net_sales + ln.item_tax + ln.shipping_price + ln.shipping_tax
            item["proceeds"] = {"proceedsTotal": money_2026(total, c), "breakdowns": parts}
        if "PROMOTION" in included and ln.promotion_discount and order.promotion_id:
            item["promotion"] = {"breakdowns": [{"promotionId": order.promotion_id}]}
        if "CANCELLATION" in included and (status == CANCELED or ln.cancelled):
            item["cancellation"] = {
                "cancellationExecution": {"cancelledBy": "BUYER", "cancelReason": "BUYER_CANCELED"}
            }
        if "FULFILLMENT" in included:
            done = ln.quantity if status == SHIPPED and not ln.cancelled else 0
            item["fulfillment"] = {
                "quantityFulfilled": done,
                "quantityUnfulfilled": 0 if ln.cancelled else ln.quantity - done,
            }
        if "TAX" in included:
            item["tax"] = {
                "taxCollections": [
                    {"model": "MARKETPLACE_FACILITATOR", "responsibleParty": "AMAZON_SERVICES_INC"}
                ]
            }
        items.append(item)
    result["orderItems"] = items
    if "PACKAGES" in included and status == SHIPPED and order.ship_second is not None:
        result["packages"] = [
            {
                "packageReferenceId": "1",
                "createdTime": iso_seconds(ctx, order.ship_second),
                "packageStatus": {"status": "SHIPPED"},
                "carrier": "AMZN_US" if order.channel == "AFN" else "UPS",
                "shipTime": iso_seconds(ctx, order.ship_second),
                "shippingService": "Standard",
                "trackingNumber": f"TBA{order.order_id.replace('-', '')[:12]}",
                "packageItems": [
                    {"orderItemId": ln.order_item_id, "quantity": ln.quantity}
                    for ln in order.sold_lines
                ],
            }
        ]
    return result


def search_orders(ctx: Context) -> Response:
    req = ctx.request
    token = req.arg("paginationToken")
    now_ms = ctx.state.now_ms()
    if token:
        state = decode_token(token, "orders-2026", now_ms)
    else:
        markets = marketplace_indices(
            ctx, req.args("marketplaceIds"), required=False, name="marketplaceIds"
        )
        created_after = parse_time(req.arg("createdAfter"), "createdAfter")
        updated_after = parse_time(req.arg("lastUpdatedAfter"), "lastUpdatedAfter")
        if (created_after is None) == (updated_after is None):
            raise invalid("Exactly one of createdAfter and lastUpdatedAfter must be specified.")
        if created_after is not None:
            lo, hi = _window(
                ctx, created_after, parse_time(req.arg("createdBefore"), "createdBefore"), "created"
            )
            mode = "created"
        else:
            lo, hi = _window(
                ctx,
                updated_after,
                parse_time(req.arg("lastUpdatedBefore"), "lastUpdatedBefore"),
                "lastUpdated",
            )
            mode = "updated"
        wanted = req.args("fulfillmentStatuses")
        reverse = {v: k for k, v in STATUS_2026.items()}
        bad = [
            w
            for w in wanted
            if w
            not in {
                "PENDING_AVAILABILITY",
                "PENDING",
                "UNSHIPPED",
                "PARTIALLY_SHIPPED",
                "SHIPPED",
                "CANCELLED",
                "UNFULFILLABLE",
            }
        ]
        if bad:
            raise invalid(f"Invalid fulfillmentStatuses value: {bad[0]}.")
        by = req.args("fulfilledBy")
        state = {
            "k": "orders-2026",
            "mode": mode,
            "after": lo,
            "before": hi,
            "m": markets,
            "st": [reverse[w] for w in wanted if w in reverse] or (["none"] if wanted else []),
            "fc": [{"AMAZON": "AFN", "MERCHANT": "MFN"}.get(b, b) for b in by],
            "x": now_ms + ctx.state.wall_ms(_TOKEN_SECONDS_2026),
        }
    limit = int_arg(ctx, "maxResultsPerPage", 100, 1, 100)
    included = _included(ctx)
    found, position = _scan(ctx, state, limit)
    world = ctx.seller
    body: dict[str, Any] = {
        "orders": [_order_2026(ctx, world.book.view(i), included) for i in found]
    }
    if position is not None:
        body["pagination"] = {"nextToken": encode_token({**state, "p": position})}
    key = "createdBefore" if state["mode"] == "created" else "lastUpdatedBefore"
    body[key] = iso_seconds(ctx, int(state["before"]))
    return json_response(200, body)


def get_order_2026(ctx: Context) -> Response:
    order = _order_by_id(ctx, ctx.request.params["orderId"])
    return json_response(200, {"order": _order_2026(ctx, order, _included(ctx))})
