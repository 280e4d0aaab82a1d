"""The money pages: one order with its money, the transactions, the fee breakdown and their exports;
never another team's data."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from openpyxl import load_workbook

from ams.core.tenancy import team_scope
from ams.finance.models import ChargeSkuMonth
from tests.dashboard import factories as f
from tests.dashboard.money_factories import ORDER, seed_money
from tests.factories import Personas
from tests.procurement.helpers import streamed

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def data(personas: Personas) -> Personas:
    return seed_money(personas)


def get(
    p: Personas, path: str, params: dict[str, str] | None = None, user=None, status: int = 200
) -> str:
    response = client_for(user or p.viewer).get(f"/t/{p.team.slug}/{path}", params or {})
    assert response.status_code == status
    return response.content.decode()


def attribute(html: str, name: str) -> list[str]:
    return [unescape(part.split('"')[0]) for part in html.split(f'{name}="')[1:]]


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(streamed(response)).decode("utf-8-sig"))))


# --- order detail ---------------------------------------------------------------------------------


def test_the_order_page_shows_items_fees_refunds_settlements_and_profit(data: Personas):
    html = get(data, "orders/detail/", {"order": ORDER})
    assert attribute(html, 'class="order-line" data-sku') == ["LAMP-1", "MUG-1"]
    assert 'id="local-day">1 Feb 2026<' in html  # 05:00 UTC is still 1 February in Los Angeles
    assert "2 Feb 2026, 05:00 UTC" in html
    # MUG-1: 20.00 - fees 6.40 - cost 2 x 5.00 = 3.60; LAMP-1 has no cost: flagged, never costed at zero.
    mug = html.split('data-sku="MUG-1"')[1].split("</tr>")[0]
    assert "6.40" in mug
    assert "5.00 USD" in mug
    assert "3.60 USD" in mug
    lamp = html.split('data-sku="LAMP-1"')[1].split("</tr>")[0]
    assert "no cost" in lamp
    assert "no cost for LAMP-1" in html.split('id="order-profit"')[1]
    fees = html.split('id="order-fees"')[1].split("</table>")[0]
    assert "Commission" in fees
    assert "-3.00 USD" in fees
    assert "FBAPerUnitFulfillmentFee" in fees
    assert "-7.50 USD" in fees
    assert "RefundCommission" in fees
    refunds = html.split('id="order-refunds"')[1].split("</ul>")[0]
    assert "-30.80 USD" in refunds
    assert 'id="order-net">8.45 USD' in html  # 39.25 shipped - 30.80 refunded
    assert attribute(html, 'class="order-settlement" data-settlement')[:1] == ["S-OK"]
    assert "/settlements/lines/?settlement=" in html
    assert "SECRET" not in html


def test_the_order_page_shows_each_time_in_its_own_zone_near_midnight(data: Personas):
    """04:20 UTC on 2 March is 20:20 on 1 March in Los Angeles; an instant already converted to
    the marketplace's zone is not converted back to UTC by the template."""
    from datetime import UTC, datetime

    from ams.orders.models import Order

    with team_scope(data.team.id):
        c = Order.objects.get(amazon_order_id=ORDER).connection
        late = f.order(
            data.team,
            c,
            at=datetime(2026, 3, 2, 4, 20, tzinfo=UTC),
            lines=[("MUG-1", 1, "10.00")],
            order_id="111-0000099-0000001",
        )
        Order.objects.filter(pk=late.pk).update(
            last_updated_at=datetime(2026, 3, 3, 7, 45, tzinfo=UTC)
        )
    html = get(data, "orders/detail/", {"order": late.amazon_order_id})
    purchased = html.split('id="purchased">')[1].split("</td>")[0]
    assert "2 Mar 2026, 04:20 UTC" in purchased
    assert 'id="local-day">1 Mar 2026<' in purchased
    assert "(1 Mar 2026, 20:20 America/Los_Angeles)" in purchased
    updated = html.split('id="last-updated">')[1].split("</td>")[0]
    assert "3 Mar 2026, 07:45 UTC" in updated
    assert "2 Mar 2026, 23:45 America/Los_Angeles" in updated


