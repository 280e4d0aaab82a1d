"""Reads of locations, shipments and the stock on its way, for the pages and for planning."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from ams.inventory.selectors import FbaUnits, fba_units
from ams.products.models import Product
from ams.products.selectors import sku_map
from ams.purchasing.models import POStatus, PurchaseOrderLine
from ams.shipments.models import (
    ON_THE_WAY,
    Location,
    Shipment,
    ShipmentLeg,
    ShipmentLine,
    StockMove,
)
from ams.shipments.services import SHIPPABLE, on_other_shipments
from ams.teams.models import Team


def locations(team: Team) -> QuerySet[Location]:
    return Location.objects.filter(team=team).order_by("name")


def access_location(team: Team, location_id: int) -> Location | None:
    """The team's location, or None for a missing one and for another team's alike."""
    return Location.objects.filter(team=team, pk=location_id).first()


def stock_by_location(team: Team) -> dict[int, dict[int, int]]:
    """{location id: {product id: units held}}, without the products a location holds none of."""
    held: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    moves = StockMove.objects.filter(team=team)
    for row in (
        moves.filter(to_location__isnull=False)
        .values("to_location_id", "product_id")
        .annotate(units=Sum("quantity"))
    ):
        held[row["to_location_id"]][row["product_id"]] += row["units"]
    for row in (
        moves.filter(from_location__isnull=False)
        .values("from_location_id", "product_id")
        .annotate(units=Sum("quantity"))
    ):
        held[row["from_location_id"]][row["product_id"]] -= row["units"]
    return {
        location: {product: units for product, units in products.items() if units}
        for location, products in held.items()
    }


@dataclass(frozen=True)
class HeldProduct:
    product: Product
    units: int


def location_stock(team: Team, location: Location) -> list[HeldProduct]:
    units = stock_by_location(team).get(location.pk, {})
    products = Product.objects.filter(team=team, pk__in=list(units)).order_by("code")
    return [HeldProduct(product, units[product.pk]) for product in products]


def location_moves(team: Team, location: Location, *, limit: int = 100) -> list[StockMove]:
    return list(
        StockMove.objects.filter(team=team)
        .filter(Q(to_location=location) | Q(from_location=location))
        .select_related("product", "from_location", "to_location", "shipment")
        .order_by("-moved_on", "-id")[:limit]
    )


def shipments(team: Team, *, status: str = "") -> QuerySet[Shipment]:
    qs = Shipment.objects.filter(team=team)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("destination")
        .annotate(units=Sum("lines__quantity"), leg_count=Count("legs", distinct=True))
        .order_by("-created_at", "-id")
    )


def access_shipment(team: Team, shipment_id: int) -> Shipment | None:
    return (
        Shipment.objects.filter(team=team, pk=shipment_id)
        .select_related("destination")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ShipmentLine.objects.select_related(
                    "product", "order_line__order"
                ).order_by("order_line__order__number", "product__code"),
            ),
            Prefetch("legs", queryset=ShipmentLeg.objects.order_by("position")),
        )
        .first()
    )


@dataclass(frozen=True)
class ShippableLine:
    line: PurchaseOrderLine
    waiting: int  # units not received and not on a shipment on its way


def shippable_lines(team: Team) -> list[ShippableLine]:
    """The lines of sent orders with units still to ship, for a new shipment's form."""
    lines = list(
        PurchaseOrderLine.objects.filter(team=team, order__status__in=SHIPPABLE)
        .filter(received_quantity__lt=F("quantity"))
        .select_related("order__supplier", "product")
        .order_by("order__number", "product__code")
    )
    shipped = on_other_shipments(team, [line.pk for line in lines])
    out = []
    for line in lines:
        waiting = line.quantity - line.received_quantity - shipped.get(line.pk, 0)
        if waiting > 0:
            out.append(ShippableLine(line, waiting))
    return out


@dataclass(frozen=True)
class Pipeline:
    """Where a product's units are before Amazon holds them."""

    ordered: int  # on a sent order the supplier has not confirmed, not yet on a shipment
    in_production: int  # on a confirmed order, not yet on a shipment
    in_transit: int  # on a shipment on its way
    at_locations: int  # held at the seller's warehouses and 3PLs

    @property
    def total(self) -> int:
        return self.ordered + self.in_production + self.in_transit + self.at_locations


