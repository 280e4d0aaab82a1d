"""Suppliers: terms, contacts, minimum orders and case packs, prices with quantity breaks and
validity; the price that applies and what a unit (or a bundle) costs to buy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.products.rollup import UnitCost
from ams.purchasing.errors import PurchasingError
from ams.purchasing.models import Supplier, SupplierContact, SupplierPrice, SupplierProduct
from ams.purchasing.selectors import price_for, product_cost
from ams.purchasing.supplier_services import (
    SupplierData,
    supplier_contact_add,
    supplier_contact_remove,
    supplier_create,
    supplier_price_add,
    supplier_price_remove,
    supplier_product_set,
    supplier_update,
)
from ams.teams.models import Team
from tests.factories import Personas
from tests.products.helpers import add_component, add_product
from tests.purchasing.helpers import add_price, add_supplier

pytestmark = pytest.mark.django_db


def snapshot(team: Team) -> tuple[list[Any], ...]:
    with team_scope(team.id):
        return (
            sorted(Supplier.objects.values_list("id", "name", "currency", "deposit_percent")),
            sorted(SupplierContact.objects.values_list("id", "name")),
            sorted(
                SupplierProduct.objects.values_list("id", "minimum_order_quantity", "case_pack")
            ),
            sorted(SupplierPrice.objects.values_list("id", "unit_price", "min_quantity")),
        )


def test_a_supplier_keeps_its_terms(personas: Personas):
    supplier = add_supplier(
        personas.team,
        "Ningbo Mugs",
        currency="cny",
        incoterm="FOB",
        deposit_percent=Decimal("30"),
        balance_due="shipment",
        balance_days=7,
        stated_lead_time_days=45,
    )
    with team_scope(personas.team.id):
        supplier.refresh_from_db()
    assert (supplier.currency, supplier.incoterm, supplier.deposit_percent) == (
        "CNY",
        "FOB",
        Decimal("30.00"),
    )
    assert supplier.get_balance_due_display() == "on shipment"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SupplierData(name=" ", currency="USD"), "needs a name"),
        (SupplierData(name="X", currency="US"), "three-letter code"),
        (SupplierData(name="X", currency="USD", incoterm="XYZ"), "not an Incoterm"),
        (SupplierData(name="X", currency="USD", deposit_percent=Decimal(101)), "between 0 and 100"),
        (SupplierData(name="X", currency="USD", balance_due="never"), "on order, on shipment"),
        (SupplierData(name="X", currency="USD", stated_lead_time_days=-1), "cannot be negative"),
        (SupplierData(name="Ningbo Mugs", currency="USD"), "already have a supplier called"),
    ],
)
def test_bad_supplier_input_is_refused_and_changes_nothing(personas: Personas, data, message):
    add_supplier(personas.team)
    before = snapshot(personas.team)
    with team_scope(personas.team.id), pytest.raises(PurchasingError, match=message):
        supplier_create(team=personas.team, data=data)
    assert snapshot(personas.team) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit_price": Decimal("-1")}, "cannot be negative"),
        ({"min_quantity": 0}, "starts at 1 unit"),
        ({"valid_until": date(2025, 12, 31)}, "cannot end before it starts"),
        ({"currency": "dollars"}, "three-letter code"),
    ],
)
def test_bad_prices_are_refused_and_change_nothing(personas: Personas, change, message):
    team = personas.team
    supplier = add_supplier(team)
    mug = add_product(team, "MUG")
    add_price(team, supplier, mug, "2.00")
    before = snapshot(team)
    arguments: dict[str, Any] = {
        "unit_price": Decimal("1.80"),
        "min_quantity": 500,
        "valid_from": date(2026, 1, 1),
        **change,
    }
    with team_scope(team.id), pytest.raises(PurchasingError, match=message):
        supplier_price_add(team=team, supplier_id=supplier.pk, product_id=mug.pk, **arguments)
    assert snapshot(team) == before


def test_minimum_order_and_case_pack_are_set_and_checked(personas: Personas):
    team = personas.team
    supplier = add_supplier(team)
    mug = add_product(team, "MUG")
    with team_scope(team.id):
        supplier_product_set(
            team=team,
            supplier_id=supplier.pk,
            product_id=mug.pk,
            minimum_order_quantity=300,
            case_pack=24,
        )
        supplier_product_set(
            team=team,
            supplier_id=supplier.pk,
            product_id=mug.pk,
            minimum_order_quantity=500,
            case_pack=24,
        )
        assert list(SupplierProduct.objects.values_list("minimum_order_quantity", "case_pack")) == [
            (500, 24)
        ]
        with pytest.raises(PurchasingError, match="at least 1"):
            supplier_product_set(
                team=team, supplier_id=supplier.pk, product_id=mug.pk, minimum_order_quantity=0
            )


def test_contacts_are_added_and_removed(personas: Personas):
    team = personas.team
    supplier = add_supplier(team)
    with team_scope(team.id):
        contact = supplier_contact_add(
            team=team,
            supplier_id=supplier.pk,
            name="Amy Chen",
            role="Sales",
            email="amy@example.test",
        )
        with pytest.raises(PurchasingError, match="needs a name"):
            supplier_contact_add(team=team, supplier_id=supplier.pk, name="")
        supplier_contact_remove(team=team, supplier_id=supplier.pk, contact_id=contact.pk)
        assert SupplierContact.objects.count() == 0


def test_another_teams_supplier_and_product_cannot_be_used(personas: Personas):
    theirs = add_supplier(personas.outsider_team, "Their supplier")
    their_product = add_product(personas.outsider_team, "SECRET")
    add_price(personas.outsider_team, theirs, their_product, "9.99")
    mine = add_supplier(personas.team)
    mug = add_product(personas.team, "MUG")
    before = snapshot(personas.outsider_team)
    team = personas.team
    with team_scope(team.id):
        with pytest.raises(Supplier.DoesNotExist):
            supplier_update(
                team=team, supplier_id=theirs.pk, data=SupplierData(name="Mine", currency="USD")
            )
        with pytest.raises(Supplier.DoesNotExist):
            supplier_contact_add(team=team, supplier_id=theirs.pk, name="Me")
        with pytest.raises(Product.DoesNotExist):
            supplier_price_add(
                team=team,
                supplier_id=mine.pk,
                product_id=their_product.pk,
                unit_price=Decimal(1),
                valid_from=date(2026, 1, 1),
            )
        with pytest.raises(Supplier.DoesNotExist):
            supplier_product_set(team=team, supplier_id=theirs.pk, product_id=mug.pk)
        with pytest.raises(SupplierPrice.DoesNotExist):
            supplier_price_remove(team=team, supplier_id=theirs.pk, price_id=1)
    assert snapshot(personas.outsider_team) == before


def test_the_price_is_the_highest_quantity_break_valid_on_the_day(personas: Personas):
    team = personas.team
    supplier = add_supplier(team)
    mug = add_product(team, "MUG")
    add_price(team, supplier, mug, "2.00", valid_until=date(2026, 6, 30))
    add_price(team, supplier, mug, "1.80", min_quantity=500, valid_until=date(2026, 6, 30))
    add_price(team, supplier, mug, "1.50", min_quantity=1000, valid_until=date(2026, 6, 30))
    add_price(team, supplier, mug, "2.20", valid_from=date(2026, 7, 1))

    def price(quantity: int, day: date) -> Decimal | None:
        with team_scope(team.id):
            found = price_for(team, supplier=supplier, product_id=mug.pk, quantity=quantity, on=day)
        return found.unit_price if found else None

    assert price(100, date(2026, 3, 1)) == Decimal("2.00")
    assert price(500, date(2026, 3, 1)) == Decimal("1.80")
    assert price(999, date(2026, 3, 1)) == Decimal("1.80")
    assert price(5000, date(2026, 3, 1)) == Decimal("1.50")
    # From July only the new single price is valid, whatever the quantity.
    assert price(5000, date(2026, 7, 1)) == Decimal("2.20")
    assert price(10, date(2025, 12, 31)) is None


def test_a_unit_costs_the_main_suppliers_price_and_a_bundle_the_sum_of_its_parts(
    personas: Personas,
):
    team = personas.team
    supplier = add_supplier(team)
    mug, spoon, kit = (add_product(team, c) for c in ("MUG", "SPOON", "KIT"))
    add_component(team, kit, mug, 2)
    add_component(team, kit, spoon, 3)
    add_price(team, supplier, mug, "2.00", moq=500)
    add_price(team, supplier, mug, "1.80", min_quantity=500)
    day = date(2026, 3, 1)
    with team_scope(team.id):
        assert product_cost(team, mug, on=day).cost == UnitCost("USD", Decimal("1.80"))
        assert product_cost(team, kit, on=day).basis == "a component has no price"
    add_price(team, supplier, spoon, "0.40")
    with team_scope(team.id):
        assert product_cost(team, kit, on=day).cost == UnitCost("USD", Decimal("4.80"))
        assert product_cost(team, spoon, on=date(2025, 1, 1)).cost is None
