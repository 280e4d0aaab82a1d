"""Sorting the data tables by any column: on the server, kept in the URL, the pagination, the
filter form and the exports; the same order on every page and in the file; nothing of another team."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ams.catalog.selectors import LISTING_SORTING
from ams.claims.models import Claim, ClaimKind, ClaimStatus
from ams.claims.selectors import CLAIM_SORTING
from ams.core.sorting import Sort, Sorting
from ams.core.tenancy import team_scope
from ams.finance.selectors import (
    SETTLEMENT_LINE_SORTING,
    SETTLEMENT_SORTING,
    TRANSACTION_SORTING,
)
from ams.inventory.selectors import STOCK_SORTING
from ams.orders.models import Order
from ams.orders.selectors import ORDER_SORTING
from ams.procurement.selectors import COST_SORTING
from tests.dashboard import factories as f
from tests.dashboard import money_factories as mf
from tests.dashboard.test_pages import client_for, csv_rows
from tests.factories import Personas
from tests.procurement.helpers import add_cost

pytestmark = pytest.mark.django_db


def keys(html: str, attr: str) -> list[str]:
    return re.findall(rf'{attr}="([^"]*)"', html)


def runs(values: list[str]) -> list[str]:
    """Consecutive repeats folded: the orders of an export of lines, the SKUs of cost records."""
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


# --- the shared piece -----------------------------------------------------------------------------


def test_a_sort_value_names_a_column_and_a_direction():
    assert Sort.parse("-purchased") == Sort("purchased", True)
    assert Sort.parse("status") == Sort("status", False)
    assert str(Sort("status", True)) == "-status"
    assert ORDER_SORTING.knows("")
    assert ORDER_SORTING.knows("-status")
    assert not ORDER_SORTING.knows("purchased_at")  # a field name is not a public key
    assert not ORDER_SORTING.knows("-team__name")


def test_an_unknown_column_falls_back_to_the_default_order():
    assert ORDER_SORTING.order(Order, "team__owner") == ORDER_SORTING.order(Order, "")
    assert ORDER_SORTING.chosen("nonsense") == Sort("purchased", True)


def test_the_default_orders_stay_on_their_index():
    # Not null: no NULLS LAST, which a backwards scan of (team, purchased_at, id) could not give.
    sql = str(Order.objects.filter(team_id=1).order_by(*ORDER_SORTING.order(Order)).query)
    assert (
        'ORDER BY "orders_order"."purchased_at" DESC, "orders_order"."amazon_order_id" DESC' in sql
    )
    assert "NULLS" not in sql


def test_headers_toggle_the_direction_and_keep_the_filters():
    headers = ORDER_SORTING.headers("status", {"status": "shipped", "page": "3", "sort": "status"})
    assert headers["status"].query == "status=shipped&sort=-status"
    assert (headers["status"].aria, headers["status"].arrow) == ("ascending", " ↑")
    assert headers["order"].query == "status=shipped&sort=order"
    assert headers["order"].aria == "none"
    down = ORDER_SORTING.headers("-status", {})["status"]
    assert (down.query, down.aria, down.arrow) == ("sort=status", "descending", " ↓")
    # No sort asked: the default column shows its direction.
    assert ORDER_SORTING.headers("", {})["purchased"].aria == "descending"


# --- every table, every column, both directions ---------------------------------------------------


@pytest.fixture
def data(personas: Personas) -> Personas:
    mf.seed_money(personas)
    team = personas.team
    with team_scope(team.id):
        connection = Order.objects.filter(team=team).first().connection  # type: ignore[union-attr]
    now = timezone.now()
    with team_scope(team.id):
        for n, (sku, kind, days, quantity, estimate, status) in enumerate(
            [
                ("MUG-1", ClaimKind.WAREHOUSE_LOST, 20, 2, "12.00", ClaimStatus.OPEN),
                ("LAMP-1", ClaimKind.RETURN_NOT_RECEIVED, 10, 1, "35.00", ClaimStatus.FILED),
                ("CASE-1", ClaimKind.WAREHOUSE_DAMAGED, 40, 3, "7.50", ClaimStatus.OPEN),
            ]
        ):
            Claim.objects.create(
                team=team,
                connection=connection,
                kind=kind,
                key=f"K{n}",
                marketplace_id=f.US,
                sku=sku,
                quantity=quantity,
                occurred_at=now - timedelta(days=n + 1),
                opens_on=now.date() - timedelta(days=1),
                deadline=now.date() + timedelta(days=days),
                currency="USD",
                estimate=Decimal(estimate),
                evidence=[],
                status=status,
                detected_at=now,
                updated_at=now,
            )
    for sku, cost in (("MUG-1", "5.00"), ("LAMP-1", "9.00"), ("CASE-1", "2.00")):
        add_cost(team, sku, cost, date(2026, 1, 1))
    add_cost(personas.outsider_team, "SECRET-SKU", "1.00", date(2026, 1, 1))
    return personas


def _settlement_pk(p: Personas) -> str:
    from ams.finance.models import Settlement

    with team_scope(p.team.id):
        return str(Settlement.objects.get(team=p.team, settlement_id="S-OK").pk)


# page url name, its Sorting, the attribute naming a row, the export's column naming it, base query
TABLES = [
    ("orders", ORDER_SORTING, "data-order", 0, {}),
    ("inventory", STOCK_SORTING, "data-sku", 0, {}),
    ("listings", LISTING_SORTING, "data-sku", 0, {}),
    ("settlements", SETTLEMENT_SORTING, "data-settlement", 0, {}),
    ("transactions", TRANSACTION_SORTING, "data-transaction", 0, {"date_from": "2026-01-01"}),
    ("settlement_lines", SETTLEMENT_LINE_SORTING, "data-line", 1, {"settlement": None}),
    ("claims", CLAIM_SORTING, "data-key", None, {"show": "all"}),
    ("procurement_costs", COST_SORTING, 'tbody class="sku-costs" data-sku', 0, {}),
]
EXPORT_URL = {"procurement_costs": "procurement_cost_export"}
# Columns where some rows hold no value: those come last in both directions, so the descending
# order is not the ascending one reversed.
MIXED_NULLS = {("inventory", "cover"), ("inventory", "sold"), ("settlements", "reconciliation")}
CASES = [
    (name, sorting, attr, column, base, key)
    for name, sorting, attr, column, base in TABLES
    for key in sorting.columns
]


@pytest.mark.parametrize(
    ("name", "sorting", "attr", "column", "base", "key"),
    CASES,
    ids=[f"{c[0]}-{c[5]}" for c in CASES],
)
def test_each_column_sorts_both_ways_and_the_export_follows(
    data: Personas, name, sorting: Sorting, attr, column, base, key
):
    base = {k: (v if v is not None else _settlement_pk(data)) for k, v in base.items()}
    url = reverse(name, args=[data.team.slug])
    client = client_for(data.viewer)
    found = {}
    for value in (key, f"-{key}"):
        response = client.get(url, {**base, "sort": value})
        assert response.status_code == 200
        html = response.content.decode()
        rows = keys(html, attr)
        assert rows, f"{name} shows no rows"
        assert "SECRET" not in html
        descending = value.startswith("-")
        aria = "descending" if descending else "ascending"
        assert f'aria-sort="{aria}" data-sort="{key}"' in html
        assert 'id="filter-problems"' not in html
        # The header links to the other direction, keeping the filters.
        other = key if descending else f"-{key}"
        assert f'sort={other}"' in html
        found[value] = rows
        if column is not None:
            export = client.get(
                reverse(EXPORT_URL.get(name, name), args=[data.team.slug]),
                {**base, "sort": value, "format": "csv"},
            )
            assert export.status_code == 200
            exported = [r[column] for r in csv_rows(export)[1:]]
            assert runs(exported) == runs(rows), f"{name} export differs from the page"
    assert sorted(found[key]) == sorted(found[f"-{key}"])
    if (name, key) not in MIXED_NULLS:
        assert found[f"-{key}"] == found[key][::-1]


@pytest.mark.parametrize(
    ("name", "sort", "attr", "expected"),
    [
        (
            "orders",
            "order",
            "data-order",
            ["111-0000001-0000001", "111-0000002-0000001", "302-0000003-0000001"],
        ),
        (
            "orders",
            "purchased",
            "data-order",
            ["111-0000001-0000001", "302-0000003-0000001", "111-0000002-0000001"],
        ),
        (
            "orders",
            "status",
            "data-order",
            ["111-0000002-0000001", "111-0000001-0000001", "302-0000003-0000001"],
        ),
        (
            "orders",
            "-status",
            "data-order",
            ["302-0000003-0000001", "111-0000001-0000001", "111-0000002-0000001"],
        ),
        (
            "orders",
            "channel",
            "data-order",
            ["111-0000001-0000001", "111-0000002-0000001", "302-0000003-0000001"],
        ),
        ("inventory", "-fulfillable", "data-sku", ["LAMP-1", "MUG-1", "CASE-1"]),
        ("inventory", "-cover", "data-sku", ["LAMP-1", "MUG-1", "CASE-1"]),  # no sales: last
        ("inventory", "cover", "data-sku", ["MUG-1", "LAMP-1", "CASE-1"]),
        ("listings", "title", "data-sku", ["MUG-1", "LAMP-1"]),  # Blue mug, Desk lamp
        ("settlements", "deposit", "data-settlement", ["S-OK", "S-BAD", "S-WAIT"]),
        ("claims", "-estimate", "data-key", ["K1", "K0", "K2"]),
        ("claims", "units", "data-key", ["K1", "K0", "K2"]),
    ],
)
def test_known_orders(data: Personas, name, sort, attr, expected):
    params = {"sort": sort, **({"show": "all"} if name == "claims" else {})}
    html = client_for(data.viewer).get(reverse(name, args=[data.team.slug]), params).content
    assert keys(html.decode(), attr) == expected


def test_the_default_order_is_unchanged(data: Personas):
    html = client_for(data.viewer).get(reverse("orders", args=[data.team.slug])).content.decode()
    assert keys(html, "data-order") == [
        "111-0000002-0000001",
        "302-0000003-0000001",
        "111-0000001-0000001",
    ]
    assert 'aria-sort="descending" data-sort="purchased"' in html
    listings = client_for(data.viewer).get(reverse("listings", args=[data.team.slug]))
    assert keys(listings.content.decode(), "data-sku") == ["LAMP-1", "MUG-1"]  # suppressed first


def test_the_sort_is_kept_by_the_filter_form_the_pages_and_the_exports(data: Personas):
    html = (
        client_for(data.viewer)
        .get(reverse("orders", args=[data.team.slug]), {"sort": "-status", "marketplace": f.US})
        .content.decode()
    )
    assert '<input type="hidden" name="sort" value="-status"' in html
    assert 'id="export-csv">' in html
    assert "marketplace=ATVPDKIKX0DER&amp;sort=-status&amp;format=csv" in html
    # The header keeps the filter and starts again on page one.
    assert 'marketplace=ATVPDKIKX0DER&amp;sort=status" class="sort-link"' in html


def test_an_outsider_sees_nothing_sorted_either(data: Personas):
    outsider = client_for(data.outsider)
    for name in ("orders", "inventory", "listings", "settlements", "claims", "procurement_costs"):
        url = reverse(name, args=[data.team.slug])
        assert outsider.get(url, {"sort": "-sku"}).status_code == 404
    # (A status filter: the outsider's team has no day rollup to count its orders from.)
    own = outsider.get(
        reverse("orders", args=[data.outsider_team.slug]), {"sort": "order", "status": "shipped"}
    )
    assert keys(own.content.decode(), "data-order") == ["999-SECRET-0000001"]
    costs = outsider.get(
        reverse("procurement_cost_export", args=[data.outsider_team.slug]),
        {"sort": "-sku", "format": "csv"},
    )
    assert [r[0] for r in csv_rows(costs)[1:]] == ["SECRET-SKU"]


# --- a stable order across pages ------------------------------------------------------------------


def test_rows_that_tie_keep_one_order_across_pages_and_in_the_export(personas: Personas):
    team = personas.team
    c = f.connected(team)
    same = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    ids = [f"113-{n:07d}-0000001" for n in range(120)]
    for order_id in reversed(ids):  # inserted in the reverse of the tie-break's order
        f.order(team, c, at=same, lines=[("MUG-1", 1, "5.00")], order_id=order_id)
    f.order_day(team, c, date(2026, 3, 3), orders=120, units=120, sales="600.00")
    client = client_for(personas.viewer)
    url = reverse("orders", args=[team.slug])
    for sort, expected in (("status", ids), ("-status", ids[::-1]), ("", ids[::-1])):
        pages = []
        for number in (1, 2, 3):
            html = client.get(url, {"sort": sort, "page": str(number)}).content.decode()
            pages += keys(html, "data-order")
        assert pages == expected
        export = client.get(url, {"sort": sort, "format": "csv"})
        assert [r[0] for r in csv_rows(export)[1:]] == expected
    second = client.get(url, {"sort": "status", "page": "2"}).content.decode()
    assert "sort=status&amp;page=3" in second
    assert "sort=status&amp;page=1" in second


# --- searching orders by id -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_id", "expected"),
    [
        ("111-0000002-0000001", ["111-0000002-0000001"]),  # exact
        ("111-", ["111-0000002-0000001", "111-0000001-0000001"]),  # a prefix
        ("302", ["302-0000003-0000001"]),
        ("  302-0000003-0000001 ", ["302-0000003-0000001"]),  # pasted with spaces
        ("0000001", []),  # not a prefix
        ("999-SECRET", []),  # another team's
    ],
)
def test_search_orders_by_order_id(data: Personas, order_id, expected):
    client = client_for(data.viewer)
    url = reverse("orders", args=[data.team.slug])
    html = client.get(url, {"order_id": order_id}).content.decode()
    assert keys(html, "data-order") == expected
    assert 'id="order-totals"' not in html  # the day rollup cannot answer for one order
    export = client.get(url, {"order_id": order_id, "format": "csv"})
    assert runs([r[0] for r in csv_rows(export)[1:]]) == expected


def test_an_order_id_that_cannot_be_one_says_so(data: Personas):
    html = (
        client_for(data.viewer)
        .get(reverse("orders", args=[data.team.slug]), {"order_id": "'; drop"})
        .content.decode()
    )
    assert "An order id has digits, letters and dashes" in html
    assert len(keys(html, "data-order")) == 3


# --- invalid filters say why ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "message", "attr", "expected"),
    [
        (
            "orders",
            {"date_from": "2026-02-04", "date_to": "2026-02-01", "marketplace": f.US},
            "From must be on or before To",
            "data-order",
            ["111-0000002-0000001", "111-0000001-0000001"],  # the marketplace still applies
        ),
        (
            "orders",
            {"marketplace": "XX-NOT-ONE", "status": "cancelled"},
            "Unknown marketplace “XX-NOT-ONE”",
            "data-order",
            ["111-0000002-0000001"],
        ),
        (
            "orders",
            {"date_from": "2026-13-45", "channel": "MFN"},
            "From: Enter a date as YYYY-MM-DD.",
            "data-order",
            ["302-0000003-0000001"],
        ),
        (
            "orders",
            {"sort": "purchased_at", "status": "shipped"},
            "Unknown sort column “purchased_at”",
            "data-order",
            ["302-0000003-0000001", "111-0000001-0000001"],  # the default order
        ),
        (
            "settlements",
            {"deposit_from": "2026-02-20", "deposit_to": "2026-01-01"},
            "Deposited from must be on or before Deposited to",
            "data-settlement",
            ["S-WAIT", "S-BAD", "S-OK"],
        ),
        (
            "transactions",
            {"date_from": "2026-03-01", "date_to": "2026-02-01", "order": mf.ORDER},
            "Posted from must be on or before Posted to",
            "data-transaction",
            None,
        ),
        (
            "inventory",
            {"sort": "nope", "marketplace": "ZZ"},
            "Unknown sort column “nope”",
            "data-sku",
            ["MUG-1", "LAMP-1", "CASE-1"],
        ),
        (
            "claims",
            {"sort": "-bogus", "show": "all"},
            "Unknown sort column “-bogus”",
            "data-key",
            ["K1", "K0", "K2"],
        ),
        (
            "procurement_costs",
            {"sort": "unit_cost", "marketplace": "nowhere"},
            "Unknown sort column “unit_cost”",
            'tbody class="sku-costs" data-sku',
            ["CASE-1", "LAMP-1", "MUG-1"],
        ),
    ],
)
def test_invalid_filters_say_why_and_the_valid_ones_still_apply(
    data: Personas, name, params, message, attr, expected
):
    client = client_for(data.viewer)
    url = reverse(name, args=[data.team.slug])
    response = client.get(url, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="filter-problems"' in html
    assert message in html
    if expected is not None:
        assert keys(html, attr) == expected
    if name == "orders":
        # The export applies exactly what the page shows.
        export = client.get(url, {**params, "format": "csv"})
        assert runs([r[0] for r in csv_rows(export)[1:]]) == expected


def test_the_error_sits_next_to_its_field(data: Personas):
    html = (
        client_for(data.viewer)
        .get(
            reverse("orders", args=[data.team.slug]),
            {"date_from": "2026-02-04", "date_to": "2026-02-01"},
        )
        .content.decode()
    )
    assert re.search(r'id="filter_date_from"[^>]*>\s*<small class="field-error"', html)
    # Neither date is applied: every order shows.
    assert len(keys(html, "data-order")) == 3


def test_an_invalid_filter_in_a_queued_export_is_left_out_as_on_the_page(data: Personas):
    from ams.dashboard.exports import orders_export

    source = orders_export(
        data.team, {"marketplace": "XX", "status": "cancelled", "sort": "-order"}
    )
    assert source.params == {"status": "cancelled", "sort": "-order"}


# --- the fee breakdown's SKU table ----------------------------------------------------------------


def _fee_rows(html: str) -> list[tuple[str, str]]:
    return re.findall(r'class="fee-sku" data-sku="([^"]*)" data-currency="(\w+)"', html)


def test_the_fee_table_sorts_by_sku_currency_or_total(data: Personas):
    client = client_for(data.viewer)
    url = reverse("fees", args=[data.team.slug])
    months = {"month_from": "2026-02", "month_to": "2026-02"}
    by_sku = _fee_rows(client.get(url, {**months, "sort": "sku"}).content.decode())
    assert [s for s, _c in by_sku] == sorted(s for s, _c in by_sku)
    down = client.get(url, {**months, "sort": "-sku"}).content.decode()
    assert _fee_rows(down) == by_sku[::-1]
    assert 'aria-sort="descending" data-sort="sku"' in down
    # The header links keep the months as the form reads them.
    assert "month_from=2026-02&amp;month_to=2026-02&amp;sort=sku" in down
    assert "SECRET" not in down
    by_total = _fee_rows(client.get(url, {**months, "sort": "total"}).content.decode())
    assert by_total[0] == ("", "USD")  # the storage fee, 12.00, is the largest
    assert sorted(by_total) == sorted(by_sku)
    assert client_for(data.outsider).get(url, {"sort": "sku"}).status_code == 404
    # The export carries the sort in its link.
    assert "sort=-sku&amp;format=csv" in down
