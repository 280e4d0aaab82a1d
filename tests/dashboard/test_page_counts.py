"""What keeps the data pages fast on a large seller, and what each of those shortcuts must not change:
the capped count (and next/previous past it), the orders' count from the day rollup, the SKU filter
resolved to the team's SKUs first. Every test keeps the outsider's rows in the database."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.test import Client

from ams.amazon.models import SellerConnection
from ams.core import pagination
from ams.core.pagination import CappedPaginator
from ams.core.tenancy import team_scope
from ams.dashboard import selectors, views
from ams.inventory import selectors as stock_selectors
from ams.inventory.selectors import StockFilter
from ams.orders import selectors as order_selectors
from ams.orders.models import SkuSummary
from ams.orders.selectors import OrderFilter
from ams.teams.models import Team
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.procurement.helpers import streamed

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(personas: Personas) -> Personas:
    return f.seed(personas)


def connection_of(team: Team) -> SellerConnection:
    with team_scope(team.id):
        return SellerConnection.objects.get(team=team)


def get(p: Personas, name: str, params: dict[str, str] | None = None) -> str:
    client = Client()
    client.force_login(p.viewer)
    response = client.get(f"/t/{p.team.slug}/{name}/", params or {})
    assert response.status_code == 200
    return response.content.decode()


def order_ids(html: str) -> list[str]:
    return re.findall(r'data-order="([^"]+)"', html)


# --- The capped paginator ---------------------------------------------------------------------


def test_a_set_within_the_cap_is_counted_exactly():
    paginator = CappedPaginator(list(range(7)), 3, cap=10)
    page = paginator.get_page(3)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (7, False, 3)
    assert list(page.object_list) == [6]
    assert not page.has_next()


def test_a_set_past_the_cap_says_more_and_still_pages_forward_and_back():
    paginator = CappedPaginator(list(range(25)), 3, cap=10)
    assert paginator.capped
    assert paginator.count == 11  # counted no further than cap + 1
    far = paginator.get_page(5)  # rows 12-14, past the cap
    assert list(far.object_list) == [12, 13, 14]
    assert far.has_next()
    assert far.has_previous()
    assert (far.previous_page_number(), far.next_page_number()) == (4, 6)
    last = paginator.get_page(9)  # rows 24 only
    assert list(last.object_list) == [24]
    assert not last.has_next()
    # Past the end: the last page within the cap, as Django answers out-of-range numbers.
    assert list(paginator.get_page(99).object_list) == [9, 10, 11]
    assert paginator.get_page("x").number == 1


def test_a_page_number_past_any_offset_is_the_last_page_within_the_cap(data: Personas, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    monkeypatch.setattr(views, "PER_PAGE", 1)
    c = connection_of(data.team)
    f.listing(data.team, c, "CUP-1")
    f.listing(data.team, c, "CUP-2")
    far = get(data, "listings", {"page": str(10**19)})  # an OFFSET past a bigint
    assert "(more than 2 rows)" in far
    # The last page within the cap (3), between 2 and 4.
    assert "page=2" in far
    assert "page=4" in far
    first = get(data, "listings", {"page": "9" * 5000})  # too long to be a number: page 1
    assert "page=2" in first
    assert "← Previous" not in first


def test_a_given_count_is_used_as_is():
    paginator = CappedPaginator(list(range(25)), 3, count=25, cap=10)
    assert (paginator.capped, paginator.num_pages) == (False, 9)


def test_the_listings_page_says_more_than_the_cap_and_keeps_next_and_previous(
    data: Personas, monkeypatch
):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    monkeypatch.setattr(views, "PER_PAGE", 1)
    c = connection_of(data.team)
    f.listing(data.team, c, "CUP-1")
    f.listing(data.team, c, "CUP-2")  # four listings, the outsider's one aside
    first = get(data, "listings")
    assert "(more than 2 rows)" in first
    assert "page=2" in first
    fourth = get(data, "listings", {"page": "4"})  # past the cap: known from the extra row read
    assert "(more than 2 rows)" in fourth
    assert "page=3" in fourth  # previous
    assert "Next →" not in fourth
    assert "SECRET-SKU" not in first + fourth


# --- The orders' count from the day rollup -----------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"marketplace": f.DE},
        {"date_from": date(2026, 2, 1), "date_to": date(2026, 2, 1)},
        {"date_from": date(2026, 2, 2)},
    ],
)
def test_the_rollups_order_count_equals_the_listed_orders(data: Personas, filters):
    with team_scope(data.team.id):
        chosen = OrderFilter(**filters)
        assert (
            order_selectors.order_count(data.team, chosen)
            == order_selectors.orders(data.team, chosen).count()
        )


@pytest.mark.parametrize("filters", [{"status": "cancelled"}, {"channel": "MFN"}, {"sku": "mug"}])
def test_filters_the_rollup_does_not_split_by_are_counted_from_the_rows(data: Personas, filters):
    with team_scope(data.team.id):
        assert order_selectors.order_count(data.team, OrderFilter(**filters)) is None


def test_a_day_with_two_currencies_is_counted_from_the_rows(data: Personas, monkeypatch):
    # One order priced in two currencies is counted once per currency by the rollup.
    c = connection_of(data.team)
    f.order_day(data.team, c, date(2026, 2, 1), orders=1, units=1, sales="5.00", currency="CAD")
    with team_scope(data.team.id):
        assert order_selectors.order_count(data.team, OrderFilter()) is None
        assert (
            order_selectors.order_count(data.team, OrderFilter(marketplace=f.DE)) == 1
        )  # that day is the US's
    monkeypatch.setattr(views, "PER_PAGE", 1)
    assert "Page 1 of 3 (3 rows)" in get(data, "orders")


def test_the_orders_page_takes_its_count_from_the_rollup(data: Personas, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 1)
    # The rollup is the count: one more order in it than in the rows shows it is the one read.
    f.order_day(
        data.team, connection_of(data.team), date(2026, 2, 5), orders=1, units=1, sales="1.00"
    )
    assert "Page 1 of 4 (4 rows)" in get(data, "orders")
    assert "Page 1 of 2 (2 rows)" in get(
        data, "orders", {"status": "shipped"}
    )  # counted from the rows


# --- The SKU filter --------------------------------------------------------------------------


@pytest.fixture
def mugs(data: Personas) -> Personas:
    """Besides MUG-1: a listed BIG-MUG-2, an unlisted, unsold-lately OLD-MUG-3 with an old order, and
    an outsider selling a MUG-1 of their own."""
    team, c = data.team, connection_of(data.team)
    f.listing(team, c, "BIG-MUG-2")
    f.order(
        team,
        c,
        at=datetime(2026, 2, 4, 12, tzinfo=UTC),
        lines=[("BIG-MUG-2", 1, "8.00")],
        order_id="111-0000004-0000001",
    )
    f.order(
        team,
        c,
        at=datetime(2025, 2, 4, 12, tzinfo=UTC),
        lines=[("OLD-MUG-3", 1, "8.00")],
        order_id="111-0000005-0000001",
    )
    other, oc = data.outsider_team, connection_of(data.outsider_team)
    f.listing(other, oc, "MUG-1")
    f.sku_summary(other, oc, "mug-9", units_30d=1)
    f.order(
        other,
        oc,
        at=datetime(2026, 2, 4, 12, tzinfo=UTC),
        lines=[("MUG-1", 1, "1.00")],
        order_id="999-0000004-0000001",
    )
    return data


def test_a_sku_text_resolves_to_every_known_sku_containing_it_in_any_case(mugs: Personas):
    with team_scope(mugs.team.id):
        assert selectors.matching_skus(mugs.team, "mUg") == ["BIG-MUG-2", "MUG-1", "mUg"]
        assert selectors.matching_skus(mugs.team, "secret") == [
            "secret"
        ]  # the outsider's SKU is not the team's


def test_the_sku_filter_lists_the_orders_of_every_matching_sku_and_never_the_outsiders(
    mugs: Personas,
):
    html = get(mugs, "orders", {"sku": "Mug"})
    assert order_ids(html) == ["111-0000004-0000001", "111-0000002-0000001", "111-0000001-0000001"]
    assert "999-" not in html


def test_a_sku_in_no_small_table_is_still_found_by_its_exact_name(mugs: Personas):
    # A year after the order: past the SKU summary's days, inside the trial's 18 months of history.
    with time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False):
        html = get(mugs, "orders", {"sku": "OLD-MUG-3"})
    assert order_ids(html) == ["111-0000005-0000001"]


def test_the_export_with_a_sku_filter_holds_only_the_matching_lines(mugs: Personas):
    client = Client()
    client.force_login(mugs.viewer)
    response = client.get(f"/t/{mugs.team.slug}/orders/", {"sku": "mug", "format": "csv"})
    text = b"".join(streamed(response)).decode("utf-8-sig")
    skus = sorted(line.split(",")[6] for line in text.splitlines()[1:])
    assert skus == ["BIG-MUG-2", "MUG-1", "MUG-1"]  # LAMP-1 of the first order left out


# --- Inventory ---------------------------------------------------------------------------------


def test_stock_sums_a_skus_sales_over_its_currencies_and_counts_without_the_join(data: Personas):
    with team_scope(data.team.id):
        # MUG-1 sold 60 in USD; 30 more in CAD (an unusual second currency) make 90: 20 units cover 6 days
        # (whole days, as the page has always computed them).
        mug = SkuSummary.objects.get(team=data.team, sku="MUG-1")
        mug.pk = None
        mug.currency, mug.units_30d = "CAD", 30
        mug.save()
        stock = stock_selectors.stock(data.team, StockFilter())
        rows = {s.sku: (s.units_30d, s.days_of_cover) for s in stock}  # type: ignore[attr-defined]
        assert rows["MUG-1"][0] == 90
        assert rows["MUG-1"][1] == 20 * 30 // 90
        assert rows["CASE-1"] == (None, None)  # no sales
        assert stock_selectors.stock_levels(data.team, StockFilter(channel="AFN")).count() == 2  # type: ignore[union-attr]
        assert stock_selectors.stock_levels(data.team, StockFilter(low=True)) is None
        assert [s.sku for s in stock_selectors.stock(data.team, StockFilter(low=True))] == ["MUG-1"]
    assert "SECRET-SKU" not in get(data, "inventory")