def test_the_order_page_profit_with_every_cost_known(data: Personas):
    from ams.procurement.models import ProductCost

    with team_scope(data.team.id):
        ProductCost.objects.create(
            team=data.team,
            sku="LAMP-1",
            currency="USD",
            unit_cost=Decimal("10.00"),
            effective_from=date(2026, 1, 1),
        )
    html = get(data, "orders/detail/", {"order": ORDER})
    # MUG-1 3.60 + LAMP-1 (35.00 - 9.35 - 10.00 = 15.65)
    assert "19.25 USD" in html.split('id="order-profit"')[1].split("</p>")[0]


def test_the_order_page_is_linked_from_the_orders_list(data: Personas):
    html = get(data, "orders/")
    assert f'/orders/detail/?order={ORDER}"' in html


def test_another_teams_order_is_a_404(data: Personas):
    get(data, "orders/detail/", {"order": "999-SECRET-0000001"}, status=404)
    get(data, "orders/detail/", {"order": "no-such-order"}, status=404)
    get(data, "orders/detail/", {}, status=400)
    response = client_for(data.outsider).get(
        f"/t/{data.team.slug}/orders/detail/", {"order": ORDER}
    )
    assert response.status_code == 404


# --- transactions ---------------------------------------------------------------------------------


FEBRUARY = {"date_from": "2026-02-01", "date_to": "2026-02-28"}


def transaction_ids(html: str) -> list[str]:
    return attribute(html, 'class="transaction" data-transaction')


def test_transactions_list_with_charges_totals_links_and_freshness(data: Personas):
    html = get(data, "transactions/", FEBRUARY)
    assert len(transaction_ids(html)) == 5
    assert html.count('class="charge"') == 6 + 3 + 1 + 2 + 2
    assert "Synced" in html
    totals = html.split('id="transaction-totals"')[1].split("</div>")[0]
    # Per currency: 39.25 - 30.80 - 12.00 + 4.00 = 0.45 USD; 25.50 EUR.
    assert "0.45" in totals
    assert "25.50" in totals
    assert f"/orders/detail/?order={ORDER}" in html
    assert "/settlements/lines/?settlement=" in html  # S-OK is a known settlement
    assert "SECRET" not in html


def test_transactions_default_to_the_last_30_days(data: Personas):
    html = get(data, "transactions/")
    assert transaction_ids(html) == []
    assert 'name="date_from" value="' in html  # the window shows in the form


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"type": "Refund"}, 1),
        ({"marketplace": f.DE}, 1),
        ({"currency": "eur"}, 1),
        ({"order": ORDER}, 2),
        ({"settlement": "S-OK"}, 1),
        ({"status": "DEFERRED"}, 0),
        ({"date_to": "2026-02-27"}, 4),  # the 1 March 07:00 UTC one is 28 February, local
        ({"charge": "Commission", "sku": "MUG-1"}, 2),
        ({"sku": "-"}, 1),  # charges of no single SKU
        ({"type": "not-a-type"}, 5),
    ],
)
def test_transaction_filters(data: Personas, params, count):
    html = get(data, "transactions/", {**FEBRUARY, **params})
    assert len(transaction_ids(html)) == count


def test_an_order_or_settlement_filter_needs_no_date(data: Personas):
    assert len(transaction_ids(get(data, "transactions/", {"order": ORDER}))) == 2
    assert len(transaction_ids(get(data, "transactions/", {"settlement": "S-SECRET"}))) == 0


def test_the_matching_charges_add_up(data: Personas):
    html = get(
        data,
        "transactions/",
        {**FEBRUARY, "kind": "AmazonFees", "charge": "Commission", "sku": "MUG-1"},
    )
    assert attribute(html, 'class="charge-total" data-currency="USD" data-amount') == ["-4.00"]


def test_transactions_export_one_row_per_charge_with_the_filters(data: Personas):
    client = client_for(data.viewer)
    response = client.get(
        f"/t/{data.team.slug}/transactions/", {**FEBRUARY, "type": "Shipment", "format": "csv"}
    )
    rows = csv_rows(response)
    assert {r["type"] for r in rows} == {"Shipment"}
    assert len(rows) == 6 + 2 + 2
    assert sum(Decimal(r["charge_amount"]) for r in rows if r["currency"] == "USD") == Decimal(
        "43.25"
    )
    assert {r["local_day"] for r in rows} == {"2026-02-03", "2026-02-04", "2026-02-28"}
    assert not any("SECRET" in v for r in rows for v in r.values())
    response = client.get(f"/t/{data.team.slug}/transactions/", {"order": ORDER, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(streamed(response))), read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:4] == ("transaction_id", "posted_at_utc", "local_day", "type")
    assert len(table) == 1 + 6 + 3
    assert {row[8] for row in table[1:]} == {ORDER}


