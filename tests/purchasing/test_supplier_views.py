"""The supplier pages: list, detail, forms, export, a product's suppliers; with an outsider."""

from __future__ import annotations

import pytest
from django.test import Client

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.purchasing.models import Supplier, SupplierContact, SupplierPrice
from tests.factories import Personas
from tests.procurement.helpers import streamed
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_price, add_supplier

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(p: Personas, tail: str = "") -> str:
    return f"/t/{p.team.slug}/purchasing/{tail}"


@pytest.fixture
def seeded(personas: Personas) -> Personas:
    team = personas.team
    supplier = add_supplier(team, "Ningbo Mugs", stated_lead_time_days=40)
    mug = add_product(team, "MUG", name="Blue mug")
    add_price(team, supplier, mug, "1.80", moq=500)
    theirs = add_supplier(personas.outsider_team, "Secret supplier")
    add_price(personas.outsider_team, theirs, add_product(personas.outsider_team, "SECRET"), "9")
    return personas


def ours(p: Personas) -> Supplier:
    with team_scope(p.team.id):
        return Supplier.objects.get()


def test_the_list_and_detail_show_the_teams_suppliers(seeded: Personas):
    viewer = client_for(seeded.viewer)
    html = viewer.get(url(seeded, "suppliers/")).content.decode()
    assert "Ningbo Mugs" in html
    assert "Secret supplier" not in html
    assert "New supplier" not in html
    html = viewer.get(url(seeded, f"suppliers/{ours(seeded).pk}/")).content.decode()
    assert "stated: 40 days" in html
    assert "no order received yet" in html
    assert "from 1: 1.80 USD" in html


def test_another_teams_supplier_is_a_404(seeded: Personas):
    with team_scope(seeded.outsider_team.id):
        theirs = Supplier.objects.get()
    owner = client_for(seeded.owner)
    assert owner.get(url(seeded, f"suppliers/{theirs.pk}/")).status_code == 404
    response = owner.post(url(seeded, f"suppliers/{theirs.pk}/contacts/"), {"name": "Me"})
    assert response.status_code == 404
    with team_scope(seeded.outsider_team.id):
        assert SupplierContact.objects.count() == 0
    assert client_for(seeded.outsider).get(url(seeded, "suppliers/")).status_code == 404


def test_a_member_creates_a_supplier_and_bad_input_is_shown(seeded: Personas):
    member = client_for(seeded.member)
    form = {
        "name": "Shenzhen Lamps",
        "currency": "cny",
        "incoterm": "FOB",
        "deposit_percent": "30",
        "balance_due": "arrival",
        "balance_days": "14",
    }
    assert member.post(url(seeded, "suppliers/new/"), form).status_code == 302
    response = member.post(url(seeded, "suppliers/new/"), {**form, "currency": "YUAN"})
    assert response.status_code == 400
    assert (
        "three-letter code" in response.content.decode() or "at most 3" in response.content.decode()
    )
    with team_scope(seeded.team.id):
        assert sorted(Supplier.objects.values_list("name", "currency")) == [
            ("Ningbo Mugs", "USD"),
            ("Shenzhen Lamps", "CNY"),
        ]


def test_prices_are_added_from_the_page_and_bad_ones_refused(seeded: Personas):
    supplier = ours(seeded)
    with team_scope(seeded.team.id):
        mug_id = supplier.products.get().product_id
    member = client_for(seeded.member)
    form = {
        "product": mug_id,
        "min_quantity": "1000",
        "unit_price": "1.50",
        "valid_from": "2026-01-01",
    }
    assert member.post(url(seeded, f"suppliers/{supplier.pk}/prices/"), form).status_code == 302
    response = member.post(
        url(seeded, f"suppliers/{supplier.pk}/prices/"),
        {**form, "min_quantity": "2000", "valid_until": "2025-01-01"},
    )
    assert response.status_code == 400
    assert "cannot end before it starts" in response.content.decode()
    with team_scope(seeded.team.id):
        assert sorted(SupplierPrice.objects.values_list("min_quantity", flat=True)) == [1, 1000]


def test_a_viewer_cannot_write(seeded: Personas):
    supplier = ours(seeded)
    viewer = client_for(seeded.viewer)
    assert (
        viewer.post(url(seeded, "suppliers/new/"), {"name": "X", "currency": "USD"}).status_code
        == 403
    )
    assert (
        viewer.post(url(seeded, f"suppliers/{supplier.pk}/contacts/"), {"name": "X"}).status_code
        == 403
    )
    with team_scope(seeded.team.id):
        assert Supplier.objects.count() == 1
        assert SupplierContact.objects.count() == 0


def test_a_products_page_shows_its_suppliers_and_unit_cost(seeded: Personas):
    with team_scope(seeded.team.id):
        mug = ours(seeded).products.get().product
    html = client_for(seeded.viewer).get(url(seeded, f"products/{mug.pk}/")).content.decode()
    assert "Ningbo Mugs" in html
    assert "<strong>1.80 USD</strong>" in html
    with team_scope(seeded.outsider_team.id):
        secret = Product.objects.get()
    assert client_for(seeded.owner).get(url(seeded, f"products/{secret.pk}/")).status_code == 404


def test_the_export_lists_the_teams_suppliers(seeded: Personas):
    response = client_for(seeded.viewer).get(url(seeded, "suppliers/export/?format=csv"))
    text = b"".join(streamed(response)).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("name,currency,email")
    assert "Ningbo Mugs,USD" in text
    assert "Secret" not in text
