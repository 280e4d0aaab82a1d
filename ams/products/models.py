"""Products: what the seller makes or buys, apart from the listings that sell it.

A product is the seller's own record, not Amazon's: it is tied to no connection, so disconnecting
an Amazon account leaves it. It is sold under one or more SKUs (``ProductSku``), each in every
marketplace or in one; the listings of those SKUs (``ams.catalog``) give its title and photo.

A bundle (a kit) is a product made of other products, N units of each (``BundleComponent``):
selling one bundle uses N units of each component, and its cost is the sum of theirs. A bundle's
components are simple products; a bundle is never a component, so a roll-up is one level deep
and can never loop.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from ams.core.tenancy import TenantModel


def _size() -> models.DecimalField[Decimal | None, Decimal | None]:
    return models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)


# The sizes of a unit and of a carton, each more than zero when given.
MEASURES = (
    "unit_length_cm",
    "unit_width_cm",
    "unit_height_cm",
    "unit_weight_g",
    "carton_length_cm",
    "carton_width_cm",
    "carton_height_cm",
    "carton_weight_kg",
)


class Product(TenantModel):
    name = models.CharField(max_length=200)
    # The seller's own reference (a part number), unique in the team.
    code = models.CharField(max_length=64)
    # Customs: the Harmonized System code and the ISO 3166 country the goods are made in.
    hs_code = models.CharField(max_length=16, blank=True)
    country_of_origin = models.CharField(max_length=2, blank=True)
    # One unit, packed as it ships.
    unit_length_cm = _size()
    unit_width_cm = _size()
    unit_height_cm = _size()
    unit_weight_g = _size()
    # The supplier's master carton.
    units_per_carton = models.PositiveIntegerField(null=True, blank=True)
    carton_length_cm = _size()
    carton_width_cm = _size()
    carton_height_cm = _size()
    carton_weight_kg = _size()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "code"], name="product_code_key"),
            models.CheckConstraint(
                condition=Q(country_of_origin="") | Q(country_of_origin__regex=r"^[A-Z]{2}$"),
                name="product_country_code",
            ),
            models.CheckConstraint(
                condition=Q(units_per_carton__isnull=True) | Q(units_per_carton__gte=1),
                name="product_units_per_carton_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductSku(TenantModel):
    """A SKU that sells the product: in every marketplace (no marketplace), or in one.

    A marketplace's own mapping of a SKU takes precedence over the every-marketplace one, as a
    marketplace's own cost does in the cost rule.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    sku = models.CharField(max_length=64)
    marketplace_id = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "sku", "marketplace_id"],
                name="product_sku_key",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["team", "product"], name="product_sku_product")]

    def __str__(self) -> str:
        return self.sku


class BundleComponent(TenantModel):
    bundle = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Product, on_delete=models.RESTRICT, related_name="used_in")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "bundle", "component"], name="bundle_component_key"
            ),
            models.CheckConstraint(
                condition=~Q(bundle=F("component")), name="bundle_component_not_itself"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="bundle_component_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.component_id} in {self.bundle_id}"
