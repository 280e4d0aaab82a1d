"""Listings (a SKU offered in a marketplace) and the catalogue items (ASINs) they sell."""

from __future__ import annotations

from django.db import models

from ams.core.retention import Current
from ams.core.tenancy import TenantModel


class Listing(TenantModel):
    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64)
    asin = models.CharField(max_length=16, blank=True)
    title = models.CharField(max_length=500, blank=True)
    # active (buyable), inactive, suppressed (hidden from search by an error), incomplete
    status = models.CharField(max_length=16)
    fulfillment_channel = models.CharField(max_length=3)
    currency = models.CharField(max_length=3, blank=True)
    price = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    # The quantity offered, for merchant-fulfilled listings; FBA stock lives in inventory.
    quantity = models.IntegerField(null=True)
    issues = models.IntegerField()
    issue_summary = models.CharField(max_length=300, blank=True)
    image_url = models.CharField(max_length=500, blank=True)
    # Competitive pricing of active listings: the buy box price and whether this seller holds it.
    buy_box_price = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    buy_box_is_mine = models.BooleanField(null=True)
    # Amazon's estimate of its fees on one unit at the listing's price.
    estimated_fees = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    synced_at = models.DateTimeField()

    retention = Current("the listing as it is now")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku"], name="listing_key"
            )
        ]


class Product(TenantModel):
    """A catalogue item (ASIN) in a marketplace: title, image, category, dimensions."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    asin = models.CharField(max_length=16)
    title = models.CharField(max_length=500, blank=True)
    brand = models.CharField(max_length=200, blank=True)
    image_url = models.CharField(max_length=500, blank=True)
    category = models.CharField(max_length=200, blank=True)
    length_cm = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    width_cm = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    height_cm = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    weight_g = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    synced_at = models.DateTimeField()

    retention = Current("the catalogue item as it is now")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "asin"], name="product_key"
            )
        ]
