"""Orders and their lines, in neutral terms, with Amazon's ids as attributes.

Rows arrive from two sources (the all-orders report for the backfill, Orders v2026-01-01 for
freshness) and both write the same columns with the same meaning, so whichever source saw the
newest ``last_updated_at`` wins and a row seen twice is not rewritten. Only fields both sources
carry are kept: a field one source lacks would flip back and forth between syncs.

No buyer personal data: no names, addresses, e-mails or phone numbers, by design.
"""

from __future__ import annotations

from django.db import models

from ams.core.tenancy import TenantModel


class Order(TenantModel):
    # No single-column indexes on team and connection: the natural key (team, connection, …)
    # serves every lookup by them (purges included), and each index costs the ingest a write.
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", db_index=False)
    connection = models.ForeignKey("amazon.SellerConnection", on_delete=models.CASCADE, related_name="+", db_index=False)
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

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "connection", "amazon_order_id"], name="order_natural_key")
        ]
        indexes = [
            models.Index(fields=["team", "connection", "marketplace_id", "purchased_at"], name="order_team_mkt_purchased"),
            # The orders page lists newest first over all connections and marketplaces.
            models.Index(fields=["team", "purchased_at", "id"], name="order_team_purchased"),
        ]

    def __str__(self) -> str:
        return self.amazon_order_id


class OrderLine(TenantModel):
    """One SKU of an order. Amounts are NULL while Amazon does not price the order (pending).

    ``tax`` is item tax plus shipping tax: Orders v2026-01-01 reports them as one figure.
    ``promotion_discount`` is positive: what promotions took off the item and its shipping.
    """

    # As on Order: the natural key covers team and connection.
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", db_index=False)
    connection = models.ForeignKey("amazon.SellerConnection", on_delete=models.CASCADE, related_name="+", db_index=False)
    marketplace_id = models.CharField(max_length=20)
    amazon_order_id = models.CharField(max_length=40)
    sku = models.CharField(max_length=64)
    asin = models.CharField(max_length=16, blank=True)
    purchased_at = models.DateTimeField()
    last_updated_at = models.DateTimeField()
    status = models.CharField(max_length=24)
    fulfillment_channel = models.CharField(max_length=3)
    quantity = models.IntegerField()
    currency = models.CharField(max_length=3)
    item_price = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    shipping_price = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    tax = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    promotion_discount = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    promotion_ids = models.CharField(max_length=300, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "amazon_order_id", "sku"], name="order_line_natural_key"
            )
        ]
        indexes = [
            models.Index(fields=["team", "connection", "marketplace_id", "purchased_at"], name="order_line_team_mkt_purch"),
            # The orders page's SKU filter: the SKUs that match, resolved first, then their lines.
            models.Index(fields=["team", "sku", "purchased_at"], name="order_line_team_sku"),
        ]


class OrderDay(TenantModel):
    """Read model: one marketplace's orders on one marketplace-local day (see ams.orders.rollups)."""

    connection = models.ForeignKey("amazon.SellerConnection", on_delete=models.CASCADE, related_name="+")
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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "day", "currency"], name="order_day_key"
            )
        ]


class SkuSummary(TenantModel):
    """Read model: per marketplace and SKU, units and sales over the standard windows."""

    connection = models.ForeignKey("amazon.SellerConnection", on_delete=models.CASCADE, related_name="+")
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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku", "currency"], name="sku_summary_key"
            )
        ]
