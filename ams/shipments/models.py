"""Goods on their way from a supplier's door to a warehouse, and the stock a warehouse holds.

A shipment carries units of purchase order lines (of one or several orders) to a location (the
seller's own warehouse or a 3PL) over legs (factory to forwarder, port to port, truck to the
warehouse), each with its mode, carrier, tracking or container number and dates planned and
actual. Received at its location, its units become that location's stock and the orders'
receipts. A location's stock is the sum of its moves (``StockMove``): in from a shipment, between
locations, out to Amazon, and counted corrections; a move never takes a location below zero.

Like purchase orders, these are the seller's own records, tied to no Amazon connection.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ams.core.tenancy import TenantModel


class LocationKind(models.TextChoices):
    OWN = "own", "Own warehouse"
    THIRD_PARTY = "3pl", "3PL warehouse"


class Location(TenantModel):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=LocationKind.choices)
    address = models.TextField(blank=True)
    # ISO 3166 code of the country it is in.
    country = models.CharField(max_length=2, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="location_name_key")]

    def __str__(self) -> str:
        return self.name


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_TRANSIT = "in_transit", "In transit"
    ARRIVED = "arrived", "Arrived, not counted"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


# The shipments whose units are on their way: neither counted in nor cancelled.
ON_THE_WAY = (ShipmentStatus.PLANNED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.ARRIVED)


class Shipment(TenantModel):
    # SH-00001, SH-00002, … in the team.
    number = models.CharField(max_length=20)
    destination = models.ForeignKey(Location, on_delete=models.RESTRICT, related_name="shipments")
    status = models.CharField(
        max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED
    )
    note = models.TextField(blank=True)
    received_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="shipment_number_key")
        ]
        indexes = [models.Index(fields=["team", "-created_at"], name="shipment_recent")]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(TenantModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "purchasing.PurchaseOrderLine", on_delete=models.RESTRICT, related_name="+"
    )
    product = models.ForeignKey("products.Product", on_delete=models.RESTRICT, related_name="+")
    quantity = models.PositiveIntegerField()
    cartons = models.PositiveIntegerField(null=True, blank=True)
    # Counted in at the destination; below ``quantity`` is a shortfall.
    received_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "shipment", "order_line"], name="shipment_line_key"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="shipment_line_quantity_positive"
            ),
        ]
        indexes = [models.Index(fields=["team", "order_line"], name="shipment_line_order_line")]

    @property
    def shortfall(self) -> int:
        return max(self.quantity - self.received_quantity, 0)


class TransportMode(models.TextChoices):
    SEA = "sea", "Sea"
    AIR = "air", "Air"
    EXPRESS = "express", "Express courier"
    TRUCK = "truck", "Truck"
    RAIL = "rail", "Rail"


class ShipmentLeg(TenantModel):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="legs")
    position = models.PositiveIntegerField()
    origin = models.CharField(max_length=200)
    destination = models.CharField(max_length=200)
    mode = models.CharField(max_length=10, choices=TransportMode.choices)
    carrier = models.CharField(max_length=200, blank=True)
    # A tracking, container or bill of lading number: what the carrier's site is searched by.
    reference = models.CharField(max_length=100, blank=True)
    planned_departure = models.DateField(null=True, blank=True)
    planned_arrival = models.DateField(null=True, blank=True)
    departed_on = models.DateField(null=True, blank=True)
    arrived_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "shipment", "position"], name="shipment_leg_position_key"
            ),
            models.CheckConstraint(
                condition=Q(arrived_on__isnull=True) | Q(departed_on__isnull=False),
                name="shipment_leg_arrives_after_leaving",
            ),
        ]
        ordering = ["position"]


class MoveKind(models.TextChoices):
    RECEIVED = "received", "Received from a shipment"
    MOVED = "moved", "Moved between locations"
    TO_AMAZON = "to_amazon", "Sent to Amazon"
    COUNTED = "counted", "Count correction"


class StockMove(TenantModel):
    """Units of a product into a location (``to_location``), out of one (``from_location``), or
    both (a move between them). The quantity is always positive; the direction is which end is set."""

    product = models.ForeignKey("products.Product", on_delete=models.RESTRICT, related_name="+")
    from_location = models.ForeignKey(
        Location, on_delete=models.RESTRICT, null=True, blank=True, related_name="moves_out"
    )
    to_location = models.ForeignKey(
        Location, on_delete=models.RESTRICT, null=True, blank=True, related_name="moves_in"
    )
    quantity = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=MoveKind.choices)
    shipment = models.ForeignKey(
        Shipment, on_delete=models.RESTRICT, null=True, blank=True, related_name="moves"
    )
    moved_on = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="stock_move_positive"),
            models.CheckConstraint(
                condition=Q(from_location__isnull=False) | Q(to_location__isnull=False),
                name="stock_move_has_an_end",
            ),
            models.CheckConstraint(
                condition=~Q(from_location=models.F("to_location")),
                name="stock_move_not_to_itself",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "to_location", "product"], name="stock_move_in"),
            models.Index(fields=["team", "from_location", "product"], name="stock_move_out"),
        ]
