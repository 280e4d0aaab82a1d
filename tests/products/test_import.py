"""The products import: the export's own columns read back, every bad row rejected with its line
and reason, every good row saved whole; an outsider's products are never touched."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ams.core.sheets import read_rows
from ams.core.tenancy import team_scope
from ams.products.importing import PRODUCT_SHEET, check_rows
from ams.products.models import BundleComponent, Product, ProductSku
from tests.factories import Personas
from tests.procurement.helpers import streamed
from tests.products.helpers import add_product

pytestmark = pytest.mark.django_db

DE = "A1PA6795UKMFR9"

SHEET = (
    "Code;Name;SKUs;Components;Unit_Weight_g;Units_per_carton;Country_of_origin\n"
    "MUG;Blue mug;MUG-1 MUG-1@DE;;350;24;cn\n"  # 2 new, two mappings
    "KIT;Mug kit;KIT-1;2xMUG 1xBOX;;;\n"  # 3 bundle of MUG and BOX (BOX comes later)
    "BOX;Gift box;;;;;\n"  # 4 new
    "BAD;;;;;;\n"  # 5 new without a name
    "NEG;Negative;;;-3;;\n"  # 6 negative weight
    "MUG;Again;;;;;\n"  # 7 duplicate of line 2
    "ODD;Odd;ODD-1@XX;;;;\n"  # 8 unknown marketplace
    "LOOP;Loop;;1xLOOP;;;\n"  # 9 a bundle of itself
    "TAKEN;Taken;SHARED-1;;;;\n"  # 10 the SKU sells another product already
    "GHOST;Ghost;;1xNOWHERE;;;\n"  # 11 unknown component
)


def _import(p: Personas, text: str) -> Client:
    client = Client()
    client.force_login(p.member)
    upload = SimpleUploadedFile("products.csv", text.encode(), content_type="text/csv")
    response = client.post(f"/t/{p.team.slug}/products/import/", {"file": upload})
    assert response.status_code == 200, response.content.decode()[:400]
    client.last_html = response.content.decode()  # type: ignore[attr-defined]
    return client


def test_good_rows_are_saved_whole_and_bad_rows_are_listed_with_line_and_reason(
    personas: Personas,
):
    add_product(personas.team, "OLD", name="Old", skus=("SHARED-1",))
    add_product(personas.outsider_team, "MUG", name="Outsider's mug", skus=("MUG-1",))
    client = _import(personas, SHEET)
    html = client.last_html  # type: ignore[attr-defined]
    assert "<strong>3</strong> products added" in html
    assert "<strong>7</strong> rows rejected" in html
    for line, reason in (
        (5, "name is empty: a product needs one"),
        (6, "unit weight g must be more than zero"),
        (7, "duplicate in file: line 2 has the same code"),
        (8, "unknown marketplace &#x27;XX&#x27;"),
        (9, "a bundle cannot contain itself"),
        (10, "SHARED-1 already sells OLD in every marketplace."),
        (11, "unknown component NOWHERE"),
    ):
        assert f"<td>{line}</td>" in html
        assert reason in html
    with team_scope(personas.team.id):
        mug = Product.objects.get(code="MUG")
        assert mug.name == "Blue mug"
        assert mug.unit_weight_g == Decimal("350")
        assert mug.units_per_carton == 24
        assert mug.country_of_origin == "CN"
        assert set(ProductSku.objects.filter(product=mug).values_list("sku", "marketplace_id")) == {
            ("MUG-1", None),
            ("MUG-1", DE),
        }
        kit = Product.objects.get(code="KIT")
        parts = dict(
            BundleComponent.objects.filter(bundle=kit).values_list("component__code", "quantity")
        )
        assert parts == {"MUG": 2, "BOX": 1}
        # A rejected row leaves nothing behind, not even the product its services made first.
        assert not Product.objects.filter(code__in=["BAD", "NEG", "ODD", "LOOP", "TAKEN", "GHOST"])
    with team_scope(personas.outsider_team.id):
        theirs = Product.objects.get(code="MUG")
        assert theirs.name == "Outsider's mug"
        assert ProductSku.objects.filter(product=theirs).count() == 1


def test_a_known_code_changes_only_the_columns_the_file_has(personas: Personas):
    _import(personas, "code,name,unit_weight_g,note\nMUG,Blue mug,350,fragile\n")
    client = _import(personas, "code,unit_weight_g\nMUG,\nNEW,5\n")
    html = client.last_html  # type: ignore[attr-defined]
    assert "<strong>1</strong> updated" in html
    assert "NEW is a new product: it needs a name." in html
    with team_scope(personas.team.id):
        mug = Product.objects.get(code="MUG")
        assert not Product.objects.filter(code="NEW").exists()
    assert (mug.name, mug.unit_weight_g, mug.note) == ("Blue mug", None, "fragile")


def test_the_export_imports_again_unchanged(personas: Personas):
    team = personas.team
    mug = add_product(team, "MUG", name="Blue mug", skus=("MUG-1",))
    box = add_product(team, "=BOX", name="Box, gift", skus=("BOX-1",), marketplace_id=DE)
    kit = add_product(team, "KIT", name="Kit")
    with team_scope(team.id):
        BundleComponent.objects.create(team=team, bundle=kit, component=mug, quantity=2)
        BundleComponent.objects.create(team=team, bundle=kit, component=box, quantity=1)
    client = Client()
    client.force_login(personas.member)
    exported = b"".join(streamed(client.get(f"/t/{team.slug}/products/export/?format=csv")))
    with team_scope(team.id):
        before = sorted(
            Product.objects.values_list("code", "name", "unit_weight_g", "note", "hs_code")
        )
        Product.objects.filter(code="KIT").update(name="Renamed")
    rows, rejected = check_rows(read_rows(io.BytesIO(exported), "products.csv", PRODUCT_SHEET))
    assert rejected == []
    assert [r.code for r in rows] == ["=BOX", "MUG", "KIT"]  # bundles last, after their parts
    assert dict(rows[0].skus) == {"BOX-1": DE}
    upload = SimpleUploadedFile("products.csv", exported, content_type="text/csv")
    html = client.post(f"/t/{team.slug}/products/import/", {"file": upload}).content.decode()
    assert "<strong>3</strong> updated" in html
    with team_scope(team.id):
        after = sorted(
            Product.objects.values_list("code", "name", "unit_weight_g", "note", "hs_code")
        )
        assert ProductSku.objects.count() == 2
        assert BundleComponent.objects.count() == 2
    assert after == before


def test_a_file_without_a_code_column_is_refused_whole(personas: Personas):
    client = Client()
    client.force_login(personas.member)
    upload = SimpleUploadedFile("p.csv", b"name,skus\nMug,MUG-1\n", content_type="text/csv")
    response = client.post(f"/t/{personas.team.slug}/products/import/", {"file": upload})
    assert response.status_code == 400
    assert "The file has no code column." in response.content.decode()
    with team_scope(personas.team.id):
        assert not Product.objects.exists()


def test_a_viewer_reads_the_page_but_cannot_import_and_an_outsider_gets_404(personas: Personas):
    viewer = Client()
    viewer.force_login(personas.viewer)
    page = viewer.get(f"/t/{personas.team.slug}/products/import/")
    assert page.status_code == 200
    assert 'id="import-not-allowed"' in page.content.decode()
    upload = SimpleUploadedFile("p.csv", b"code,name\nMUG,Mug\n", content_type="text/csv")
    assert (
        viewer.post(f"/t/{personas.team.slug}/products/import/", {"file": upload}).status_code
        == 403
    )
    outsider = Client()
    outsider.force_login(personas.outsider)
    assert outsider.get(f"/t/{personas.team.slug}/products/import/").status_code == 404
    with team_scope(personas.team.id):
        assert not Product.objects.exists()
