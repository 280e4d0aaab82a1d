"""The data pages: rows, filters, summaries from the read models, exports; never another team's data."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.dashboard import factories as f
from tests.factories import Personas
from tests.procurement.helpers import streamed

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(streamed(response)).decode("utf-8-sig"))))


@pytest.fixture
def data(personas: Personas) -> Personas:
    return f.seed(personas)


def page(p: Personas, name: str, params: dict[str, str] | None = None, user=None) -> str:
    response = client_for(user or p.viewer).get(f"/t/{p.team.slug}/{name}/", params or {})
    assert response.status_code == 200
    return response.content.decode()


def test_orders_list_with_items_totals_and_freshness(data: Personas):
    html = page(data, "orders")
    assert html.count('class="order"') == 3
    assert "<code>LAMP-1</code>" in html  # the items of each order
    assert 'id="order-totals"' in html
    assert "55.00" in html  # from the day rollup
    assert "Synced" in html
    assert "SECRET" not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"date_from": "2026-02-01", "date_to": "2026-02-01"},
            ["111-0000001-0000001"],
        ),  # the US local day
        ({"status": "cancelled"}, ["111-0000002-0000001"]),
        ({"marketplace": f.DE}, ["302-0000003-0000001"]),
        ({"channel": "MFN"}, ["302-0000003-0000001"]),
        ({"sku": "mug"}, ["111-0000002-0000001", "111-0000001-0000001"]),
        (
            {"status": "not-a-status"},
            ["111-0000002-0000001", "302-0000003-0000001", "111-0000001-0000001"],
        ),
    ],
)
def test_order_filters(data: Personas, params, expected):
    html = page(data, "orders", params)
    found = [part.split('"')[0] for part in html.split('data-order="')[1:]]
    assert found == expected


def test_order_totals_need_a_filter_the_rollup_can_answer(data: Personas):
    assert 'id="order-totals"' not in page(data, "orders", {"sku": "MUG"})
    by_day = page(data, "orders", {"date_from": "2026-02-03", "marketplace": f.US})
    assert "10.00" in by_day
    assert "55.00" not in by_day


def test_orders_export_one_row_per_line_with_the_filters(data: Personas):
    response = client_for(data.viewer).get(
        f"/t/{data.team.slug}/orders/", {"format": "csv", "marketplace": f.US, "sku": "MUG"}
    )
    rows = csv_rows(response)
    assert rows[0][:3] == ["order_id", "purchased_at_utc", "local_day"]
    assert sorted((r[0], r[2], r[6], r[8]) for r in rows[1:]) == [
        ("111-0000001-0000001", "2026-02-01", "MUG-1", "2"),
        ("111-0000002-0000001", "2026-02-03", "MUG-1", "1"),
    ]
    xlsx = client_for(data.viewer).get(f"/t/{data.team.slug}/orders/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(streamed(xlsx))), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 1 + 4


def test_inventory_days_of_cover_and_low_stock_filter(data: Personas):
    html = page(data, "inventory")
    assert (
        html.index('data-sku="MUG-1"')
        < html.index('data-sku="LAMP-1"')
        < html.index('data-sku="CASE-1"')
    )
    assert '<mark class="low-cover">10</mark>' in html
    assert "no sales" in html
    low = page(data, "inventory", {"low": "on"})
    assert 'data-sku="MUG-1"' in low
    assert 'data-sku="LAMP-1"' not in low
    mfn = page(data, "inventory", {"channel": "MFN"})
    assert 'data-sku="CASE-1"' in mfn
    assert 'data-sku="MUG-1"' not in mfn
    assert "SECRET" not in html


def test_inventory_export(data: Personas):
    rows = csv_rows(
        client_for(data.viewer).get(
            f"/t/{data.team.slug}/inventory/", {"format": "csv", "low": "on"}
        )
    )
    assert [(r[0], r[5], r[13], r[14]) for r in rows[1:]] == [("MUG-1", "20", "60", "10.0")]


def test_listings_show_suppressed_first_with_the_reason(data: Personas):
    html = page(data, "listings")
    assert html.index('data-sku="LAMP-1"') < html.index('data-sku="MUG-1"')
    assert "Missing main image" in html
    assert "1 suppressed" in html
    assert 'data-sku="MUG-1"' not in page(data, "listings", {"status": "suppressed"})
    assert 'data-sku="LAMP-1"' not in page(data, "listings", {"q": "blue"})
    assert "SECRET" not in html
    rows = csv_rows(
        client_for(data.viewer).get(
            f"/t/{data.team.slug}/listings/", {"format": "csv", "status": "suppressed"}
        )
    )
    assert [(r[0], r[4], r[6]) for r in rows[1:]] == [
        ("LAMP-1", "suppressed", "Missing main image")
    ]


def test_settlements_reconciliation_status_and_filters(data: Personas):
    html = page(data, "settlements")
    assert (
        html.index('data-settlement="S-WAIT"')
        < html.index('data-settlement="S-BAD"')
        < html.index('data-settlement="S-OK"')
    )
    assert "Lines add up to 45.00" in html
    assert "transactions not synced yet" in html
    assert "Reconciled" in html
    assert "S-SECRET" not in html
    mismatch = page(data, "settlements", {"reconciliation": "mismatch"})
    assert 'data-settlement="S-BAD"' in mismatch
    assert 'data-settlement="S-OK"' not in mismatch
    january = page(data, "settlements", {"deposit_from": "2026-01-01", "deposit_to": "2026-01-31"})
    assert 'data-settlement="S-OK"' in january
    assert 'data-settlement="S-BAD"' not in january


def test_settlement_lines_and_another_teams_settlement_is_a_404(data: Personas):
    from ams.core.tenancy import team_scope
    from ams.finance.models import Settlement

    with team_scope(data.team.id):
        mine = Settlement.objects.get(settlement_id="S-OK")
    with team_scope(data.outsider_team.id):
        theirs = Settlement.objects.get(settlement_id="S-SECRET")
    client = client_for(data.viewer)
    html = client.get(
        f"/t/{data.team.slug}/settlements/lines/", {"settlement": mine.id}
    ).content.decode()
    assert html.count('class="settlement-line"') == 2
    assert "ServiceFee" in html
    assert (
        client.get(f"/t/{data.team.slug}/settlements/lines/", {"settlement": theirs.id}).status_code
        == 404
    )
    outsider = client_for(data.outsider)
    assert (
        outsider.get(
            f"/t/{data.outsider_team.slug}/settlements/lines/", {"settlement": mine.id}
        ).status_code
        == 404
    )
    rows = csv_rows(
        client.get(
            f"/t/{data.team.slug}/settlements/lines/", {"settlement": str(mine.id), "format": "csv"}
        )
    )
    assert [r[6] for r in rows[1:]] == ["100.00", "-15.00"]


def test_outsiders_get_404_on_every_data_page(data: Personas):
    outsider = client_for(data.outsider)
    for name in ("orders", "inventory", "listings", "settlements"):
        assert outsider.get(f"/t/{data.team.slug}/{name}/").status_code == 404
        assert outsider.get(f"/t/{data.team.slug}/{name}/", {"format": "csv"}).status_code == 404
        own = b"".join(
            streamed(outsider.get(f"/t/{data.outsider_team.slug}/{name}/", {"format": "csv"}))
        )
        assert b"MUG-1" not in own
        assert b"S-OK" not in own


def test_an_unknown_export_format_is_a_404(data: Personas):
    assert (
        client_for(data.viewer).get(f"/t/{data.team.slug}/orders/", {"format": "pdf"}).status_code
        == 404
    )


def test_pages_without_data_say_so(personas: Personas):
    for name in ("orders", "inventory", "listings", "settlements"):
        assert 'id="no-rows"' in page(personas, name)


def _profit_cell(html: str, order_id: str) -> str:
    after = html.split(f'data-order="{order_id}"')[1]
    return after.split('class="num profit">')[1].split("</td>")[0]


def test_order_profit_uses_the_cost_of_the_local_day_and_flags_a_missing_cost(data: Personas):
    from ams.core.tenancy import team_scope
    from ams.finance.models import Charge, Transaction
    from ams.orders.models import Order
    from tests.procurement.helpers import add_cost

    team = data.team
    add_cost(team, "MUG-1", "4.00", date(2026, 1, 1))
    add_cost(team, "MUG-1", "5.00", date(2026, 2, 2))  # the order's UTC day, not its US day
    flagged = page(data, "orders")
    assert "no cost for LAMP-1" in _profit_cell(flagged, "111-0000001-0000001")
    assert "—" in _profit_cell(flagged, "111-0000002-0000001")  # cancelled: no profit to speak of

    add_cost(team, "LAMP-1", "10.00", date(2026, 1, 1))
    assert "fees are not known" in _profit_cell(page(data, "orders"), "111-0000001-0000001")
    with team_scope(team.id):
        order = Order.objects.get(amazon_order_id="111-0000001-0000001")
        Transaction.objects.create(
            team=team,
            connection_id=order.connection_id,
            transaction_id="T-1",
            transaction_type="Shipment",
            status="RELEASED",
            posted_at=order.purchased_at,
            marketplace_id=f.US,
            currency="USD",
            total_amount=Decimal("43.00"),
            order_id=order.amazon_order_id,
            synced_at=order.synced_at,
        )
        for position, amount in enumerate(["-9.00", "-3.00"]):
            Charge.objects.create(
                team=team,
                connection_id=order.connection_id,
                transaction_id="T-1",
                position=position,
                posted_at=order.purchased_at,
                category="Expenses",
                kind="AmazonFees",
                description="FBA fee",
                amount=Decimal(amount),
                currency="USD",
                synced_at=order.synced_at,
            )
    # 20 * 2 + 35 - (4.00 * 2 + 10.00) - 12.00 fees
    assert _profit_cell(page(data, "orders"), "111-0000001-0000001").strip() == "25.00 USD"
    # A USD cost for an order in euros is no cost at all: no exchange rates.
    assert "no cost for LAMP-1" in _profit_cell(page(data, "orders"), "302-0000003-0000001")


def test_overview_headline_numbers(data: Personas):
    import time_machine

    with time_machine.travel(date(2026, 2, 10), tick=False):
        html = page(data, "overview")
    assert (
        ">65.00 USD</a>" in html.split('data-currency="USD"')[1].split("</article>")[0]
    )  # 55.00 + 10.00 from the day rollup
    assert ">30.00 EUR</a>" in html.split('data-currency="EUR"')[1].split("</article>")[0]
    # MUG-1: (20 available + 100 inbound) at 2 a day is 60 days, more than the 30-day lead time.
    assert '?risk=on">0</a>' in html.split('id="overview-attention"')[1]
    more = html.split('id="overview-more"')[1]
    assert '?status=suppressed">1</a>' in more
    assert "10.00 USD" in more  # the latest deposit
    assert "1 settlement not adding up" in more
    assert "SECRET" not in html


def test_overview_of_a_team_without_amazon_says_how_to_connect(personas: Personas):
    assert "No Seller Central account is connected yet" in page(personas, "overview")
    home = client_for(personas.viewer).get(f"/t/{personas.team.slug}/").content.decode()
    assert f'hx-get="/t/{personas.team.slug}/overview/"' in home


def test_orders_export_carries_the_cost_of_each_lines_local_day(data: Personas):
    from tests.procurement.helpers import add_cost

    add_cost(data.team, "MUG-1", "4.00", date(2026, 1, 1))
    add_cost(data.team, "MUG-1", "5.00", date(2026, 2, 2))
    rows = csv_rows(
        client_for(data.viewer).get(
            f"/t/{data.team.slug}/orders/", {"format": "csv", "marketplace": f.US}
        )
    )
    header = rows[0]
    assert header[-3:] == ["unit_cost", "cost", "missing_cost"]
    got = sorted((r[0], r[6], r[-3], r[-2], r[-1]) for r in rows[1:])
    assert got == [
        ("111-0000001-0000001", "LAMP-1", "", "", "no cost on or before this day"),
        ("111-0000001-0000001", "MUG-1", "4.0000", "8.00", ""),  # 1 Feb in Los Angeles
        ("111-0000002-0000001", "MUG-1", "5.0000", "5.00", ""),
    ]
