"""Shipments from sent orders to a 3PL, leg by leg, counted in short; stock moved, sent to
Amazon and counted; every refusal changes nothing; another team's lines and products are out of
reach."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.purchasing.models import POStatus, PurchaseOrder, PurchaseOrderLine, Receipt
from ams.shipments import selectors
from ams.shipments.models import LocationKind, MoveKind, ShipmentStatus, StockMove
from ams.shipments.selectors import Pipeline
from ams.shipments.services import (
    LegInput,
    ShipmentError,
    on_hand,
    shipment_cancel,
    shipment_create,
    shipment_leg_add,
    shipment_leg_progress,
    shipment_receive,
    stock_count,
    stock_move,
    stock_send_to_amazon,
)
from tests.factories import Personas
from tests.shipments.helpers import add_location, sent_order

pytestmark = pytest.mark.django_db

TODAY = timezone.now().date()


def _lines(order: PurchaseOrder) -> dict[str, PurchaseOrderLine]:
    return {line.product.code: line for line in order.lines.select_related("product")}


def _product(team, code: str) -> Product:
    return Product.objects.get(team=team, code=code)


def test_a_shipment_of_two_orders_travels_and_is_counted_in_short(personas: Personas):
    team, member = personas.team, personas.member
    mugs = sent_order(team, member, {"MUG": 100, "LAMP": 50})
    boxes = sent_order(team, member, {"BOX": 30}, supplier="Shenzhen Boxes")
    reno = add_location(team)
    with team_scope(team.id):
        mug, lamp, box = _lines(mugs)["MUG"], _lines(mugs)["LAMP"], _lines(boxes)["BOX"]
        shipment = shipment_create(
            team=team,
            actor=member,
            destination_id=reno.pk,
            quantities={mug.pk: 60, lamp.pk: 50, box.pk: 30},
            cartons={mug.pk: 5},
            legs=[LegInput("Ningbo factory", "Ningbo port", "truck")],
        )
        assert shipment.number == "SH-00001"
        sea = shipment_leg_add(
            team=team,
            shipment_id=shipment.pk,
            leg=LegInput("Ningbo port", "Reno 3PL", "sea", reference="MSCU1234567"),
        )
        ids = {p.code: p.pk for p in Product.objects.filter(team=team)}
        assert selectors.pipeline(team)[ids["MUG"]] == Pipeline(
            ordered=40, in_production=0, in_transit=60, at_locations=0
        )
        # The units left on the order are all a second shipment can take.
        with pytest.raises(ShipmentError, match="MUG: 41 units, but only 40 are still to ship"):
            shipment_create(
                team=team, actor=member, destination_id=reno.pk, quantities={mug.pk: 41}
            )

        first = shipment.legs.get(position=1)
        shipment_leg_progress(
            team=team, shipment_id=shipment.pk, leg_id=first.pk, departed_on=TODAY, arrived_on=None
        )
        shipment.refresh_from_db()
        assert shipment.status == ShipmentStatus.IN_TRANSIT
        with pytest.raises(ShipmentError, match="still to come"):
            shipment_leg_progress(
                team=team,
                shipment_id=shipment.pk,
                leg_id=sea.pk,
                departed_on=TODAY,
                arrived_on=TODAY + timedelta(days=1),
            )
        shipment_leg_progress(
            team=team, shipment_id=shipment.pk, leg_id=sea.pk, departed_on=TODAY, arrived_on=TODAY
        )
        shipment.refresh_from_db()
        assert shipment.status == ShipmentStatus.ARRIVED

        lines = {line.product.code: line for line in shipment.lines.select_related("product")}
        with pytest.raises(ShipmentError, match="61 counted but 60 shipped"):
            shipment_receive(
                team=team,
                actor=member,
                shipment_id=shipment.pk,
                received_on=TODAY,
                quantities={lines["MUG"].pk: 61},
            )
        assert not StockMove.objects.exists()
        shipment_receive(
            team=team,
            actor=member,
            shipment_id=shipment.pk,
            received_on=TODAY,
            quantities={lines["MUG"].pk: 58, lines["LAMP"].pk: 50, lines["BOX"].pk: 30},
        )
        shipment.refresh_from_db()
        assert (shipment.status, shipment.received_on) == (ShipmentStatus.RECEIVED, TODAY)
        assert {line.product.code: line.shortfall for line in shipment.lines.all()} == {
            "MUG": 2,
            "LAMP": 0,
            "BOX": 0,
        }
        # The orders received what was counted in, each with its own receipt.
        mugs.refresh_from_db()
        boxes.refresh_from_db()
        assert (mugs.status, boxes.status) == (POStatus.PARTIALLY_RECEIVED, POStatus.RECEIVED)
        assert _lines(mugs)["MUG"].received_quantity == 58
        assert Receipt.objects.filter(note="Shipment SH-00001").count() == 2
        assert on_hand(team, reno.pk, ids["MUG"]) == 58
        assert selectors.pipeline(team)[ids["MUG"]] == Pipeline(
            ordered=0, in_production=42, in_transit=0, at_locations=58
        )
        # Counted in, the shipment cannot change again.
        with pytest.raises(ShipmentError, match="is received: it cannot change"):
            shipment_leg_add(
                team=team, shipment_id=shipment.pk, leg=LegInput("Reno", "Reno", "truck")
            )


def test_stock_moves_between_locations_to_amazon_and_after_a_count(personas: Personas):
    team, member = personas.team, personas.member
    order = sent_order(team, member, {"MUG": 40})
    reno = add_location(team)
    home = add_location(team, "Garage", LocationKind.OWN)
    with team_scope(team.id):
        line = _lines(order)["MUG"]
        shipment = shipment_create(
            team=team, actor=member, destination_id=reno.pk, quantities={line.pk: 40}
        )
        shipment_receive(
            team=team,
            actor=member,
            shipment_id=shipment.pk,
            received_on=TODAY,
            quantities={shipment.lines.get().pk: 40},
        )
        mug = _product(team, "MUG").pk
        stock_move(
            team=team,
            actor=member,
            product_id=mug,
            from_location_id=reno.pk,
            to_location_id=home.pk,
            quantity=15,
            moved_on=TODAY,
        )
        with pytest.raises(ShipmentError, match="Reno 3PL holds 25 units of that product, not 26"):
            stock_send_to_amazon(
                team=team,
                actor=member,
                location_id=reno.pk,
                product_id=mug,
                quantity=26,
                moved_on=TODAY,
            )
        stock_send_to_amazon(
            team=team,
            actor=member,
            location_id=reno.pk,
            product_id=mug,
            quantity=20,
            moved_on=TODAY,
        )
        assert (
            stock_count(
                team=team,
                actor=member,
                location_id=reno.pk,
                product_id=mug,
                counted=5,
                moved_on=TODAY,
            )
            is None
        )  # the count agrees
        correction = stock_count(
            team=team, actor=member, location_id=home.pk, product_id=mug, counted=14, moved_on=TODAY
        )
        assert correction is not None
        assert (correction.kind, correction.quantity) == (MoveKind.COUNTED, 1)
        assert (on_hand(team, reno.pk, mug), on_hand(team, home.pk, mug)) == (5, 14)
        assert selectors.stock_by_location(team) == {reno.pk: {mug: 5}, home.pk: {mug: 14}}
        assert [h.units for h in selectors.location_stock(team, home)] == [14]


def test_a_planned_shipment_cancelled_gives_its_units_back_to_the_order(personas: Personas):
    team, member = personas.team, personas.member
    order = sent_order(team, member, {"MUG": 10})
    reno = add_location(team)
    with team_scope(team.id):
        line = _lines(order)["MUG"]
        shipment = shipment_create(
            team=team, actor=member, destination_id=reno.pk, quantities={line.pk: 10}
        )
        assert selectors.shippable_lines(team) == []
        shipment_cancel(team=team, shipment_id=shipment.pk)
        assert [(s.line.pk, s.waiting) for s in selectors.shippable_lines(team)] == [(line.pk, 10)]
        again = shipment_create(
            team=team, actor=member, destination_id=reno.pk, quantities={line.pk: 10}
        )
        first_leg = shipment_leg_add(
            team=team, shipment_id=again.pk, leg=LegInput("Factory", "Reno", "air")
        )
        shipment_leg_progress(
            team=team, shipment_id=again.pk, leg_id=first_leg.pk, departed_on=TODAY, arrived_on=None
        )
        with pytest.raises(ShipmentError, match="only a shipment that has not left"):
            shipment_cancel(team=team, shipment_id=again.pk)


def test_a_draft_order_cannot_ship_and_a_bad_leg_is_refused(personas: Personas):
    from ams.purchasing.services import LineInput, create_purchase_order
    from tests.products.helpers import add_product
    from tests.purchasing.helpers import add_supplier

    team, member = personas.team, personas.member
    supplier = add_supplier(team)
    product = add_product(team, "MUG")
    reno = add_location(team)
    with team_scope(team.id):
        draft = create_purchase_order(
            team=team,
            actor=member,
            supplier_id=supplier.pk,
            lines=[LineInput(product.pk, 5, Decimal(1))],
        )
        line = draft.lines.get()
        with pytest.raises(ShipmentError, match="only a sent order's goods can ship"):
            shipment_create(
                team=team, actor=member, destination_id=reno.pk, quantities={line.pk: 5}
            )
    order = sent_order(team, member, {"LAMP": 5}, supplier="Lamp Works")
    with team_scope(team.id):
        lamp = _lines(order)["LAMP"]
        with pytest.raises(ShipmentError, match="cannot arrive before it leaves"):
            shipment_create(
                team=team,
                actor=member,
                destination_id=reno.pk,
                quantities={lamp.pk: 5},
                legs=[
                    LegInput(
                        "A",
                        "B",
                        "sea",
                        planned_departure=date(2026, 5, 2),
                        planned_arrival=date(2026, 5, 1),
                    )
                ],
            )
        with pytest.raises(ShipmentError, match="carries nothing"):
            shipment_create(
                team=team, actor=member, destination_id=reno.pk, quantities={lamp.pk: 0}
            )
        assert not selectors.shipments(team).exists()


def test_another_teams_order_lines_products_and_locations_are_out_of_reach(personas: Personas):
    team, member = personas.team, personas.member
    outsider_team = personas.outsider_team
    theirs = sent_order(outsider_team, None, {"SECRET": 10})
    their_location = add_location(outsider_team, "Their 3PL")
    reno = add_location(team)
    with team_scope(outsider_team.id):
        their_line = theirs.lines.get()
        their_product = their_line.product_id
    with team_scope(team.id):
        with pytest.raises(PurchaseOrderLine.DoesNotExist):
            shipment_create(
                team=team, actor=member, destination_id=reno.pk, quantities={their_line.pk: 1}
            )
        with pytest.raises(Exception, match="does not exist"):
            shipment_create(
                team=team, actor=member, destination_id=their_location.pk, quantities={1: 1}
            )
        with pytest.raises(Product.DoesNotExist):
            stock_count(
                team=team,
                actor=member,
                location_id=reno.pk,
                product_id=their_product,
                counted=5,
                moved_on=TODAY,
            )
        assert not StockMove.objects.exists()
    with team_scope(outsider_team.id):
        assert selectors.pipeline(outsider_team) == {
            their_product: Pipeline(ordered=10, in_production=0, in_transit=0, at_locations=0)
        }
