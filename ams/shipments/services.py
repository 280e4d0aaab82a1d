"""Writes of locations, shipments and warehouse stock.

Each write checks its input and raises ``ShipmentError`` with a sentence for the seller before it
changes anything; ``<Model>.DoesNotExist`` means something the team does not have (a 404).

A shipment's status follows its legs: planned until a leg leaves, in transit until the last leg
arrives, then arrived until its units are counted in at the destination (received). Counting in
writes the location's stock moves and the purchase orders' receipts in one transaction, so the
stock, the orders and their cost batches never disagree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from ams.accounts.models import User
from ams.products.models import Product
from ams.purchasing.errors import PurchasingError
from ams.purchasing.models import POStatus, PurchaseOrderLine
from ams.purchasing.services import MAX_QUANTITY, receipt_record
from ams.shipments.models import (
    ON_THE_WAY,
    Location,
    LocationKind,
    MoveKind,
    Shipment,
    ShipmentLeg,
    ShipmentLine,
    ShipmentStatus,
    StockMove,
    TransportMode,
)
from ams.teams.models import Team

# Orders whose goods may be shipped: sent to the supplier and not yet closed or cancelled.
SHIPPABLE = (POStatus.SENT, POStatus.CONFIRMED, POStatus.PARTIALLY_RECEIVED)
_NUMBER_LOCK = 0x5348  # "SH": the advisory lock that numbers a team's shipments


class ShipmentError(ValueError):
    """Input a shipment or a stock move cannot take; the message says why, in the seller's terms."""


# --- Locations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationData:
    name: str
    kind: str
    address: str = ""
    country: str = ""
    note: str = ""


def _check_location(
    team: Team, data: LocationData, *, other_than: int | None = None
) -> LocationData:
    name = data.name.strip()
    if not name:
        raise ShipmentError("A location needs a name.")
    if data.kind not in LocationKind.values:
        raise ShipmentError("Say whether the location is your own warehouse or a 3PL.")
    country = data.country.strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise ShipmentError("The country is a two-letter code, such as US or DE.")
    taken = Location.objects.filter(team=team, name__iexact=name)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    if taken.exists():
        raise ShipmentError(f"You already have a location named {name}.")
    return LocationData(
        name=name,
        kind=data.kind,
        address=data.address.strip(),
        country=country,
        note=data.note.strip()[:500],
    )


@transaction.atomic
def location_create(*, team: Team, data: LocationData) -> Location:
    return Location.objects.create(team=team, **asdict(_check_location(team, data)))


@transaction.atomic
def location_update(*, team: Team, location_id: int, data: LocationData) -> Location:
    location = Location.objects.select_for_update().get(team=team, pk=location_id)
    values = asdict(_check_location(team, data, other_than=location.pk))
    for field, value in values.items():
        setattr(location, field, value)
    location.save(update_fields=list(values))
    return location


# --- Shipments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegInput:
    origin: str
    destination: str
    mode: str
    carrier: str = ""
    reference: str = ""
    planned_departure: date | None = None
    planned_arrival: date | None = None


def _next_number(team: Team) -> str:
    # Two shipments created at once must not take the same number: the second waits for the first.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_NUMBER_LOCK, team.id])
    count = Shipment.objects.filter(team=team).count()
    return f"SH-{count + 1:05d}"


def on_other_shipments(team: Team, order_line_ids: Sequence[int]) -> dict[int, int]:
    """Units of each order line already on a shipment still on its way (received units are in
    the line's ``received_quantity`` instead)."""
    rows = (
        ShipmentLine.objects.filter(
            team=team, order_line_id__in=order_line_ids, shipment__status__in=ON_THE_WAY
        )
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    )
    return {row["order_line_id"]: row["units"] for row in rows}


def _check_leg(leg: LegInput) -> LegInput:
    origin, destination = leg.origin.strip(), leg.destination.strip()
    if not origin or not destination:
        raise ShipmentError("A leg goes from somewhere to somewhere: name both ends.")
    if leg.mode not in TransportMode.values:
        raise ShipmentError("Choose how the leg travels: sea, air, express, truck or rail.")
    if (
        leg.planned_departure is not None
        and leg.planned_arrival is not None
        and leg.planned_arrival < leg.planned_departure
    ):
        raise ShipmentError("A leg cannot arrive before it leaves.")
    return LegInput(
        origin=origin[:200],
        destination=destination[:200],
        mode=leg.mode,
        carrier=leg.carrier.strip()[:200],
        reference=leg.reference.strip()[:100],
        planned_departure=leg.planned_departure,
        planned_arrival=leg.planned_arrival,
    )


