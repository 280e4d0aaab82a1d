"""Orders from the all-orders flat file and from Orders v2026-01-01, as the orders app's rows.

Both sources produce the same row (``ams.orders.writers.OrderLineRow``), one per order line, so
the same upsert serves the backfill and the incremental sync, and a row read from both is
identical when nothing changed. Nothing about the buyer is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import sql

from ams.core import marketplaces
from ams.orders.writers import OrderLineRow, same_sku
from ams.sync import convert_sql
from ams.sync.parsers.flatfile import (
    RowError,
    integer,
    money,
    parse_timestamp,
    required_text,
    text,
    timestamp,
)

REPORT_TYPE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
# Raise it with any change that lets the all-orders reader read a document it refused before:
# the report windows kept pending under an older version are then requested and read again by
# themselves (ams/sync/pending.py).
PARSER_VERSION = 1
REQUIRED = (
    "amazon-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "sku",
    "quantity",
)

# Amazon's words for an order's state, in both APIs and the reports, to AMS's.
_STATUS = {
    "pending": "pending",
    "pendingavailability": "pending",
    "pending_availability": "pending",
    "unshipped": "unshipped",
    "partiallyshipped": "partially_shipped",
    "partially_shipped": "partially_shipped",
    "shipped": "shipped",
    "shipping": "shipped",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "unfulfillable": "unfulfillable",
    "invoiceunconfirmed": "unshipped",
    "complete": "shipped",
}
_CHANNEL = {"amazon": "AFN", "afn": "AFN", "merchant": "MFN", "mfn": "MFN", "seller": "MFN"}

# The sales channel the reports name, to the marketplace (Amazon's storefront domains).
SALES_CHANNELS = {
    "amazon.com": "ATVPDKIKX0DER",
    "amazon.ca": "A2EUQ1WTGCTBG2",
    "amazon.com.mx": "A1AM78C64UM0Y8",
    "amazon.com.br": "A2Q3Y263D00KWC",
    "amazon.co.uk": "A1F83G8C2ARO7P",
    "amazon.de": "A1PA6795UKMFR9",
    "amazon.fr": "A13V1IB3VIYZZH",
    "amazon.it": "APJ6JRA9NG5V4",
    "amazon.es": "A1RKKUPIHCS9HS",
    "amazon.nl": "A1805IZSGTT6HS",
    "amazon.com.be": "AMEN7PMS3EDWL",
    "amazon.ie": "A28R8C7NBKEWEA",
    "amazon.se": "A2NODRKZP88ZB9",
    "amazon.pl": "A1C3SOZRARQ6R3",
    "amazon.com.tr": "A33AVAJ2PDY3EV",
    "amazon.ae": "A2VIGQ35RCS4UG",
    "amazon.sa": "A17E79C6D8DWNP",
    "amazon.eg": "ARBP9OOSHTCHU",
    "amazon.in": "A21TJRUUN4KGV",
    "amazon.co.za": "AE08WJ6YKNBMC",
    "amazon.co.jp": "A1VC38T7YXB528",
    "amazon.com.au": "A39IBJ37TRP1C6",
    "amazon.sg": "A19VAU5U5O7RUS",
}


def status(raw: str) -> str:
    value = _STATUS.get(raw.strip().lower().replace(" ", ""))
    if value is None:
        raise RowError(f"unknown order status {raw[:30]!r}")
    return value


def item_status(raw: str) -> str:
    """An item's own state (the all-orders report's ``item-status``), in the order's words; ""
    when the report does not say or says something AMS does not know: the item is then read as
    its order says, never refused for it."""
    return _STATUS.get(raw.strip().lower().replace(" ", ""), "")


def cancelled_alone(order_status: str, item_state: str) -> bool:
    """An item cancelled while its order goes on: it sold nothing, so its line carries no units
    and no amounts (Orders v0 reports it so too, ordering none of it). A cancelled order keeps
    its lines as Amazon gave them; every read model leaves it out by its status."""
    return item_state == "cancelled" and order_status != "cancelled"


def channel(raw: str) -> str:
    value = _CHANNEL.get(raw.strip().lower())
    if value is None:
        raise RowError(f"unknown fulfilment channel {raw[:30]!r}")
    return value


def _discount(*amounts: Decimal | None) -> Decimal | None:
    present = [abs(a) for a in amounts if a is not None]
    return sum(present, Decimal(0)) if present else None


def _tax(*amounts: Decimal | None) -> Decimal | None:
    present = [a for a in amounts if a is not None]
    return sum(present, Decimal(0)) if present else None


_Amounts = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]


def _amounts(
    item: Decimal | None, shipping: Decimal | None, tax: Decimal | None, discount: Decimal | None
) -> _Amounts:
    """All four amounts (item, shipping, tax, discount), or none: a priced line reads an absent
    figure as zero (the report writes 0.00 where the API leaves the breakdown out), an unpriced
    one has no figures."""
    if item is None:
        return (None, None, None, None)
    zero = Decimal(0)
    return (item, shipping or zero, tax or zero, discount or zero)


def report_converter(marketplace_ids: set[str]) -> Callable[[Mapping[str, str]], OrderLineRow]:
    """A converter for one connection: rows of other sales channels are refused, not guessed."""
    single = next(iter(marketplace_ids)) if len(marketplace_ids) == 1 else None

    def convert(row: Mapping[str, str]) -> OrderLineRow:
        sales_channel = text(row, "sales-channel", limit=40)
        marketplace_id = SALES_CHANNELS.get(sales_channel.lower()) or single
        if marketplace_id is None or marketplace_id not in marketplace_ids:
            raise RowError(
                f"sales channel {sales_channel[:40]!r} is not a marketplace of this connection"
            )
        item_price = money(row, "item-price")
        # Read in the order of the row's columns: the first cell refused names the reason.
        order_id = required_text(row, "amazon-order-id", limit=40)
        purchased = timestamp(row, "purchase-date")
        updated = timestamp(row, "last-updated-date")
        order_status = status(row.get("order-status", ""))
        fulfilment = channel(row.get("fulfillment-channel", ""))
        currency = text(row, "currency", limit=3) or marketplaces.currency(marketplace_id)
        sku = required_text(row, "sku", limit=64)
        asin = text(row, "asin", limit=16)
        item_state = item_status(row.get("item-status", ""))
        quantity = integer(row, "quantity")
        item, shipping, tax, discount = _amounts(
            item_price,
            money(row, "shipping-price"),
            _tax(money(row, "item-tax"), money(row, "shipping-tax")),
            _discount(money(row, "item-promotion-discount"), money(row, "ship-promotion-discount")),
        )
        if cancelled_alone(order_status, item_state):
            quantity = 0
            item, shipping, tax, discount = _amounts(None, None, None, None)
        return OrderLineRow(
            order_id,
            marketplace_id,
            purchased,
            updated,
            order_status,
            item_state,
            fulfilment,
            sales_channel,
            currency,
            sku,
            asin,
            quantity,
            item,
            shipping,
            tax,
            discount,
            text(row, "promotion-ids", limit=300),
        )

    return convert


def report_sql(marketplace_ids: set[str]) -> convert_sql.Conversion:
    """The same conversion as :func:`report_converter`, in SQL, for the lines it can take
    exactly (see ams/sync/convert_sql.py); every other line goes through the converter."""
    single = next(iter(marketplace_ids)) if len(marketplace_ids) == 1 else None
    currencies = {m: marketplaces.currency(m) for m in sorted(marketplace_ids)}

    def plan(cell: convert_sql.Cells) -> convert_sql.Plan:
        q = convert_sql
        sales = q.text(cell("sales-channel"), 40)
        marketplace = sql.SQL("coalesce({}, {})").format(
            q.lookup(q.ascii_lower(sales), SALES_CHANNELS), sql.Literal(single)
        )
        # A status or channel matches an ASCII key only if its cell is ASCII (see ascii_lower),
        # where Python's lower() says the same; any other is NULL, which declines the line.
        status_key = q.ascii_lower(
            sql.SQL("replace(btrim({}), ' ', '')").format(cell("order-status"))
        )
        channel_key = q.ascii_lower(sql.SQL("btrim({})").format(cell("fulfillment-channel")))
        item_status_key = q.ascii_lower(
            sql.SQL("replace(btrim({}), ' ', '')").format(cell("item-status"))
        )
        # Each of these cells is read once per line, as the derived value of the same name.
        timestamps = {"purchased": "purchase-date", "updated": "last-updated-date"}
        amounts = {
            "item": "item-price",
            "shipping": "shipping-price",
            "item_tax": "item-tax",
            "shipping_tax": "shipping-tax",
            "item_discount": "item-promotion-discount",
            "ship_discount": "ship-promotion-discount",
        }
        value = {
            name: sql.Identifier(name)
            for name in (
                *timestamps,
                *amounts,
                "quantity",
                "order_id",
                "sku",
                "status",
                "item_status",
                "channel",
            )
        }
        item = value["item"]
        # cancelled_alone: an item cancelled while its order goes on has no units or amounts.
        alone = sql.SQL("({} = 'cancelled' AND {} <> 'cancelled')").format(
            value["item_status"], value["status"]
        )

        def priced(expression: sql.Composable) -> sql.Composable:
            # _amounts: all four figures, or none when the line has no item price.
            return sql.SQL("CASE WHEN {} IS NULL OR {} THEN NULL ELSE {} END").format(
                item, alone, expression
            )

        return convert_sql.Plan(
            derived={
                "marketplace": marketplace,
                **{
                    name: q.read_timestamp(cell(header), guarded=cell.guarded)
                    for name, header in timestamps.items()
                },
                **{
                    name: q.read_amount(cell(header), guarded=cell.guarded)
                    for name, header in amounts.items()
                },
                "quantity": q.read_integer(cell("quantity"), guarded=cell.guarded),
                # Named once: the columns and the checks both use them.
                "order_id": q.text(cell("amazon-order-id"), 40),
                "sku": q.text(cell("sku"), 64),
                "status": q.lookup(status_key, _STATUS),
                "item_status": sql.SQL("coalesce({}, '')").format(
                    q.lookup(item_status_key, _STATUS)
                ),
                "channel": q.lookup(channel_key, _CHANNEL),
            },
            columns={
                "amazon_order_id": value["order_id"],
                "marketplace_id": sql.SQL("marketplace"),
                "purchased_at": value["purchased"],
                "last_updated_at": value["updated"],
                "status": value["status"],
                "item_status": value["item_status"],
                "fulfillment_channel": value["channel"],
                "sales_channel": sales,
                "currency": sql.SQL("coalesce(nullif({}, ''), {}, '')").format(
                    q.text(cell("currency"), 3), q.lookup(sql.SQL("marketplace"), currencies)
                ),
                "sku": value["sku"],
                "asin": q.text(cell("asin"), 16),
                "quantity": sql.SQL("CASE WHEN {} THEN 0 ELSE {} END").format(
                    alone, value["quantity"]
                ),
                "item_price": priced(item),
                "shipping_price": priced(sql.SQL("coalesce({}, 0)").format(value["shipping"])),
                "tax": priced(
                    sql.SQL("coalesce({}, 0) + coalesce({}, 0)").format(
                        value["item_tax"], value["shipping_tax"]
                    )
                ),
                "promotion_discount": priced(
                    sql.SQL("abs(coalesce({}, 0)) + abs(coalesce({}, 0))").format(
                        value["item_discount"], value["ship_discount"]
                    )
                ),
                "promotion_ids": q.text(cell("promotion-ids"), 300),
            },
            accept=[
                # Python's lower() makes some non-ASCII letters ASCII (the Kelvin sign a "k"):
                # a channel it could read as another marketplace is its to read.
                q.is_ascii(cell("sales-channel")),
                # The same for an item status: read here only where lower() agrees.
                q.is_ascii(cell("item-status")),
                sql.SQL("marketplace = ANY({})").format(sql.Literal(sorted(marketplace_ids))),
                sql.SQL("{} <> ''").format(value["order_id"]),
                sql.SQL("{} <> ''").format(value["sku"]),
                *(q.is_timestamp(cell(header), value[name]) for name, header in timestamps.items()),
                sql.SQL("{} IS NOT NULL").format(value["status"]),
                sql.SQL("{} IS NOT NULL").format(value["channel"]),
                q.is_integer(cell("quantity"), value["quantity"]),
                *(q.is_amount(cell(header), value[name]) for name, header in amounts.items()),
            ],
        )

    return convert_sql.Conversion(plan)


# --- Orders v2026-01-01 ----------------------------------------------------------------------------

_FULFILLED_BY = {"AMAZON": "AFN", "MERCHANT": "MFN"}


def _amount(value: Any) -> tuple[Decimal, str] | None:
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return None
    try:
        return Decimal(str(value["amount"])), str(value.get("currencyCode") or "")
    except ArithmeticError:
        raise RowError(f"not an amount: {str(value.get('amount'))[:30]!r}") from None


def _breakdown(proceeds: Any, kind: str) -> Decimal | None:
    if not isinstance(proceeds, dict):
        return None
    found = None
    for part in proceeds.get("breakdowns") or []:
        if isinstance(part, dict) and part.get("type") == kind:
            amount = _amount(part.get("subtotal"))
            if amount is not None:
                found = (found or Decimal(0)) + amount[0]
    return found


def _time(value: Any, name: str) -> datetime:
    parsed = parse_timestamp(str(value or ""))
    if parsed is None:
        raise RowError(f"'{name}' is not a date: {str(value)[:40]!r}")
    return parsed


def _item_state(item: Mapping[str, Any], order_status: str, quantity: int) -> str:
    """An item's own state from Orders v2026-01-01, which has no item status: cancelled when
    Amazon executed a cancellation of it (``cancellation.cancellationExecution``; a request
    alone is not one) or orders none of it, else as its order (the report's ``item-status``
    says the same: Cancelled, Shipped, or Unshipped while the order is pending or unshipped)."""
    cancellation = item.get("cancellation")
    executed = isinstance(cancellation, dict) and bool(cancellation.get("cancellationExecution"))
    if order_status == "cancelled" or executed or quantity == 0:
        return "cancelled"
    if order_status == "shipped":
        return "shipped"
    if order_status == "partially_shipped":
        fulfilment = item.get("fulfillment")
        fulfilled = fulfilment.get("quantityFulfilled") if isinstance(fulfilment, dict) else None
        return "shipped" if isinstance(fulfilled, int) and fulfilled >= quantity else "unshipped"
    return "unshipped" if order_status in ("pending", "unshipped") else order_status


def api_rows(order: Mapping[str, Any], marketplace_ids: set[str]) -> list[OrderLineRow]:
    """The staged rows of one order from searchOrders (includedData PROCEEDS, FULFILLMENT, …)."""
    order_id = str(order.get("orderId") or "")
    if not order_id:
        raise RowError("order without orderId")
    channel_info = order.get("salesChannel") or {}
    marketplace_id = str(channel_info.get("marketplaceId") or "")
    if marketplace_id not in marketplace_ids:
        raise RowError(f"marketplace {marketplace_id[:20]!r} is not one of this connection's")
    fulfillment = order.get("fulfillment") or {}
    order_status = status(str(fulfillment.get("fulfillmentStatus") or ""))
    fulfilled_by = _FULFILLED_BY.get(str(fulfillment.get("fulfilledBy") or ""))
    if fulfilled_by is None:
        fulfilled_by = "AFN" if "PRIME" in (order.get("programs") or []) else "MFN"
    created = _time(order.get("createdTime"), "createdTime")
    updated = _time(order.get("lastUpdatedTime"), "lastUpdatedTime")
    sales_channel = str(channel_info.get("marketplaceName") or "")[:40]
    rows: dict[str, OrderLineRow] = {}
    for item in order.get("orderItems") or []:
        product = item.get("product") or {}
        sku = str(product.get("sellerSku") or "")[:64]
        if not sku:
            raise RowError(f"order {order_id}: an item without sellerSku")
        unit = _amount((product.get("price") or {}).get("unitPrice"))
        proceeds = item.get("proceeds")
        currency = (unit[1] if unit else "") or marketplaces.currency(marketplace_id)
        discount = _breakdown(proceeds, "DISCOUNT")
        promotion_ids = ",".join(
            str(p.get("promotionId"))
            for p in ((item.get("promotion") or {}).get("breakdowns") or [])
            if isinstance(p, dict) and p.get("promotionId")
        )
        asin = str(product.get("asin") or "")[:16]
        quantity = int(item.get("quantityOrdered") or 0)
        item_state = _item_state(item, order_status, quantity)
        item_price, shipping_price, tax, discount_amount = _amounts(
            _breakdown(proceeds, "ITEM"),
            _breakdown(proceeds, "SHIPPING"),
            _breakdown(proceeds, "TAX"),
            abs(discount) if discount is not None else None,
        )
        if cancelled_alone(order_status, item_state):
            quantity = 0
            item_price, shipping_price, tax, discount_amount = _amounts(None, None, None, None)
        row = OrderLineRow(
            order_id,
            marketplace_id,
            created,
            updated,
            order_status,
            item_state,
            fulfilled_by,
            sales_channel,
            currency[:3],
            sku,
            asin,
            quantity,
            item_price,
            shipping_price,
            tax,
            discount_amount,
            promotion_ids[:300],
        )
        # Two items of one SKU (the key has no order item id) are the order's line for it.
        rows[sku] = same_sku(rows[sku], row) if sku in rows else row
    return list(rows.values())
