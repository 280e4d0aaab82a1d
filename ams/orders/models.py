"""Orders and their lines, in neutral terms, with Amazon's ids as attributes.

Rows arrive from two sources (the all-orders report for the backfill, Orders v2026-01-01 for
freshness) and both write the same columns with the same meaning, so whichever source saw the
newest ``last_updated_at`` wins and a row seen twice is not rewritten. Only fields both sources
carry are kept: a field one source lacks would flip back and forth between syncs.

No buyer personal data: no names, addresses, e-mails or phone numbers, by design.
"""

from __future__ import annotations

from django.db import models

from ams.core.retention import Aged, Current
from ams.core.tenancy import TenantModel


# The two big tables of a seller's history are written hundreds of thousands of rows at a time,
# and a foreign key is checked row by row: instead, the ingest locks and checks the connection
# once per batch, and a trigger refuses to delete a connection whose orders remain (migration
# 0002). The natural key's index, which starts with team and connection, serves lookups by them.
class Order(TenantModel):
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    connection = models.ForeignKey(
        "amazon.SellerConnection",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    marketplace_id = models.CharField(max_length=20)
    amazon_order_id = models.CharField(max_length=40)
    purchased_at = models.DateTimeField()
    last_updated_at = models.DateTimeField()
    # pending, unshipped, partially_shipped, shipped, cancelled, unfulfillable
    status = models.CharField(max_length=24)
    # AFN (fulfilled by Amazon) or MFN (by the merchant)
    fulfillment_channel = models.CharField(max_length=3)
    sales_channel = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    synced_at = models.DateTimeField()

    retention = Aged("purchased_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "amazon_order_id"], name="order_natural_key"
            )
        ]
        # One index besides the natural key: the orders page lists newest first, and its
        # marketplace and date filters read the same index (a page is 50 orders). A second one
        # on (team, connection, marketplace, purchased_at) served no query, and an order costs
        # the ingest an insert into each of its indexes.
        indexes = [models.Index(fields=["team", "purchased_at", "id"], name="order_team_purchased")]

    def __str__(self) -> str:
        return self.amazon_order_id


class OrderLine(TenantModel):
    """One SKU of an order. Amounts are NULL while Amazon does not price the order (pending),
    and on an item cancelled on its own (``item_status``).

    ``tax`` is item tax plus shipping tax: Orders v2026-01-01 reports them as one figure.
    ``promotion_discount`` is positive: what promotions took off the item and its shipping.
    """

    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    connection = models.ForeignKey(
        "amazon.SellerConnection",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    marketplace_id = models.CharField(max_length=20)
    amazon_order_id = models.CharField(max_length=40)
    sku = models.CharField(max_length=64)
    asin = models.CharField(max_length=16, blank=True)
    purchased_at = models.DateTimeField()
    last_updated_at = models.DateTimeField()
    status = models.CharField(max_length=24)
    # The item's own state, in the order's vocabulary ("" where Amazon does not say). An item
    # cancelled while its order goes on ("cancelled" under a shipped order) has quantity 0 and
    # no amounts: it sold nothing, so no read model counts it.
    item_status = models.CharField(max_length=24, blank=True, db_default="")
    fulfillment_channel = models.CharField(max_length=3)
    quantity = models.IntegerField()
    currency = models.CharField(max_length=3)
    item_price = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    shipping_price = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    tax = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    promotion_discount = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    promotion_ids = models.CharField(max_length=300, blank=True)
    synced_at = models.DateTimeField()

    retention = Aged("purchased_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "amazon_order_id", "sku"],
                name="order_line_natural_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["team", "connection", "marketplace_id", "purchased_at"],
                name="order_line_team_mkt_purch",
            ),
            # The orders page's SKU filter: the SKUs that match, resolved first, then their lines.
            models.Index(fields=["team", "sku", "purchased_at"], name="order_line_team_sku"),
        ]

    @property
    def item_cancelled(self) -> bool:
        """The item was cancelled on its own while its order went on: it sold nothing."""
        return self.item_status == "cancelled" and self.status != "cancelled"