def pipeline(team: Team) -> dict[int, Pipeline]:
    """{product id: Pipeline} for every product with units on order, on the way or held."""
    waiting = (
        PurchaseOrderLine.objects.filter(team=team, order__status__in=SHIPPABLE)
        .filter(received_quantity__lt=F("quantity"))
        .values_list("pk", "product_id", "order__status", "quantity", "received_quantity")
    )
    rows = list(waiting)
    shipped = on_other_shipments(team, [pk for pk, *_ in rows])
    ordered: dict[int, int] = defaultdict(int)
    in_production: dict[int, int] = defaultdict(int)
    for pk, product_id, status, quantity, received in rows:
        units = max(quantity - received - shipped.get(pk, 0), 0)
        target = ordered if status == POStatus.SENT else in_production
        target[product_id] += units
    moving = (
        ShipmentLine.objects.filter(team=team, shipment__status__in=ON_THE_WAY)
        .values("product_id")
        .annotate(units=Sum("quantity"))
    )
    in_transit = {row["product_id"]: int(row["units"]) for row in moving}
    held: dict[int, int] = defaultdict(int)
    for products in stock_by_location(team).values():
        for product_id, units in products.items():
            held[product_id] += units
    out = {}
    for product_id in set(ordered) | set(in_production) | set(in_transit) | set(held):
        out[product_id] = Pipeline(
            ordered.get(product_id, 0),
            in_production.get(product_id, 0),
            in_transit.get(product_id, 0),
            held.get(product_id, 0),
        )
    return {k: v for k, v in out.items() if v.total}


# The stages a unit passes through, in order: (name, what it means).
STAGES = (
    ("Ordered", "on a sent purchase order the supplier has not confirmed"),
    ("In production", "on a confirmed order, not yet shipped"),
    ("In transit", "on a shipment on its way to your warehouse or 3PL"),
    ("At your locations", "held at your warehouses and 3PLs"),
    ("Inbound to FBA", "on its way to Amazon or being received, as Amazon counts it"),
    ("Sellable at FBA", "available to buyers"),
    ("Reserved at FBA", "sold and being picked, or moving between Amazon's sites"),
)


@dataclass(frozen=True)
class TimelineRow:
    """Every unit of a product, from the supplier's order to Amazon's shelf."""

    product: Product
    pipeline: Pipeline
    fba: FbaUnits

    @property
    def units(self) -> tuple[int, ...]:
        """The units at each of ``STAGES``, in their order."""
        p, fba = self.pipeline, self.fba
        return (
            p.ordered,
            p.in_production,
            p.in_transit,
            p.at_locations,
            fba.inbound,
            fba.sellable,
            fba.reserved,
        )

    @property
    def stages(self) -> list[tuple[str, str, int]]:
        return [(name, meaning, n) for (name, meaning), n in zip(STAGES, self.units, strict=True)]

    @property
    def total(self) -> int:
        return sum(self.units)


def timeline(team: Team, *, product_id: int | None = None) -> list[TimelineRow]:
    """Per product (or the one product): units ordered, in production, in transit, at the
    seller's locations, inbound to FBA, sellable and reserved at Amazon. Amazon's counts come
    from the product's SKUs as Amazon reports them (a bundle's SKU counts for the bundle)."""
    products = Product.objects.filter(team=team).order_by("code")
    if product_id is not None:
        products = products.filter(pk=product_id)
    mapping = sku_map(team)
    at_amazon: dict[int, list[FbaUnits]] = defaultdict(list)
    for (sku, marketplace_id), units in fba_units(team, {s for s, _ in mapping.by_key}).items():
        owner = mapping.product_of(sku, marketplace_id)
        if owner is not None:
            at_amazon[owner].append(units)
    flows = pipeline(team)
    empty = Pipeline(0, 0, 0, 0)
    rows = []
    for product in products:
        found = at_amazon.get(product.pk, [])
        fba = FbaUnits(
            inbound=sum(u.inbound for u in found),
            sellable=sum(u.sellable for u in found),
            reserved=sum(u.reserved for u in found),
        )
        rows.append(TimelineRow(product, flows.get(product.pk, empty), fba))
    return rows
