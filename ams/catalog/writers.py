"""What the sync merges into the catalog tables: listings, the catalogue items they sell, and,
onto the listings, the buy box and a fee estimate."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from psycopg import sql

from ams.core import bulk
from ams.core.tenancy import require_team_scope


class ListingRow(NamedTuple):
    marketplace_id: str
    sku: str
    asin: str
    title: str
    status: str
    fulfillment_channel: str
    currency: str
    price: Decimal | None
    quantity: int | None
    issues: int
    issue_summary: str
    image_url: str


class ProductRow(NamedTuple):
    marketplace_id: str
    asin: str
    title: str
    brand: str
    image_url: str
    category: str
    length_cm: Decimal | None
    width_cm: Decimal | None
    height_cm: Decimal | None
    weight_g: Decimal | None


class BuyBoxRow(NamedTuple):
    """The buy box of an ASIN (no price: nobody has it)."""

    marketplace_id: str
    asin: str
    buy_box_price: Decimal | None
    buy_box_is_mine: bool | None


class FeeEstimateRow(NamedTuple):
    marketplace_id: str
    sku: str
    estimated_fees: Decimal | None


LISTING_COLUMNS = bulk.columns_of(ListingRow)
LISTINGS = bulk.Target(
    table="catalog_listing",
    columns=tuple(c.name for c in LISTING_COLUMNS),
    key=("marketplace_id", "sku"),
)
PRODUCT_COLUMNS = bulk.columns_of(
    ProductRow,
    length_cm="numeric(10,2)",
    width_cm="numeric(10,2)",
    height_cm="numeric(10,2)",
    weight_g="numeric(12,2)",
)
PRODUCTS = bulk.Target(
    table="catalog_product",
    columns=tuple(c.name for c in PRODUCT_COLUMNS),
    key=("marketplace_id", "asin"),
)

LISTING_WRITER = bulk.Writer(LISTING_COLUMNS, (LISTINGS,))
PRODUCT_WRITER = bulk.Writer(PRODUCT_COLUMNS, (PRODUCTS,))

# The buy box and the fee estimate are columns of the listings, set on the listings there are.
_BUY_BOX_UPDATE = """
UPDATE catalog_listing AS t SET buy_box_price = s.buy_box_price, buy_box_is_mine = s.buy_box_is_mine, synced_at = now()
FROM {stage} AS s
WHERE t.team_id = %(team)s AND t.connection_id = %(connection)s AND t.marketplace_id = s.marketplace_id
  AND t.asin = s.asin AND t.status = 'active'
  AND (t.buy_box_price, t.buy_box_is_mine) IS DISTINCT FROM (s.buy_box_price, s.buy_box_is_mine)
"""
_FEES_UPDATE = """
UPDATE catalog_listing AS t SET estimated_fees = s.estimated_fees, synced_at = now()
FROM {stage} AS s
WHERE t.team_id = %(team)s AND t.connection_id = %(connection)s AND t.marketplace_id = s.marketplace_id
  AND t.sku = s.sku AND t.estimated_fees IS DISTINCT FROM s.estimated_fees
"""


def _listings_updated(template: str, connection_id: int) -> bulk.AfterMerge:
    def after_merge(staged: str, added_only: bool) -> None:
        params = {"team": require_team_scope(), "connection": connection_id}
        with connection.cursor() as cursor:
            cursor.cursor.execute(sql.SQL(template).format(stage=sql.Identifier(staged)), params)

    return after_merge


def buy_boxes(connection_id: int) -> bulk.Writer:
    """Buy boxes onto the active listings of their ASIN."""
    return bulk.Writer(
        bulk.columns_of(BuyBoxRow), after_merge=_listings_updated(_BUY_BOX_UPDATE, connection_id)
    )


def fee_estimates(connection_id: int) -> bulk.Writer:
    """Fee estimates onto the listings of their SKU."""
    return bulk.Writer(
        bulk.columns_of(FeeEstimateRow), after_merge=_listings_updated(_FEES_UPDATE, connection_id)
    )


def listings_forget_unseen(*, connection_id: int, marketplace_id: str, seen: set[str]) -> int:
    """After a complete read of a marketplace's listings, delete those Amazon no longer lists."""
    return bulk.delete_unseen(
        "catalog_listing", connection_id=connection_id, marketplace_id=marketplace_id, seen=seen
    )
