"""Stock per SKU and marketplace, its daily history, and Amazon's replenishment advice.

Amazon's shapes are translated by ``ams.sync``; here quantities are plain counts per bucket.
"""

from __future__ import annotations

from django.db import models

from ams.core.retention import Aged, Current
from ams.core.tenancy import TenantModel


class StockLevel(TenantModel):
    """Current stock of one SKU in one marketplace. FBA (AFN) SKUs fill every bucket; merchant
    fulfilled (MFN) SKUs have only ``fulfillable``, the quantity the seller offers."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64)
    fulfillment_channel = models.CharField(max_length=3)
    fnsku = models.CharField(max_length=16, blank=True)
    asin = models.CharField(max_length=16, blank=True)
    fulfillable = models.IntegerField()
    inbound_working = models.IntegerField()
    inbound_shipped = models.IntegerField()
    inbound_receiving = models.IntegerField()
    reserved = models.IntegerField()
    unfulfillable = models.IntegerField()
    researching = models.IntegerField()
    total = models.IntegerField()
    # When these quantities last changed (a run that sees the same numbers does not touch it).
    synced_at = models.DateTimeField()

    retention = Current("the stock now, replaced by each sync")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku"], name="stock_level_key"
            )
        ]


class StockSnapshot(TenantModel):
    """The stock of each SKU at the end of each UTC day (the last sync of the day), for charts."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64)
    day = models.DateField()
    fulfillable = models.IntegerField()
    inbound = models.IntegerField()
    reserved = models.IntegerField()
    unfulfillable = models.IntegerField()
    total = models.IntegerField()

    retention = Aged("day")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku", "day"],
                name="stock_snapshot_key",
            )
        ]


class RestockAdvice(TenantModel):
    """Amazon's restock recommendation for an FBA SKU (the restock inventory report)."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64)
    recommended_quantity = models.IntegerField(null=True)
    recommended_ship_date = models.DateField(null=True)
    recommended_action = models.CharField(max_length=100, blank=True)
    alert = models.CharField(max_length=40, blank=True)
    days_of_supply_total = models.IntegerField(null=True)
    days_of_supply_amazon = models.IntegerField(null=True)
    units_sold_30d = models.IntegerField(null=True)
    synced_at = models.DateTimeField()

    retention = Current("Amazon's latest advice, replaced by each sync")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku"], name="restock_advice_key"
            )
        ]


class InventoryHealth(TenantModel):
    """Amazon's view of an FBA SKU's health (the inventory planning report): supply, excess, age."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64)
    snapshot_date = models.DateField(null=True)
    days_of_supply = models.IntegerField(null=True)
    excess_quantity = models.IntegerField(null=True)
    healthy_level = models.IntegerField(null=True)
    age_0_90 = models.IntegerField(null=True)
    age_91_180 = models.IntegerField(null=True)
    age_181_270 = models.IntegerField(null=True)
    age_271_365 = models.IntegerField(null=True)
    age_365_plus = models.IntegerField(null=True)
    units_shipped_30d = models.IntegerField(null=True)
    alert = models.CharField(max_length=40, blank=True)
    recommended_action = models.CharField(max_length=100, blank=True)
    synced_at = models.DateTimeField()

    retention = Current("the latest planning report, replaced by each sync")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku"], name="inventory_health_key"
            )
        ]


class StockHealthSummary(TenantModel):
    """Read model: one marketplace's stock at a glance, as the overview shows it (available,
    inbound, reserved, unfulfillable, SKUs at risk within the default lead time, out of stock,
    excess, Amazon's alerts). Rebuilt after every inventory, listings and orders run of the
    connection (ams.inventory.stock_health), so the page adds up a row per marketplace instead of
    joining every SKU's stock with its sales."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    skus = models.IntegerField()
    available = models.BigIntegerField()
    inbound = models.BigIntegerField()
    reserved = models.BigIntegerField()
    unfulfillable = models.BigIntegerField()
    at_risk = models.IntegerField()
    out_of_stock = models.IntegerField()
    excess_skus = models.IntegerField()
    excess_units = models.BigIntegerField()
    # {alert: SKUs}
    alerts = models.JSONField(default=dict)
    refreshed_at = models.DateTimeField()

    retention = Current("computed from the stock now")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id"], name="stock_health_summary_key"
            )
        ]


class InventoryAdjustment(TenantModel):
    """An adjustment of the FBA inventory ledger (the ``Adjustments`` rows of
    GET_LEDGER_DETAIL_VIEW_DATA): units Amazon reports lost (reason M), found again (F) or
    damaged in a fulfilment centre (E), among others. The ledger's other rows (shipments,
    receipts, returns) are not kept: orders and the customer returns report tell those."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    # The marketplace the report was requested for.
    marketplace_id = models.CharField(max_length=20)
    happened_at = models.DateTimeField()
    fnsku = models.CharField(max_length=16)
    asin = models.CharField(max_length=16, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    reference_id = models.CharField(max_length=40, blank=True)
    quantity = models.IntegerField()
    fulfillment_center = models.CharField(max_length=10, blank=True)
    disposition = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=10, blank=True)
    country = models.CharField(max_length=2, blank=True)
    reconciled_quantity = models.IntegerField(null=True)
    unreconciled_quantity = models.IntegerField(null=True)
    synced_at = models.DateTimeField()

    retention = Aged("happened_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "team",
                    "connection",
                    "marketplace_id",
                    "happened_at",
                    "fnsku",
                    "reference_id",
                    "disposition",
                    "reason",
                ],
                name="inventory_adjustment_key",
            )
        ]


class CustomerReturn(TenantModel):
    """A customer return received at a fulfilment centre (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA).
    The customer's comments are not kept: they are the buyer's own words."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    returned_at = models.DateTimeField()
    order_id = models.CharField(max_length=40)
    sku = models.CharField(max_length=64)
    asin = models.CharField(max_length=16, blank=True)
    fnsku = models.CharField(max_length=16, blank=True)
    quantity = models.IntegerField()
    fulfillment_center = models.CharField(max_length=10, blank=True)
    disposition = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=60, blank=True)
    license_plate = models.CharField(max_length=40, blank=True)
    synced_at = models.DateTimeField()

    retention = Aged("returned_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "order_id", "sku", "license_plate", "returned_at"],
                name="customer_return_key",
            )
        ]
        indexes = [models.Index(fields=["team", "order_id"], name="customer_return_team_order")]