def test_the_outsider_sees_none_of_the_money(data: Personas):
    outsider = client_for(data.outsider)
    for path in ("transactions/", "fees/", "orders/detail/"):
        assert outsider.get(f"/t/{data.team.slug}/{path}", {"order": ORDER}).status_code == 404
    # In their own team, only their own money.
    html = outsider.get(f"/t/{data.outsider_team.slug}/transactions/", FEBRUARY).content.decode()
    assert len(transaction_ids(html)) == 1
    assert "MUG-1" not in html
    html = outsider.get(
        f"/t/{data.outsider_team.slug}/fees/", {"month_from": "2026-02", "month_to": "2026-02"}
    ).content.decode()
    assert "-77.77" in html
    assert "MUG-1" not in html


# --- fee breakdown --------------------------------------------------------------------------------


FEB = {"month_from": "2026-02", "month_to": "2026-02"}


def test_fee_breakdown_by_type_and_sku_with_totals_per_currency(data: Personas):
    html = get(data, "fees/", FEB)
    totals = dict(
        zip(
            attribute(html, 'class="fee-total" data-currency'),
            attribute(html, "data-amount"),
            strict=False,
        )
    )
    # USD: -3.00 - 3.40 - 5.25 - 4.10 + 5.25 - 1.05 - 12.00 - 1.00 (28 February, local) = -24.55
    assert totals == {"EUR": "-4.50", "USD": "-24.55"}
    types = {
        (t, c): a
        for t, c, a in re.findall(
            r'class="fee-type" data-type="([^"]+)" data-currency="(\w+)" data-amount="([^"]+)"',
            html,
        )
    }
    assert types == {
        ("Commission", "EUR"): "-4.50",
        ("Commission", "USD"): "-4.00",
        ("FBAPerUnitFulfillmentFee", "USD"): "-7.50",
        ("RefundCommission", "USD"): "-1.05",
        ("Storage Fee", "USD"): "-12.00",
    }
    skus = attribute(html, 'class="fee-sku" data-sku')
    assert set(skus) == {"LAMP-1", "MUG-1", ""}
    assert "SECRET" not in html
    # March holds nothing: the 1 March UTC fee belongs to February in Los Angeles.
    assert "fee-type" not in get(data, "fees/", {"month_from": "2026-03", "month_to": "2026-03"})


def test_every_fee_figure_links_to_transactions_that_add_up_to_it(data: Personas):
    html = get(data, "fees/", FEB)
    links = re.findall(
        r'<a href="(/t/[^"]+/transactions/\?[^"]+)" class="drill[^"]*">([^<]+)</a>', html
    )
    assert len(links) >= 10
    client = client_for(data.viewer)
    for href, figure in links:
        amount = Decimal(figure.split()[0])
        drilled = client.get(unescape(href)).content.decode()
        currency = re.search(r"currency=(\w+)", unescape(href)).group(1)  # type: ignore[union-attr]
        matched = dict(
            zip(
                attribute(drilled, 'class="charge-total" data-currency'),
                attribute(drilled, "data-amount"),
                strict=False,
            )
        )
        assert Decimal(matched[currency]) == amount, href


def test_fee_filters_and_export(data: Personas):
    html = get(data, "fees/", {**FEB, "marketplace": f.DE})
    assert attribute(html, 'class="fee-total" data-currency') == ["EUR"]
    assert attribute(
        get(data, "fees/", {**FEB, "currency": "usd"}), 'class="fee-total" data-currency'
    ) == ["USD"]
    response = client_for(data.viewer).get(
        f"/t/{data.team.slug}/fees/", {**FEB, "currency": "USD", "format": "csv"}
    )
    rows = csv_rows(response)
    assert {r["currency"] for r in rows} == {"USD"}
    assert {r["month"] for r in rows} == {"2026-02"}
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("-24.55")
    assert {r["sku"] for r in rows} == {"MUG-1", "LAMP-1", ""}


def test_the_rollup_keeps_one_row_per_month_type_and_sku(data: Personas):
    with team_scope(data.team.id):
        mug = ChargeSkuMonth.objects.get(team=data.team, sku="MUG-1", description="Commission")
    assert (mug.month, mug.amount, mug.charges) == (date(2026, 2, 1), Decimal("-4.00"), 2)
