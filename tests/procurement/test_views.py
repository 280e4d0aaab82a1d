"""The cost pages: list, in-place entry, import, export; every test has an outsider."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from ams.core.tenancy import team_scope
from ams.procurement.models import ProductCost
from tests.factories import Personas
from tests.procurement.helpers import DE, US, add_cost, streamed, synced_skus

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(p: Personas, tail: str = "") -> str:
    return f"/t/{p.team.slug}/costs/{tail}"


def costs_of(team) -> list[tuple[str, str | None, str, Decimal, date | None]]:
    with team_scope(team.id):
        return sorted(
            ProductCost.objects.values_list(
                "sku", "marketplace_id", "currency", "unit_cost", "effective_from"
            )
        )


def body(response) -> bytes:
    return b"".join(streamed(response))


@pytest.fixture
def seeded(personas: Personas) -> Personas:
    synced_skus(personas.team, "MUG-1", "MUG-2", "LAMP-1")
    add_cost(personas.team, "MUG-1", "4.00", date(2026, 1, 1), note="first batch")
    add_cost(personas.team, "MUG-1", "4.50", date(2026, 3, 1))
    add_cost(personas.team, "LAMP-1", "11.25", date(2026, 1, 1), marketplace_id=DE, currency="EUR")
    synced_skus(personas.outsider_team, "SECRET-SKU")
    add_cost(personas.outsider_team, "SECRET-SKU", "1.23", date(2026, 1, 1))
    return personas


def test_the_list_shows_current_costs_history_and_flags_skus_without_a_cost(seeded: Personas):
    response = client_for(seeded.viewer).get(url(seeded))
    html = response.content.decode()
    assert response.status_code == 200
    assert "4.50 USD" in html
    assert "4.00 USD" in html  # in the history
    assert "11.25 EUR" in html
    assert 'data-sku="MUG-2"' in html  # synced, no cost: flagged
    assert "1 SKU without a cost" in html
    assert "SECRET-SKU" not in html
    assert "Add a dated cost" not in html  # viewers read only


def test_filters_narrow_the_list(seeded: Personas):
    client = client_for(seeded.member)
    by_sku = client.get(url(seeded), {"q": "lamp"}).content.decode()
    assert 'data-sku="LAMP-1"' in by_sku
    assert 'data-sku="MUG-1"' not in by_sku
    by_marketplace = client.get(url(seeded), {"marketplace": DE}).content.decode()
    assert 'data-sku="LAMP-1"' in by_marketplace
    assert 'data-sku="MUG-1"' not in by_marketplace
    everywhere = client.get(url(seeded), {"marketplace": "all"}).content.decode()
    assert 'data-sku="MUG-1"' in everywhere
    assert 'data-sku="LAMP-1"' not in everywhere


def test_a_member_adds_a_dated_cost_in_place(seeded: Personas):
    response = client_for(seeded.member).post(
        url(seeded, "add/"),
        {
            "sku": "MUG-2",
            "marketplace": "",
            "currency": "USD",
            "unit_cost": "2.75",
            "effective_from": "2026-02-01",
            "q": "MUG",
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="costs">')  # the section alone, swapped in place
    assert "Saved: MUG-2 costs 2.75 USD from 1 Feb 2026." in html
    assert "without a cost" not in html
    assert ("MUG-2", None, "USD", Decimal("2.7500"), date(2026, 2, 1)) in costs_of(seeded.team)


def test_the_form_refuses_what_the_import_refuses(seeded: Personas):
    client = client_for(seeded.member)
    cases = {
        "NOPE-1": ("", "USD", "1", "unknown SKU"),
        "MUG-2": (DE, "USD", "1", "wrong currency for the marketplace"),
        "LAMP-1": ("", "USD", "-2", "negative cost"),
        "MUG-1": ("", "USD", "1E+30", "unit cost is too large"),
    }
    for sku, (marketplace, currency, cost, reason) in cases.items():
        response = client.post(
            url(seeded, "add/"),
            {
                "sku": sku,
                "marketplace": marketplace,
                "currency": currency,
                "unit_cost": cost,
                "effective_from": "2026-02-01",
            },
        )
        assert response.status_code == 400
        assert reason in response.content.decode()
    assert len(costs_of(seeded.team)) == 3


def test_viewers_and_outsiders_cannot_write(seeded: Personas):
    data = {"sku": "MUG-2", "currency": "USD", "unit_cost": "1", "effective_from": "2026-02-01"}
    assert client_for(seeded.viewer).post(url(seeded, "add/"), data).status_code == 403
    assert client_for(seeded.outsider).post(url(seeded, "add/"), data).status_code == 404
    assert client_for(seeded.viewer).post(url(seeded, "import/")).status_code == 403
    assert len(costs_of(seeded.team)) == 3


def test_delete_one_record_and_another_teams_record_is_a_404(seeded: Personas):
    with team_scope(seeded.team.id):
        mine = ProductCost.objects.get(sku="MUG-1", effective_from=date(2026, 3, 1)).id
    with team_scope(seeded.outsider_team.id):
        theirs = ProductCost.objects.get().id
    client = client_for(seeded.member)
    assert client.post(url(seeded, "delete/"), {"id": mine}).status_code == 302
    assert client.post(url(seeded, "delete/"), {"id": theirs}).status_code == 404
    # The outsider aims at our record through their own team's URL.
    outsider = client_for(seeded.outsider)
    assert (
        outsider.post(f"/t/{seeded.outsider_team.slug}/costs/delete/", {"id": mine - 1}).status_code
        == 404
    )
    assert len(costs_of(seeded.team)) == 2
    assert len(costs_of(seeded.outsider_team)) == 1


def test_import_page_imports_good_rows_and_lists_rejections(seeded: Personas):
    sheet = (
        "sku,marketplace,currency,unit_cost,effective_from\n"
        "MUG-2,US,USD,3.10,2026-02-01\n"
        "SECRET-SKU,,USD,1,2026-02-01\n"
        "MUG-1,,USD,-4,2026-02-01\n"
    )
    upload = SimpleUploadedFile("costs.csv", sheet.encode(), content_type="text/csv")
    response = client_for(seeded.member).post(url(seeded, "import/"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>1</strong> row imported" in html
    assert "unknown SKU &#x27;SECRET-SKU&#x27;" in html  # another team's SKU is unknown here
    assert "negative cost" in html
    assert ("MUG-2", US, "USD", Decimal("3.1000"), date(2026, 2, 1)) in costs_of(seeded.team)
    assert len(costs_of(seeded.outsider_team)) == 1


def test_import_of_a_file_without_a_required_column_says_so(seeded: Personas):
    upload = SimpleUploadedFile("costs.csv", b"sku,currency\nMUG-2,USD\n", content_type="text/csv")
    response = client_for(seeded.member).post(url(seeded, "import/"), {"file": upload})
    assert response.status_code == 400
    assert "no unit_cost column" in response.content.decode()


def test_csv_export_applies_the_filters_and_only_holds_the_teams_rows(seeded: Personas):
    response = client_for(seeded.viewer).get(url(seeded, "export/"), {"format": "csv", "q": "mug"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{seeded.team.slug}-costs-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert rows[0][:5] == ["sku", "marketplace", "currency", "unit_cost", "effective_from"]
    assert [r[:5] for r in rows[1:]] == [
        ["MUG-1", "", "USD", "4.50", "2026-03-01"],
        ["MUG-1", "", "USD", "4.00", "2026-01-01"],
    ]


def test_export_then_import_round_trips_csv_and_xlsx(seeded: Personas):
    client = client_for(seeded.member)
    before = costs_of(seeded.team)
    for fmt in ("csv", "xlsx"):
        exported = body(client.get(url(seeded, "export/"), {"format": fmt}))
        with team_scope(seeded.team.id):
            ProductCost.objects.all().delete()
        upload = SimpleUploadedFile(f"costs.{fmt}", exported)
        response = client.post(url(seeded, "import/"), {"file": upload})
        assert "<strong>3</strong> rows imported" in response.content.decode(), fmt
        assert costs_of(seeded.team) == before, fmt


def test_xlsx_export_is_a_workbook_with_typed_cells(seeded: Personas):
    response = client_for(seeded.viewer).get(
        url(seeded, "export/"), {"format": "xlsx", "marketplace": DE}
    )
    assert (
        response["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["sku", "marketplace", "currency", "unit_cost", "effective_from"]
    assert rows[1][:4] == ["LAMP-1", "DE", "EUR", 11.25]
    assert len(rows) == 2


def test_export_refuses_an_unknown_format(seeded: Personas):
    assert (
        client_for(seeded.viewer).get(url(seeded, "export/"), {"format": "pdf"}).status_code == 400
    )


def test_an_outsider_cannot_export_or_see_the_costs(seeded: Personas):
    outsider = client_for(seeded.outsider)
    assert outsider.get(url(seeded)).status_code == 404
    assert outsider.get(url(seeded, "export/"), {"format": "csv"}).status_code == 404
    own = outsider.get(f"/t/{seeded.outsider_team.slug}/costs/export/", {"format": "csv"})
    text = body(own).decode("utf-8-sig")
    assert "SECRET-SKU" in text
    assert "MUG-1" not in text


# --- Costs that reach the past ------------------------------------------------------------------


def test_the_quick_save_of_a_sku_without_a_cost_prices_its_past_orders(seeded: Personas):
    from ams.procurement.selectors import cost_for

    # MUG-2 has no cost; its row's quick form sends no date.
    response = client_for(seeded.member).post(
        url(seeded, "add/"), {"sku": "MUG-2", "currency": "USD", "unit_cost": "2.40"}
    )
    assert response.status_code == 302
    assert ("MUG-2", None, "USD", Decimal("2.4000"), None) in costs_of(seeded.team)
    with team_scope(seeded.team.id):
        found = cost_for(seeded.team, "MUG-2", US, date(2024, 5, 1), currency="USD")
    assert found.unit_cost == Decimal("2.40")
    page = client_for(seeded.viewer).get(url(seeded)).content.decode()
    assert "all history" in page
    # The outsider's costs are untouched, and its URL for our team is a 404.
    assert costs_of(seeded.outsider_team) == [
        ("SECRET-SKU", None, "USD", Decimal("1.2300"), date(2026, 1, 1))
    ]
    outsider = client_for(seeded.outsider).post(
        url(seeded, "add/"), {"sku": "MUG-2", "currency": "USD", "unit_cost": "9"}
    )
    assert outsider.status_code == 404


def test_the_page_shows_how_many_orders_each_cost_priced_and_links_to_them(seeded: Personas):
    from tests.procurement.helpers import sku_day

    # MUG-1: 4.00 from 1 January, 4.50 from 1 March.
    sku_day(seeded.team, "MUG-1", date(2026, 1, 5), units=2, orders=2)
    sku_day(seeded.team, "MUG-1", date(2026, 2, 10), units=1, orders=1)
    sku_day(seeded.team, "MUG-1", date(2026, 3, 2), units=4, orders=3)
    sku_day(seeded.team, "MUG-1", date(2025, 12, 30), units=9, orders=9)  # before any cost
    sku_day(seeded.outsider_team, "SECRET-SKU", date(2026, 1, 5), units=5, orders=5)
    with team_scope(seeded.team.id):
        first = ProductCost.objects.get(team=seeded.team, sku="MUG-1", unit_cost=Decimal(4))
        second = ProductCost.objects.get(team=seeded.team, sku="MUG-1", unit_cost=Decimal("4.5"))
    page = client_for(seeded.viewer).get(url(seeded)).content.decode()
    assert (
        f'data-cost="{first.id}" href="/t/{seeded.team.slug}/orders/?sku=MUG-1&amp;date_from=2026-01-05&amp;date_to=2026-02-10"'
        in page
    )
    assert f'data-cost="{first.id}"' in page
    assert ">3 orders</a>" in page
    assert ">3 orders</a>" in page.split(f'data-cost="{second.id}"')[1][:300]
    assert "SECRET-SKU" not in page
    assert client_for(seeded.outsider).get(url(seeded)).status_code == 404


def test_an_import_without_a_date_column_holds_for_all_history(seeded: Personas):
    upload = SimpleUploadedFile(
        "costs.csv", b"sku,currency,unit_cost\nMUG-2,USD,2.10\n", content_type="text/csv"
    )
    response = client_for(seeded.member).post(url(seeded, "import/"), {"file": upload})
    assert response.status_code == 200
    assert ("MUG-2", None, "USD", Decimal("2.1000"), None) in costs_of(seeded.team)
    # The same file again replaces the undated cost rather than adding a second one.
    again = SimpleUploadedFile(
        "costs.csv",
        b"sku,currency,unit_cost,effective_from\nMUG-2,USD,2.20,\n",
        content_type="text/csv",
    )
    client_for(seeded.member).post(url(seeded, "import/"), {"file": again})
    assert [c for c in costs_of(seeded.team) if c[0] == "MUG-2"] == [
        ("MUG-2", None, "USD", Decimal("2.2000"), None)
    ]
    assert [c[0] for c in costs_of(seeded.outsider_team)] == ["SECRET-SKU"]