@transaction.atomic
def shipment_create(
    *,
    team: Team,
    actor: User | None,
    destination_id: int,
    quantities: Mapping[int, int],
    cartons: Mapping[int, int] | None = None,
    legs: Sequence[LegInput] = (),
    note: str = "",
) -> Shipment:
    """A shipment of units of purchase order lines (``{order line id: units}``, of one order or
    several) to a location; a line can ship no more than its order still waits for."""
    destination = Location.objects.get(team=team, pk=destination_id)
    wanted = {line_id: n for line_id, n in quantities.items() if n}
    if not wanted:
        raise ShipmentError("The shipment carries nothing: enter the units it carries.")
    lines = {
        line.pk: line
        for line in PurchaseOrderLine.objects.select_for_update(of=("self",))
        .select_related("order", "product")
        .filter(team=team, pk__in=list(wanted))
    }
    if len(lines) != len(wanted):
        raise PurchaseOrderLine.DoesNotExist
    shipped = on_other_shipments(team, list(lines))
    for line_id, units in wanted.items():
        line = lines[line_id]
        what = f"{line.order.number} {line.product.code}"
        if line.order.status not in SHIPPABLE:
            raise ShipmentError(
                f"{line.order.number} is {line.order.get_status_display().lower()}: "
                "only a sent order's goods can ship."
            )
        if units < 0:
            raise ShipmentError(f"The units of {what} cannot be negative.")
        if units > MAX_QUANTITY:
            raise ShipmentError(f"The units of {what} are too many.")
        waiting = line.quantity - line.received_quantity - shipped.get(line_id, 0)
        if units > waiting:
            raise ShipmentError(
                f"{what}: {units} units, but only {max(waiting, 0)} are still to ship."
            )
    checked_legs = [_check_leg(leg) for leg in legs]
    if any(count < 0 for count in (cartons or {}).values()):
        raise ShipmentError("A number of cartons cannot be negative.")
    shipment = Shipment.objects.create(
        team=team,
        number=_next_number(team),
        destination=destination,
        note=note.strip(),
        created_by=actor,
    )
    ShipmentLine.objects.bulk_create(
        ShipmentLine(
            team=team,
            shipment=shipment,
            order_line=lines[line_id],
            product=lines[line_id].product,
            quantity=units,
            cartons=(cartons or {}).get(line_id) or None,
        )
        for line_id, units in wanted.items()
    )
    ShipmentLeg.objects.bulk_create(
        ShipmentLeg(team=team, shipment=shipment, position=i, **asdict(leg))
        for i, leg in enumerate(checked_legs, start=1)
    )
    return shipment


def _locked_shipment(team: Team, shipment_id: int) -> Shipment:
    return (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("destination")
        .get(team=team, pk=shipment_id)
    )


def _on_its_way(shipment: Shipment) -> None:
    if shipment.status not in ON_THE_WAY:
        raise ShipmentError(
            f"{shipment.number} is {shipment.get_status_display().lower()}: it cannot change."
        )


@transaction.atomic
def shipment_leg_add(*, team: Team, shipment_id: int, leg: LegInput) -> ShipmentLeg:
    shipment = _locked_shipment(team, shipment_id)
    _on_its_way(shipment)
    checked = _check_leg(leg)
    last = ShipmentLeg.objects.filter(team=team, shipment=shipment).order_by("-position").first()
    new = ShipmentLeg.objects.create(
        team=team,
        shipment=shipment,
        position=(last.position if last else 0) + 1,
        **asdict(checked),
    )
    _follow_legs(shipment)
    return new


