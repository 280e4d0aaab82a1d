"""Products, their SKUs and bundles: the writes, their checks, and another team's ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ams.core.tenancy import team_scope
from ams.products.models import BundleComponent, Product, ProductSku
from ams.products.selectors import sku_map
from ams.products.services import (
    ProductData,
    ProductError,
    bundle_component_set,
    product_create,
    product_sku_add,
    product_sku_remove,
    product_update,
)
from ams.teams.models import Team
from tests.factories import Personas
from tests.products.helpers import add_component, add_product

pytestmark = pytest.mark.django_db
US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"


def snapshot(team: Team) -> tuple[list[Any], ...]:
    with team_scope(team.id):
        return (
            sorted(Product.objects.values_list("id", "code", "name", "country_of_origin")),
            sorted(ProductSku.objects.values_list("product_id", "sku", "marketplace_id")),
            sorted(BundleComponent.objects.values_list("bundle_id", "component_id", "quantity")),
        )


def test_product_create_keeps_the_attributes(personas: Personas):
    team = personas.team
    with team_scope(team.id):
        product = product_create(
            team=team,
            data=ProductData(
                name=" Mug ",
                code="MUG",
                hs_code="6912.00",
                country_of_origin="cn",
                unit_weight_g=Decimal("350"),
                units_per_carton=24,
                carton_weight_kg=Decimal("9.5"),
            ),
        )
        product.refresh_from_db()
    assert (product.name, product.country_of_origin, product.units_per_carton) == ("Mug", "CN", 24)
    assert product.carton_weight_kg == Decimal("9.50")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ProductData(name="", code="X"), "needs a name"),
        (ProductData(name="X", code=" "), "needs a code"),
        (ProductData(name="X", code="X", country_of_origin="CHN"), "two-letter code"),
        (ProductData(name="X", code="X", unit_weight_g=Decimal("-1")), "more than zero"),
        (ProductData(name="X", code="X", units_per_carton=0), "at least 1"),
        (ProductData(name="Another", code="MUG"), "already have a product with the code MUG"),
    ],
)
def test_bad_product_input_is_refused_and_changes_nothing(personas: Personas, data, message):
    add_product(personas.team, "MUG")
    before = snapshot(personas.team)
    with team_scope(personas.team.id), pytest.raises(ProductError, match=message):
        product_create(team=personas.team, data=data)
    assert snapshot(personas.team) == before


def test_another_teams_product_cannot_be_changed(personas: Personas):
    theirs = add_product(personas.outsider_team, "SECRET", skus=("SECRET-SKU",))
    add_product(personas.team, "MUG")
    before = snapshot(personas.outsider_team)
    team = personas.team
    with team_scope(team.id):
        with pytest.raises(Product.DoesNotExist):
            product_update(team=team, product_id=theirs.pk, data=ProductData(name="Mine", code="M"))
        with pytest.raises(Product.DoesNotExist):
            product_sku_add(team=team, product_id=theirs.pk, sku="X", marketplace_id=None)
        with pytest.raises(ProductSku.DoesNotExist):
            product_sku_remove(team=team, product_id=theirs.pk, product_sku_id=1)
        mine = Product.objects.get(code="MUG")
        with pytest.raises(Product.DoesNotExist):
            bundle_component_set(team=team, bundle_id=mine.pk, component_id=theirs.pk, quantity=2)
    assert snapshot(personas.outsider_team) == before


def test_a_product_sells_under_several_skus_and_a_marketplace_mapping_comes_first(
    personas: Personas,
):
    team = personas.team
    mug = add_product(team, "MUG", skus=("MUG-US", "MUG-EU"))
    gift = add_product(team, "GIFT")
    with team_scope(team.id):
        # In Germany the same SKU sells another product.
        product_sku_add(team=team, product_id=gift.pk, sku="MUG-EU", marketplace_id=DE)
        mapping = sku_map(team)
        with pytest.raises(ProductError, match="MUG-US already sells MUG in every marketplace"):
            product_sku_add(team=team, product_id=gift.pk, sku="MUG-US", marketplace_id=None)
        with pytest.raises(ProductError, match="marketplace is not one AMS knows"):
            product_sku_add(team=team, product_id=gift.pk, sku="G", marketplace_id="NOPE")
    assert mapping.product_of("MUG-US", US) == mug.pk
    assert mapping.product_of("MUG-EU", US) == mug.pk
    assert mapping.product_of("MUG-EU", DE) == gift.pk
    assert mapping.product_of("OTHER", US) is None


def test_bundle_components_are_set_changed_and_removed(personas: Personas):
    team = personas.team
    kit, mug, spoon = (add_product(team, c) for c in ("KIT", "MUG", "SPOON"))
    add_component(team, kit, mug, 2)
    add_component(team, kit, spoon, 1)
    add_component(team, kit, spoon, 3)
    with team_scope(team.id):
        assert sorted(BundleComponent.objects.values_list("component__code", "quantity")) == [
            ("MUG", 2),
            ("SPOON", 3),
        ]
    add_component(team, kit, mug, 0)
    with team_scope(team.id):
        assert list(BundleComponent.objects.values_list("component__code", flat=True)) == ["SPOON"]


@pytest.mark.parametrize(
    ("bundle", "component", "quantity", "message"),
    [
        ("KIT", "MUG", -1, "negative number"),
        ("KIT", "KIT", 1, "cannot contain itself"),
        ("BIGKIT", "KIT", 1, "is a bundle itself"),
        ("MUG", "SPOON", 1, "is a component of another bundle"),
    ],
)
def test_bad_bundles_are_refused_and_change_nothing(
    personas: Personas, bundle, component, quantity, message
):
    team = personas.team
    products = {c: add_product(team, c) for c in ("KIT", "MUG", "SPOON", "BIGKIT")}
    add_component(team, products["KIT"], products["MUG"], 2)
    before = snapshot(team)
    with team_scope(team.id), pytest.raises(ProductError, match=message):
        bundle_component_set(
            team=team,
            bundle_id=products[bundle].pk,
            component_id=products[component].pk,
            quantity=quantity,
        )
    assert snapshot(team) == before