class OrderDay(TenantModel):
    """Read model: one marketplace's orders on one marketplace-local day (see ams.orders.rollups)."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    day = models.DateField()
    currency = models.CharField(max_length=3)
    orders = models.IntegerField()
    cancelled_orders = models.IntegerField()
    units = models.IntegerField()
    # Item price less promotions, tax excluded: what most sellers call "sales".
    sales = models.DecimalField(max_digits=18, decimal_places=2)
    item_price = models.DecimalField(max_digits=18, decimal_places=2)
    shipping_price = models.DecimalField(max_digits=18, decimal_places=2)
    tax = models.DecimalField(max_digits=18, decimal_places=2)
    promotion_discount = models.DecimalField(max_digits=18, decimal_places=2)

    retention = Aged("day")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "day", "currency"],
                name="order_day_key",
            )
        ]


class SkuSummary(TenantModel):
    """Read model: per marketplace and SKU, units and sales over the standard windows."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    as_of = models.DateField()
    units_7d = models.IntegerField()
    units_30d = models.IntegerField()
    units_90d = models.IntegerField()
    units_mtd = models.IntegerField()
    sales_7d = models.DecimalField(max_digits=18, decimal_places=2)
    sales_30d = models.DecimalField(max_digits=18, decimal_places=2)
    sales_90d = models.DecimalField(max_digits=18, decimal_places=2)
    sales_mtd = models.DecimalField(max_digits=18, decimal_places=2)
    # The same windows one period earlier (the 7 days before the last 7, …; for the month to date,
    # as many days before the 1st), so the overview ranks rising and falling SKUs from 10,000 rows
    # instead of summing a (SKU, day) rollup as large as the order lines.
    units_prev_7d = models.IntegerField(db_default=0)
    units_prev_30d = models.IntegerField(db_default=0)
    units_prev_90d = models.IntegerField(db_default=0)
    units_prev_mtd = models.IntegerField(db_default=0)
    sales_prev_7d = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    sales_prev_30d = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    sales_prev_90d = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    sales_prev_mtd = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    # No column: the SKU's stock level in the same marketplace, joined on the natural key both
    # tables share, so the inventory page gets each SKU's rate of sale in one hash join instead of
    # a sub-select per stock row (``StockLevel.objects.annotate(Sum("sku_summaries__units_30d"))``).
    stock_level = models.ForeignObject(
        "inventory.StockLevel",
        on_delete=models.DO_NOTHING,
        from_fields=["team", "connection", "marketplace_id", "sku"],
        to_fields=["team", "connection", "marketplace_id", "sku"],
        related_name="sku_summaries",
        null=True,
    )

    retention = Current("the last 7/30/90 days, rebuilt by each run")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku", "currency"],
                name="sku_summary_key",
            )
        ]


class SkuDay(TenantModel):
    """Read model: one SKU's units and sales on one marketplace-local day, cancelled lines left out.

    Feeds what needs any period per SKU (the overview's top and falling SKUs, cost of goods).
    On a long-tail catalogue it has nearly a row per order line, so the ingest does not rebuild it
    batch by batch: each batch notes its days in ``SkuDayBacklog``, in its own transaction, and the
    end of the sync run rebuilds them once (see ams.orders.rollups).
    """

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    day = models.DateField()
    sku = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    orders = models.IntegerField()
    units = models.IntegerField()
    # As in OrderDay: item price less promotions, tax excluded.
    sales = models.DecimalField(max_digits=18, decimal_places=2)

    retention = Aged("day")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "day", "sku", "currency"],
                name="sku_day_key",
            )
        ]
        # Pages read a date range of every marketplace at once, or the days of a few SKUs.
        indexes = [
            models.Index(fields=["team", "day"], name="sku_day_team_day"),
            models.Index(fields=["team", "sku", "day"], name="sku_day_team_sku_day"),
        ]


class SkuDayBacklog(TenantModel):
    """The local days of one marketplace whose ``SkuDay`` rows are behind the order lines: widened
    in the transaction of each ingest batch, rebuilt and cleared at the end of the sync run. A run
    that stops early leaves them to the next one."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    first_day = models.DateField()
    last_day = models.DateField()

    retention = Current("days waiting for their rollup, cleared by each run")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id"], name="sku_day_backlog_key"
            )
        ]
