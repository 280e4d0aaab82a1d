"""What the sync merges into the orders tables, and the read models it keeps up to date.

An order line arrives as an :class:`OrderLineRow`, the same from the all-orders report and from
Orders v2026-01-01, so the same upsert serves the backfill and the incremental sync, and a row
read from both is identical when nothing changed. One staged row per line feeds both the order
(its header columns) and the line. The day rollup (``OrderDay``) is refreshed in each batch's
transaction; the SKU rollups once per sync run (docs/architecture.md, "Read models").
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from ams.core import bulk
from ams.orders import rollups


class OrderLineRow(NamedTuple):
    """One line of an order, with its order's columns (a tuple: COPY writes it as it is)."""

    amazon_order_id: str
    marketplace_id: str
    purchased_at: datetime
    last_updated_at: datetime
    status: str
    # The item's own state (OrderLine.item_status).
    item_status: str
    fulfillment_channel: str
    sales_channel: str
    currency: str
    sku: str
    asin: str
    quantity: int
    item_price: Decimal | None
    shipping_price: Decimal | None
    tax: Decimal | None
    promotion_discount: Decimal | None
    promotion_ids: str


LINE_COLUMNS = bulk.columns_of(OrderLineRow)

ORDERS = bulk.Target(
    table="orders_order",
    columns=(
        "amazon_order_id",
        "marketplace_id",
        "purchased_at",
        "last_updated_at",
        "status",
        "fulfillment_channel",
        "sales_channel",
        "currency",
    ),
    key=("amazon_order_id",),
    version="last_updated_at",
)
LINES = bulk.Target(
    table="orders_orderline",
    columns=(
        "amazon_order_id",
        "sku",
        "marketplace_id",
        "asin",
        "purchased_at",
        "last_updated_at",
        "status",
        "item_status",
        "fulfillment_channel",
        "quantity",
        "currency",
        "item_price",
        "shipping_price",
        "tax",
        "promotion_discount",
        "promotion_ids",
    ),
    key=("amazon_order_id", "sku"),
    version="last_updated_at",
    seldom_repeated=True,
)
# The all-orders report lists each item of an order once, but has no order item id: two items
# of one SKU are two lines with the same key, which together are the order's line for that SKU.
REPORT_LINES = dataclasses.replace(
    LINES, summed=("quantity", "item_price", "shipping_price", "tax", "promotion_discount")
)
# What two items of one SKU add up (see :func:`same_sku`).
SUMMED = REPORT_LINES.summed


def order_lines(connection_id: int, *, from_report: bool) -> bulk.Writer:
    """Order lines into orders and lines, their days rolled up in the batch's transaction.
    ``from_report``: the all-orders report's lines, a SKU's items summed (``REPORT_LINES``)."""

    def after_merge(staged: str, added_only: bool) -> None:
        rollups.order_days_refresh_from_stage(
            connection_id=connection_id, staged=staged, added_only=added_only
        )

    return bulk.Writer(
        LINE_COLUMNS, (ORDERS, REPORT_LINES if from_report else LINES), after_merge=after_merge
    )


def same_sku(first: OrderLineRow, second: OrderLineRow) -> OrderLineRow:
    """Two items of one SKU as one line, as the upsert adds up the report's (REPORT_LINES):
    quantities and amounts summed (an absent amount counts as none), the greater of any other
    value that differs (so an item cancelled on its own, which adds nothing, leaves the other
    item's state: "cancelled" sorts before every other state but the unknown "")."""
    values: dict[str, object] = {}
    for name in OrderLineRow._fields:
        a = getattr(first, name)
        b = getattr(second, name)
        if name not in SUMMED:
            values[name] = max(a, b)
        elif a is None or b is None:
            values[name] = b if a is None else a
        else:
            values[name] = a + b
    return OrderLineRow(**values)  # type: ignore[arg-type]