@transaction.atomic
def shipment_leg_progress(
    *,
    team: Team,
    shipment_id: int,
    leg_id: int,
    departed_on: date | None,
    arrived_on: date | None,
) -> ShipmentLeg:
    """Record when a leg really left and arrived; the shipment's status follows its legs."""
    shipment = _locked_shipment(team, shipment_id)
    _on_its_way(shipment)
    leg = ShipmentLeg.objects.get(team=team, shipment=shipment, pk=leg_id)
    today = timezone.now().date()
    if (departed_on and departed_on > today) or (arrived_on and arrived_on > today):
        raise ShipmentError("A leg cannot have left or arrived on a day still to come.")
    if arrived_on is not None and departed_on is None:
        raise ShipmentError("A leg that arrived has left: enter the day it left too.")
    if departed_on and arrived_on and arrived_on < departed_on:
        raise ShipmentError("A leg cannot arrive before it leaves.")
    leg.departed_on, leg.arrived_on = departed_on, arrived_on
    leg.save(update_fields=["departed_on", "arrived_on"])
    _follow_legs(shipment)
    return leg


def _follow_legs(shipment: Shipment) -> None:
    legs = list(ShipmentLeg.objects.filter(team_id=shipment.team_id, shipment=shipment))
    if legs and legs[-1].arrived_on is not None:
        status = ShipmentStatus.ARRIVED
    elif any(leg.departed_on is not None for leg in legs):
        status = ShipmentStatus.IN_TRANSIT
    else:
        status = ShipmentStatus.PLANNED
    if status != shipment.status:
        shipment.status = status
        shipment.save(update_fields=["status"])


@transaction.atomic
def shipment_cancel(*, team: Team, shipment_id: int) -> Shipment:
    """Cancel a shipment that has not left: its units are again waiting to ship."""
    shipment = _locked_shipment(team, shipment_id)
    if shipment.status != ShipmentStatus.PLANNED:
        raise ShipmentError(
            f"{shipment.number} is {shipment.get_status_display().lower()}: "
            "only a shipment that has not left can be cancelled."
        )
    shipment.status = ShipmentStatus.CANCELLED
    shipment.save(update_fields=["status"])
    return shipment


@transaction.atomic
def shipment_receive(
    *,
    team: Team,
    actor: User | None,
    shipment_id: int,
    received_on: date,
    quantities: Mapping[int, int],
) -> Shipment:
    """Count a shipment in at its location: units per shipment line id (a line not named counted
    none). The units become the location's stock and the orders' receipts; fewer than shipped is
    a shortfall the shipment shows, more is refused (count again)."""
    shipment = _locked_shipment(team, shipment_id)
    _on_its_way(shipment)
    if received_on > timezone.now().date():
        raise ShipmentError("Goods cannot be counted in on a day still to come.")
    lines = list(
        ShipmentLine.objects.select_for_update(of=("self",))
        .select_related("order_line__order", "product")
        .filter(team=team, shipment=shipment)
    )
    known = {line.pk for line in lines}
    if set(quantities) - known:
        raise ShipmentLine.DoesNotExist
    per_order: dict[int, dict[int, int]] = defaultdict(dict)
    per_product: dict[int, int] = defaultdict(int)
    for line in lines:
        units = quantities.get(line.pk, 0)
        if units < 0:
            raise ShipmentError(f"The units of {line.product.code} cannot be negative.")
        if units > line.quantity:
            raise ShipmentError(
                f"{line.product.code}: {units} counted but {line.quantity} shipped. Count again, "
                "or record the extra units on the purchase order."
            )
        line.received_quantity = units
        if units:
            per_order[line.order_line.order_id][line.order_line_id] = units
            per_product[line.product_id] += units
    if not per_product:
        raise ShipmentError("Nothing was counted in: enter the units that arrived.")
    ShipmentLine.objects.bulk_update(lines, ["received_quantity"])
    for order_id, order_quantities in per_order.items():
        try:
            receipt_record(
                team=team,
                actor=actor,
                order_id=order_id,
                received_on=received_on,
                quantities=order_quantities,
                note=f"Shipment {shipment.number}",
            )
        except PurchasingError as exc:
            raise ShipmentError(str(exc)) from None
    StockMove.objects.bulk_create(
        StockMove(
            team=team,
            product_id=product_id,
            to_location=shipment.destination,
            quantity=units,
            kind=MoveKind.RECEIVED,
            shipment=shipment,
            moved_on=received_on,
            created_by=actor,
        )
        for product_id, units in per_product.items()
    )
    shipment.status = ShipmentStatus.RECEIVED
    shipment.received_on = received_on
    shipment.save(update_fields=["status", "received_on"])
    return shipment


# --- Stock at locations -------------------------------------------------------------------------


