"""The supplier price import: the export's columns read back, each bad row rejected with its line
and reason, each good row saved whole; an outsider's suppliers and prices are never touched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.purchasing.models import SupplierPrice, SupplierProduct
from tests.factories import Personas
from tests.procurement.helpers import streamed
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_price, add_supplier

pytestmark = pytest.mark.django_db

SHEET = (
    "Supplier,Product,MOQ,Case_pack,Min_quantity,Price,Currency,Valid_from,Valid_until\n"
    "ningbo mugs,MUG,500,24,1,2.10,,2026-01-01,\n"  # 2 ok, supplier matched in any case
    'Ningbo Mugs,MUG,500,24,1000,"1,95",,2026-01-01,2026-12-31\n'  # 3 ok, a quantity break
    "Ningbo Mugs,LAMP,,,1,7.5,EUR,,\n"  # 4 ok, today, the supplier's offer made
    "Nobody Ltd,MUG,,,1,1,,,\n"  # 5 unknown supplier
    "Ningbo Mugs,NOPE,,,1,1,,,\n"  # 6 unknown product
    "Ningbo Mugs,MUG,,,1,-1,,,\n"  # 7 negative
    "Ningbo Mugs,MUG,,,0,1,,,\n"  # 8 quantity break 0
    "Ningbo Mugs,MUG,,,1,1,,2026-02-01,2026-01-01\n"  # 9 ends before it starts
    "Ningbo Mugs,MUG,,,1,1,US,,\n"  # 10 not a currency
    "Ningbo Mugs,MUG,500,24,1,2.20,,2026-01-01,\n"  # 11 duplicate of line 2
)


def _post(p: Personas, text: str, user=None):
    client = Client()
    client.force_login(user or p.member)
    upload = SimpleUploadedFile("prices.csv", text.encode(), content_type="text/csv")
    return client.post(f"/t/{p.team.slug}/purchasing/suppliers/prices/import/", {"file": upload})


def test_good_rows_are_saved_and_bad_rows_listed_with_line_and_reason(personas: Personas):
    team = personas.team
    supplier = add_supplier(team, "Ningbo Mugs", "USD")
    add_product(team, "MUG", name="Mug")
    add_product(team, "LAMP", name="Lamp")
    theirs = add_supplier(personas.outsider_team, "Ningbo Mugs", "USD")
    their_mug = add_product(personas.outsider_team, "MUG", name="Their mug")
    add_price(personas.outsider_team, theirs, their_mug, "9.99")
    response = _post(personas, SHEET)
    html = response.content.decode()
    assert response.status_code == 200, html[:300]
    assert "<strong>3</strong> prices imported" in html
    assert "<strong>7</strong> rows rejected" in html
    for line, reason in (
        (5, "unknown supplier Nobody Ltd"),
        (6, "unknown product code NOPE"),
        (7, "negative price: -1"),
        (8, "min quantity is at least 1"),
        (9, "the price ends before it starts"),
        (10, "A currency is a three-letter code"),
        (11, "duplicate in file: line 2"),
    ):
        assert f"<td>{line}</td>" in html
        assert reason in html
    with team_scope(team.id):
        prices = {
            (p.offer.product.code, p.min_quantity): p
            for p in SupplierPrice.objects.select_related("offer__product")
        }
        assert set(prices) == {("MUG", 1), ("MUG", 1000), ("LAMP", 1)}
        assert prices["MUG", 1000].unit_price == Decimal("1.95")
        assert prices["MUG", 1000].valid_until == date(2026, 12, 31)
        assert prices["LAMP", 1].currency == "EUR"
        assert prices["LAMP", 1].valid_from == timezone.now().date()
        assert prices["MUG", 1].currency == "USD"  # the supplier's
        mug_offer = SupplierProduct.objects.get(supplier=supplier, product__code="MUG")
        assert (mug_offer.minimum_order_quantity, mug_offer.case_pack) == (500, 24)
    with team_scope(personas.outsider_team.id):
        assert list(SupplierPrice.objects.values_list("unit_price", flat=True)) == [Decimal("9.99")]


def test_the_prices_export_imports_again(personas: Personas):
    team = personas.team
    supplier = add_supplier(team, "Ningbo Mugs", "USD")
    mug = add_product(team, "MUG", name="Mug")
    add_price(team, supplier, mug, "2.10", moq=300)
    add_price(team, supplier, mug, "1.90", min_quantity=1000, valid_until=date(2026, 6, 30))
    client = Client()
    client.force_login(personas.member)
    exported = b"".join(
        streamed(client.get(f"/t/{team.slug}/purchasing/suppliers/prices/export/?format=csv"))
    )
    assert exported.decode("utf-8-sig").startswith("supplier,product_code,supplier_code")
    with team_scope(team.id):
        before = sorted(
            SupplierPrice.objects.values_list(
                "min_quantity", "unit_price", "currency", "valid_from", "valid_until"
            )
        )
        SupplierPrice.objects.update(unit_price=Decimal("5"))
    upload = SimpleUploadedFile("prices.csv", exported, content_type="text/csv")
    html = client.post(
        f"/t/{team.slug}/purchasing/suppliers/prices/import/", {"file": upload}
    ).content.decode()
    assert "<strong>2</strong> prices imported" in html
    with team_scope(team.id):
        after = sorted(
            SupplierPrice.objects.values_list(
                "min_quantity", "unit_price", "currency", "valid_from", "valid_until"
            )
        )
        assert SupplierProduct.objects.get().minimum_order_quantity == 300
    assert after == before


def test_a_viewer_cannot_import_and_an_outsider_sees_neither_page(personas: Personas):
    team = personas.team
    add_supplier(team, "Ningbo Mugs", "USD")
    add_product(team, "MUG", name="Mug")
    assert (
        _post(
            personas, "supplier,product_code,unit_price\nNingbo Mugs,MUG,1\n", personas.viewer
        ).status_code
        == 403
    )
    outsider = Client()
    outsider.force_login(personas.outsider)
    base = f"/t/{team.slug}/purchasing/suppliers/prices"
    assert outsider.get(f"{base}/import/").status_code == 404
    assert outsider.get(f"{base}/export/?format=csv").status_code == 404
    with team_scope(team.id):
        assert not SupplierPrice.objects.exists()
