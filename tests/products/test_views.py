"""The product pages: list, detail, forms, export; every test has an outsider."""

from __future__ import annotations

import pytest
from django.test import Client

from ams.core.tenancy import team_scope
from ams.products.models import BundleComponent, Product, ProductSku
from tests.amazon.factories import make_connection
from tests.dashboard.factories import listing, stock
from tests.factories import Personas
from tests.procurement.helpers import streamed
from tests.products.helpers import add_component, add_product

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(p: Personas, tail: str = "") -> str:
    return f"/t/{p.team.slug}/products/{tail}"


@pytest.fixture
def seeded(personas: Personas) -> Personas:
    team = personas.team
    connection = make_connection(team)
    mug = add_product(team, "MUG", name="Blue mug", skus=("MUG-1",))
    kit = add_product(team, "KIT", name="Mug kit", skus=("KIT-1",))
    add_component(team, kit, mug, 2)
    listing(team, connection, "MUG-1", title="Blue mug 350 ml")
    stock(team, connection, "MUG-1", fulfillable=6)
    add_product(personas.outsider_team, "SECRET", name="Secret thing", skus=("SECRET-SKU",))
    return personas


def test_the_list_shows_the_teams_products_with_their_stock(seeded: Personas):
    response = client_for(seeded.viewer).get(url(seeded))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Blue mug" in html
    assert "bundle of 1" in html
    assert "Secret thing" not in html
    assert "New product" not in html  # a viewer is not offered the form


def test_the_detail_shows_skus_listings_components_and_stock(seeded: Personas):
    with team_scope(seeded.team.id):
        kit = Product.objects.get(code="KIT")
        mug = Product.objects.get(code="MUG")
    html = client_for(seeded.viewer).get(url(seeded, f"{mug.pk}/")).content.decode()
    assert "MUG-1" in html
    assert "Blue mug 350 ml" in html
    assert "KIT</a> (2 per bundle)" in html
    html = client_for(seeded.viewer).get(url(seeded, f"{kit.pk}/")).content.decode()
    assert "Bundles the loose components make</dt><dd>3" in html


def test_another_teams_product_is_a_404(seeded: Personas):
    with team_scope(seeded.outsider_team.id):
        secret = Product.objects.get(code="SECRET")
    owner = client_for(seeded.owner)
    assert owner.get(url(seeded, f"{secret.pk}/")).status_code == 404
    response = owner.post(url(seeded, f"{secret.pk}/skus/"), {"sku": "STOLEN"})
    assert response.status_code == 404
    with team_scope(seeded.outsider_team.id):
        assert list(ProductSku.objects.values_list("sku", flat=True)) == ["SECRET-SKU"]
    assert client_for(seeded.outsider).get(url(seeded)).status_code == 404


def test_a_member_creates_and_edits_a_product(seeded: Personas):
    member = client_for(seeded.member)
    response = member.post(
        url(seeded, "new/"),
        {"name": "Lamp", "code": "LAMP", "country_of_origin": "de", "units_per_carton": "12"},
    )
    with team_scope(seeded.team.id):
        lamp = Product.objects.get(code="LAMP")
    assert response.status_code == 302
    assert lamp.country_of_origin == "DE"
    response = member.post(url(seeded, f"{lamp.pk}/edit/"), {"name": "Desk lamp", "code": "LAMP"})
    assert response.status_code == 302
    with team_scope(seeded.team.id):
        assert Product.objects.get(pk=lamp.pk).name == "Desk lamp"


def test_bad_input_shows_the_error_and_saves_nothing(seeded: Personas):
    member = client_for(seeded.member)
    response = member.post(url(seeded, "new/"), {"name": "Again", "code": "MUG"})
    assert response.status_code == 400
    assert "already have a product with the code MUG" in response.content.decode()
    with team_scope(seeded.team.id):
        mug = Product.objects.get(code="MUG")
        kit = Product.objects.get(code="KIT")
        assert Product.objects.count() == 2
    response = member.post(
        url(seeded, f"{mug.pk}/components/"), {"component": kit.pk, "quantity": "1"}
    )
    assert response.status_code == 400
    assert "is a component of another bundle" in response.content.decode()
    with team_scope(seeded.team.id):
        assert BundleComponent.objects.filter(bundle=mug).count() == 0


def test_a_viewer_cannot_write(seeded: Personas):
    with team_scope(seeded.team.id):
        mug = Product.objects.get(code="MUG")
    viewer = client_for(seeded.viewer)
    assert viewer.post(url(seeded, "new/"), {"name": "X", "code": "X"}).status_code == 403
    assert viewer.post(url(seeded, f"{mug.pk}/skus/"), {"sku": "X"}).status_code == 403
    with team_scope(seeded.team.id):
        assert Product.objects.count() == 2


def test_skus_are_added_and_removed_from_the_page(seeded: Personas):
    with team_scope(seeded.team.id):
        mug = Product.objects.get(code="MUG")
    member = client_for(seeded.member)
    assert (
        member.post(url(seeded, f"{mug.pk}/skus/"), {"sku": "MUG-2", "marketplace": ""}).status_code
        == 302
    )
    response = member.post(url(seeded, f"{mug.pk}/skus/"), {"sku": "KIT-1", "marketplace": ""})
    assert response.status_code == 400
    assert "KIT-1 already sells KIT" in response.content.decode()
    with team_scope(seeded.team.id):
        added = ProductSku.objects.get(sku="MUG-2")
    assert member.post(url(seeded, f"{mug.pk}/skus/{added.pk}/remove/")).status_code == 302
    with team_scope(seeded.team.id):
        assert sorted(ProductSku.objects.values_list("sku", flat=True)) == ["KIT-1", "MUG-1"]


def test_the_export_lists_the_teams_products(seeded: Personas):
    response = client_for(seeded.viewer).get(url(seeded, "export/?format=csv"))
    text = b"".join(streamed(response)).decode("utf-8-sig")
    assert response.status_code == 200
    lines = text.splitlines()
    assert lines[0].startswith("code,name,skus,components")
    assert any(line.startswith("KIT,Mug kit,KIT-1,2xMUG") for line in lines)
    assert "SECRET" not in text


def test_the_photo_is_a_link_to_amazons_catalogue_never_an_image_loaded_from_it(
    seeded: Personas,
):
    from ams.catalog.models import Listing

    with team_scope(seeded.team.id):
        mug = Product.objects.get(code="MUG")
        Listing.objects.filter(sku="MUG-1").update(image_url="https://m.media-amazon.com/mug.jpg")
    html = client_for(seeded.viewer).get(url(seeded, f"{mug.pk}/")).content.decode()
    assert 'href="https://m.media-amazon.com/mug.jpg"' in html
    assert "<img" not in html.split('id="product-facts"')[0].split("<hgroup>")[1]
    with team_scope(seeded.team.id):
        Listing.objects.filter(sku="MUG-1").update(image_url="javascript:alert(1)")
    html = client_for(seeded.viewer).get(url(seeded, f"{mug.pk}/")).content.decode()
    assert "javascript:" not in html