def on_hand(team: Team, location_id: int, product_id: int) -> int:
    """Units of the product at the location: what came in less what went out."""
    moves = StockMove.objects.filter(team=team, product_id=product_id)
    units_in = moves.filter(to_location_id=location_id).aggregate(n=Sum("quantity"))["n"] or 0
    units_out = moves.filter(from_location_id=location_id).aggregate(n=Sum("quantity"))["n"] or 0
    return int(units_in - units_out)


def _lock(team: Team, *location_ids: int) -> dict[int, Location]:
    # Moves out of a location wait for each other, so two cannot take the same units. Locked in
    # id order: two moves between the same two locations cannot deadlock.
    found = {
        location.pk: location
        for location in Location.objects.select_for_update()
        .filter(team=team, pk__in=location_ids)
        .order_by("pk")
    }
    if len(found) != len(set(location_ids)):
        raise Location.DoesNotExist
    return found


def _check_move(team: Team, product_id: int, quantity: int, moved_on: date) -> None:
    # Row-level security does not cover a foreign key's check: the product is looked up here.
    Product.objects.get(team=team, pk=product_id)
    if quantity < 1:
        raise ShipmentError("Move at least one unit.")
    if quantity > MAX_QUANTITY:
        raise ShipmentError("That is too many units.")
    if moved_on > timezone.now().date():
        raise ShipmentError("Stock cannot move on a day still to come.")


def _take(team: Team, location: Location, product_id: int, quantity: int) -> None:
    held = on_hand(team, location.pk, product_id)
    if quantity > held:
        raise ShipmentError(f"{location.name} holds {held} units of that product, not {quantity}.")


@transaction.atomic
def stock_move(
    *,
    team: Team,
    actor: User | None,
    product_id: int,
    from_location_id: int,
    to_location_id: int,
    quantity: int,
    moved_on: date,
    note: str = "",
) -> StockMove:
    """Move units between two locations."""
    if from_location_id == to_location_id:
        raise ShipmentError("Choose a different location to move the units to.")
    _check_move(team, product_id, quantity, moved_on)
    locations = _lock(team, from_location_id, to_location_id)
    _take(team, locations[from_location_id], product_id, quantity)
    return StockMove.objects.create(
        team=team,
        product_id=product_id,
        from_location=locations[from_location_id],
        to_location=locations[to_location_id],
        quantity=quantity,
        kind=MoveKind.MOVED,
        moved_on=moved_on,
        note=note.strip()[:500],
        created_by=actor,
    )


@transaction.atomic
def stock_send_to_amazon(
    *,
    team: Team,
    actor: User | None,
    location_id: int,
    product_id: int,
    quantity: int,
    moved_on: date,
    note: str = "",
) -> StockMove:
    """Units that left the location for Amazon's warehouses; from here Amazon's inventory counts
    them as inbound, then as sellable."""
    _check_move(team, product_id, quantity, moved_on)
    location = _lock(team, location_id)[location_id]
    _take(team, location, product_id, quantity)
    return StockMove.objects.create(
        team=team,
        product_id=product_id,
        from_location=location,
        quantity=quantity,
        kind=MoveKind.TO_AMAZON,
        moved_on=moved_on,
        note=note.strip()[:500],
        created_by=actor,
    )


@transaction.atomic
def stock_count(
    *,
    team: Team,
    actor: User | None,
    location_id: int,
    product_id: int,
    counted: int,
    moved_on: date,
    note: str = "",
) -> StockMove | None:
    """Set the units held to what a count found; the difference is kept as a correction (None
    when the count agrees)."""
    if counted < 0:
        raise ShipmentError("A count cannot be negative.")
    if counted > MAX_QUANTITY:
        raise ShipmentError("That is too many units.")
    if moved_on > timezone.now().date():
        raise ShipmentError("A count cannot be on a day still to come.")
    Product.objects.get(team=team, pk=product_id)
    location = _lock(team, location_id)[location_id]
    difference = counted - on_hand(team, location_id, product_id)
    if difference == 0:
        return None
    return StockMove.objects.create(
        team=team,
        product_id=product_id,
        from_location=location if difference < 0 else None,
        to_location=location if difference > 0 else None,
        quantity=abs(difference),
        kind=MoveKind.COUNTED,
        moved_on=moved_on,
        note=note.strip()[:500],
        created_by=actor,
    )
