"""Stock and cost through bundles: the arithmetic, and the stock read from Amazon's."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ams.core.tenancy import team_scope
from ams.products.rollup import UnitCost, bundle_cost, component_units, roll_up_stock
from ams.products.selectors import product_stock, stock_rollups
from tests.amazon.factories import make_connection
from tests.dashboard.factories import DE, US, stock
from tests.factories import Personas
from tests.products.helpers import add_component, add_product

KIT, MUG, SPOON = 1, 2, 3
PARTS = {KIT: {MUG: 2, SPOON: 3}}


def test_stock_rolls_up_into_components_and_bundles_buildable():
    rolled = roll_up_stock({KIT: 5, MUG: 7, SPOON: 10}, PARTS)
    assert rolled[MUG].own == 7
    assert rolled[MUG].in_bundles == 10  # 5 kits of 2
    assert rolled[MUG].total == 17
    assert rolled[SPOON].total == 25
    # Loose: 7 mugs make 3 kits, 10 spoons make 3: three kits.
    assert rolled[KIT].buildable == 3
    assert rolled[MUG].buildable is None


def test_sold_bundles_become_component_units():
    assert component_units({KIT: 4, MUG: 1, 9: 2}, PARTS) == {MUG: 9, SPOON: 12, 9: 2}


def test_a_bundle_costs_the_sum_of_its_components():
    costs = {MUG: UnitCost("USD", Decimal("2.50")), SPOON: UnitCost("USD", Decimal("0.40"))}
    assert bundle_cost(PARTS[KIT], costs) == UnitCost("USD", Decimal("6.20"))
    assert bundle_cost(PARTS[KIT], {MUG: costs[MUG], SPOON: None}) == "a component has no price"
    mixed = {**costs, SPOON: UnitCost("EUR", Decimal("0.40"))}
    assert bundle_cost(PARTS[KIT], mixed) == "its components are priced in different currencies"
    assert bundle_cost({}, costs) == "the bundle has no components"


@pytest.mark.django_db
def test_product_stock_reads_every_sku_and_marketplace_of_the_team_only(personas: Personas):
    team = personas.team
    connection = make_connection(team)
    mug = add_product(team, "MUG", skus=("MUG-US", "MUG-EU"))
    kit = add_product(team, "KIT", skus=("KIT-1",))
    add_component(team, kit, mug, 2)
    stock(team, connection, "MUG-US", fulfillable=4, marketplace_id=US)
    stock(team, connection, "MUG-EU", fulfillable=3, marketplace_id=DE)
    stock(team, connection, "KIT-1", fulfillable=5, marketplace_id=US)
    stock(team, connection, "UNMAPPED", fulfillable=100, marketplace_id=US)
    # The outsider sells the same SKU: none of it counts here.
    theirs = make_connection(personas.outsider_team)
    add_product(personas.outsider_team, "MUG", skus=("MUG-US",))
    stock(personas.outsider_team, theirs, "MUG-US", fulfillable=1000, marketplace_id=US)
    with team_scope(team.id):
        mug_stock = product_stock(team, mug)
        kit_stock = product_stock(team, kit)
        everything = stock_rollups(team)
    assert (mug_stock.own, mug_stock.in_bundles, mug_stock.total) == (7, 10, 17)
    assert (kit_stock.own, kit_stock.buildable) == (5, 3)
    assert set(everything) == {mug.pk, kit.pk}
