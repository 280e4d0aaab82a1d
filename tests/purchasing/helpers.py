"""Suppliers and prices for tests, written through the services like the pages write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.purchasing.models import Supplier
from ams.purchasing.supplier_services import (
    SupplierData,
    supplier_create,
    supplier_price_add,
    supplier_product_set,
)
from ams.teams.models import Team


def add_supplier(team: Team, name: str = "Ningbo Mugs", currency: str = "USD", **terms) -> Supplier:
    with team_scope(team.id):
        return supplier_create(team=team, data=SupplierData(name=name, currency=currency, **terms))


def add_price(
    team: Team,
    supplier: Supplier,
    product: Product,
    price: str,
    *,
    min_quantity: int = 1,
    valid_from: date = date(2026, 1, 1),
    valid_until: date | None = None,
    moq: int | None = None,
) -> None:
    with team_scope(team.id):
        if moq is not None:
            supplier_product_set(
                team=team,
                supplier_id=supplier.pk,
                product_id=product.pk,
                minimum_order_quantity=moq,
            )
        supplier_price_add(
            team=team,
            supplier_id=supplier.pk,
            product_id=product.pk,
            unit_price=Decimal(price),
            min_quantity=min_quantity,
            valid_from=valid_from,
            valid_until=valid_until,
        )
