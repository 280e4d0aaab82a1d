"""Reads of the team's products: the list, one product with its SKUs, listings, components and
stock, and which product a SKU sells."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from ams.catalog.models import Listing
from ams.catalog.selectors import listings_of_skus
from ams.inventory.selectors import fulfillable_units
from ams.products.models import BundleComponent, Product, ProductSku
from ams.products.rollup import Components, StockRollup, roll_up_stock
from ams.teams.models import Team


def products(team: Team, *, q: str = "") -> QuerySet[Product]:
    qs = Product.objects.filter(team=team)
    if q:
        qs = qs.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(skus__sku__icontains=q)
        ).distinct()
    return qs.annotate(
        sku_count=Count("skus", distinct=True), component_count=Count("components", distinct=True)
    ).order_by("code")


def access_product(team: Team, product_id: int) -> Product | None:
    """The team's product, or None for a missing one and for another team's alike."""
    return Product.objects.filter(team=team, pk=product_id).first()


def product_skus(team: Team, product: Product) -> QuerySet[ProductSku]:
    return ProductSku.objects.filter(team=team, product=product).order_by("sku", "marketplace_id")


def components(team: Team, bundle: Product) -> QuerySet[BundleComponent]:
    return (
        BundleComponent.objects.filter(team=team, bundle=bundle)
        .select_related("component")
        .order_by("component__code")
    )


def used_in(team: Team, component: Product) -> QuerySet[BundleComponent]:
    return (
        BundleComponent.objects.filter(team=team, component=component)
        .select_related("bundle")
        .order_by("bundle__code")
    )


def component_map(team: Team) -> Components:
    """Every bundle of the team: {bundle id: {component id: units per bundle}}."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for bundle_id, component_id, quantity in BundleComponent.objects.filter(team=team).values_list(
        "bundle_id", "component_id", "quantity"
    ):
        out[bundle_id][component_id] = quantity
    return dict(out)


@dataclass(frozen=True)
class SkuMap:
    """Which product each SKU sells: a marketplace's own mapping before the every-marketplace one."""

    by_key: dict[tuple[str, str | None], int]

    def product_of(self, sku: str, marketplace_id: str) -> int | None:
        found = self.by_key.get((sku, marketplace_id))
        return found if found is not None else self.by_key.get((sku, None))


def sku_map(team: Team) -> SkuMap:
    rows = ProductSku.objects.filter(team=team).values_list("sku", "marketplace_id", "product_id")
    return SkuMap({(sku, marketplace): product for sku, marketplace, product in rows})


def product_listings(team: Team, product: Product) -> list[Listing]:
    """The listings of the product's SKUs (title and photo come from Amazon's catalog)."""
    mapping = sku_map(team)
    skus = set(product_skus(team, product).values_list("sku", flat=True))
    return [
        listing
        for listing in listings_of_skus(team, skus)
        if mapping.product_of(listing.sku, listing.marketplace_id) == product.id
    ]


def stock_rollups(team: Team) -> dict[int, StockRollup]:
    """Each product's sellable stock at Amazon, rolled up through the team's bundles."""
    mapping = sku_map(team)
    skus = {sku for sku, _ in mapping.by_key}
    own: dict[int, int] = defaultdict(int)
    for (sku, marketplace_id), units in fulfillable_units(team, skus).items():
        product_id = mapping.product_of(sku, marketplace_id)
        if product_id is not None:
            own[product_id] += units
    return roll_up_stock(own, component_map(team))


def product_stock(team: Team, product: Product) -> StockRollup:
    found = stock_rollups(team).get(product.id)
    return found or StockRollup(own=0, in_bundles=0, buildable=None)
