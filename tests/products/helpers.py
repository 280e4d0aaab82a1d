"""Products for tests, written through the services like the pages write them."""

from __future__ import annotations

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.products.services import (
    ProductData,
    bundle_component_set,
    product_create,
    product_sku_add,
)
from ams.teams.models import Team


def add_product(
    team: Team,
    code: str,
    *,
    name: str = "",
    skus: tuple[str, ...] = (),
    marketplace_id: str | None = None,
) -> Product:
    with team_scope(team.id):
        product = product_create(
            team=team, data=ProductData(name=name or f"Product {code}", code=code)
        )
        for sku in skus:
            product_sku_add(
                team=team, product_id=product.pk, sku=sku, marketplace_id=marketplace_id
            )
    return product


def add_component(team: Team, bundle: Product, component: Product, quantity: int) -> None:
    with team_scope(team.id):
        bundle_component_set(
            team=team, bundle_id=bundle.pk, component_id=component.pk, quantity=quantity
        )
