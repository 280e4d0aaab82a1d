"""Sent purchase orders and locations for shipment tests, written through the services."""

from __future__ import annotations

from decimal import Decimal

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.purchasing.models import PurchaseOrder
from ams.purchasing.services import LineInput, create_purchase_order, purchase_order_send
from ams.shipments.models import Location, LocationKind
from ams.shipments.services import LocationData, location_create
from ams.teams.models import Team
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_supplier


def sent_order(
    team: Team, actor, units: dict[str, int], supplier: str = "Ningbo Mugs"
) -> PurchaseOrder:
    """A purchase order of ``units`` per product code (products made as needed), sent."""
    vendor = add_supplier(team, supplier)
    lines = []
    for code, quantity in units.items():
        with team_scope(team.id):
            product = Product.objects.filter(team=team, code=code).first()
        if product is None:
            product = add_product(team, code)
        lines.append(LineInput(product.pk, quantity, unit_price=Decimal("2.50")))
    with team_scope(team.id):
        order = create_purchase_order(team=team, actor=actor, supplier_id=vendor.pk, lines=lines)
        return purchase_order_send(team=team, actor=actor, order_id=order.pk, email=False)


def add_location(
    team: Team, name: str = "Reno 3PL", kind: str = LocationKind.THIRD_PARTY
) -> Location:
    with team_scope(team.id):
        return location_create(team=team, data=LocationData(name=name, kind=kind, country="US"))
