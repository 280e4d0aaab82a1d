"""Landed cost: charges on an order spread over its lines by units, value, weight or volume, to
the cent by the largest remainder; a product without its weight or size is named and nothing is
written; the form on the order's page by role; another team's order is a 404 and stays as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.purchasing.errors import PurchasingError
from ams.purchasing.landed import allocate
from ams.purchasing.models import LandedCharge, PurchaseOrder
from ams.purchasing.selectors import order_charges
from ams.purchasing.services import LineInput, create_purchase_order, landed_charge_add
from tests.factories import Personas
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_supplier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        yield


def test_allocate_gives_the_cents_left_to_the_largest_remainders():
    # 10.00 over three equal lines: 3.333… each; the cent left goes to the first among equals.
    assert allocate(1000, [1, 1, 1]) == [334, 333, 333]
    # 1.00 over 1, 2, 3 (1/6, 2/6, 3/6): 16.67, 33.33, 50 → floors 16, 33, 50; one cent to 16.67.
    assert allocate(100, [1, 2, 3]) == [17, 33, 50]
    for total, weights in ((999, [7, 11, 13, 17]), (1, [5, 5]), (12345, [Decimal("0.3")] * 7)):
        assert sum(allocate(total, weights)) == total
    with pytest.raises(PurchasingError):
        allocate(100, [0, 0])


@pytest.fixture
def order(personas: Personas) -> PurchaseOrder:
    team = personas.team
    supplier = add_supplier(team)
    mug = add_product(team, "MUG")
    lamp = add_product(team, "LAMP")
    with team_scope(team.id):
        Product.objects.filter(pk=mug.pk).update(
            unit_weight_g=Decimal(300),
            unit_length_cm=Decimal(10),
            unit_width_cm=Decimal(10),
            unit_height_cm=Decimal(10),
        )
        Product.objects.filter(pk=lamp.pk).update(unit_weight_g=Decimal(900))
        made = create_purchase_order(
            team=team,
            actor=personas.member,
            supplier_id=supplier.pk,
            lines=[
                LineInput(mug.pk, 100, unit_price=Decimal("2.00")),
                LineInput(lamp.pk, 50, unit_price=Decimal("8.00")),
            ],
        )
    theirs = add_supplier(personas.outsider_team, "Secret supplier")
    their_mug = add_product(personas.outsider_team, "SECRET")
    with team_scope(personas.outsider_team.id):
        create_purchase_order(
            team=personas.outsider_team,
            actor=None,
            supplier_id=theirs.pk,
            lines=[LineInput(their_mug.pk, 1, unit_price=Decimal(1))],
        )
    return made


def add(p: Personas, order: PurchaseOrder, basis: str, amount: str = "100.00") -> LandedCharge:
    with team_scope(p.team.id):
        return landed_charge_add(
            team=p.team,
            order_id=order.pk,
            kind="freight",
            amount=Decimal(amount),
            currency="USD",
            basis=basis,
            paid_on=date(2026, 3, 1),
        )


def parts(p: Personas, order: PurchaseOrder) -> list[list[tuple[str, Decimal]]]:
    with team_scope(p.team.id):
        return [
            [(line.product.code, part) for line, part in split.parts]
            for split in order_charges(p.team, order)
        ]


def test_a_charge_is_spread_by_units_value_and_weight(personas, order):
    add(personas, order, "units")  # 100 and 50 units
    add(personas, order, "value")  # 200.00 and 400.00
    add(personas, order, "weight")  # 30 kg and 45 kg
    assert parts(personas, order) == [
        [("MUG", Decimal("66.67")), ("LAMP", Decimal("33.33"))],
        [("MUG", Decimal("33.33")), ("LAMP", Decimal("66.67"))],
        [("MUG", Decimal("40.00")), ("LAMP", Decimal("60.00"))],
    ]


def test_a_product_without_its_size_is_named_and_nothing_is_written(personas, order):
    with pytest.raises(PurchasingError, match="LAMP has no unit size"):
        add(personas, order, "volume")
    with team_scope(personas.team.id):
        assert not LandedCharge.objects.exists()


def test_bad_charges_are_refused(personas, order):
    for amount, currency, basis in (
        ("-1", "USD", "units"),
        ("5", "US", "units"),
        ("5", "USD", "x"),
    ):
        with pytest.raises(PurchasingError), team_scope(personas.team.id):
            landed_charge_add(
                team=personas.team,
                order_id=order.pk,
                kind="duty",
                amount=Decimal(amount),
                currency=currency,
                basis=basis,
            )
    with team_scope(personas.team.id):
        assert not LandedCharge.objects.exists()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_order_page_adds_and_removes_charges_by_role(personas, order):
    page = f"/t/{personas.team.slug}/purchasing/orders/{order.pk}/"
    form = {"kind": "duty", "amount": "12.50", "currency": "eur", "basis": "units", "note": "HS"}
    assert client_for(personas.viewer).post(page + "charges/", form).status_code == 403
    member = client_for(personas.member)
    assert member.post(page + "charges/", form).status_code == 302
    html = member.get(page).content.decode()
    assert "12.50 EUR" in html
    assert "MUG: 8.33" in html
    assert "LAMP: 4.17" in html
    refused = member.post(page + "charges/", {**form, "basis": "volume"})
    assert refused.status_code == 400
    assert "LAMP has no unit size" in refused.content.decode()
    with team_scope(personas.team.id):
        charge = LandedCharge.objects.get()
    assert member.post(page + f"charges/{charge.pk}/remove/").status_code == 302
    with team_scope(personas.team.id):
        assert not LandedCharge.objects.exists()


def test_another_teams_order_is_a_404_and_takes_no_charge(personas, order):
    with team_scope(personas.outsider_team.id):
        theirs = PurchaseOrder.objects.get()
    page = f"/t/{personas.team.slug}/purchasing/orders/{theirs.pk}/charges/"
    form = {"kind": "duty", "amount": "1", "currency": "USD", "basis": "units"}
    assert client_for(personas.owner).post(page, form).status_code == 404
    with pytest.raises(PurchaseOrder.DoesNotExist), team_scope(personas.team.id):
        landed_charge_add(
            team=personas.team,
            order_id=theirs.pk,
            kind="duty",
            amount=Decimal(1),
            currency="USD",
            basis="units",
        )
    with team_scope(personas.outsider_team.id):
        assert not LandedCharge.objects.exists()
