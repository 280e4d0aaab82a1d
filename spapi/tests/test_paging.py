from __future__ import annotations

import pytest

from spapi.errors import BadResponse
from spapi.operations import get_operation
from spapi.paging import PAGE_SPECS, iterate, next_token, with_token


@pytest.mark.parametrize(
    ("operation", "page", "param"),
    [
        ("ordersV0.getOrders", {"payload": {"Orders": [], "NextToken": "t"}}, "NextToken"),
        ("ordersV0.getOrderItems", {"payload": {"NextToken": "t"}}, "NextToken"),
        ("orders_2026-01-01.searchOrders", {"pagination": {"nextToken": "t"}}, "paginationToken"),
        ("fbaInventory.getInventorySummaries", {"pagination": {"nextToken": "t"}}, "nextToken"),
        (
            "listingsItems_2021-08-01.searchListingsItems",
            {"pagination": {"nextToken": "t", "previousToken": "p"}},
            "pageToken",
        ),
        (
            "catalogItems_2022-04-01.searchCatalogItems",
            {"pagination": {"nextToken": "t"}},
            "pageToken",
        ),
        ("financesV0.listFinancialEvents", {"payload": {"NextToken": "t"}}, "NextToken"),
        ("finances_2024-06-19.listTransactions", {"payload": {"nextToken": "t"}}, "nextToken"),
        ("reports_2021-06-30.getReports", {"reports": [], "nextToken": "t"}, "nextToken"),
    ],
)
def test_each_operation_keeps_its_token_where_the_models_say(operation, page, param):
    assert next_token(operation, page) == "t"
    assert with_token(operation, {"a": "1"}, "t")[param] == "t"


def test_every_spec_names_a_known_get_operation():
    for operation in PAGE_SPECS:
        assert get_operation(operation).method == "GET"


def test_last_pages():
    assert next_token("ordersV0.getOrders", {"payload": {"Orders": []}}) is None
    assert next_token("orders_2026-01-01.searchOrders", {"pagination": {"nextToken": ""}}) is None
    assert next_token("reports_2021-06-30.getReports", {"errors": []}) is None
    assert next_token("ordersV0.getOrders", {"payload": None}) is None


def test_get_reports_sends_the_token_alone():
    assert with_token(
        "reports_2021-06-30.getReports", {"reportTypes": "X", "pageSize": "100"}, "t"
    ) == {"nextToken": "t"}
    assert with_token("reports_2021-06-30.getReports", {"reportTypes": "X"}, None) == {
        "reportTypes": "X"
    }


def test_iterate_stops_on_a_repeated_token():
    pages = iter([{"nextToken": "a"}, {"nextToken": "b"}, {"nextToken": "a"}])
    with pytest.raises(BadResponse):
        list(iterate("reports_2021-06-30.getReports", lambda token: next(pages)))


def test_iterate_respects_max_pages():
    calls = []

    def fetch(token):
        calls.append(token)
        return {"nextToken": f"t{len(calls)}"}

    assert len(list(iterate("reports_2021-06-30.getReports", fetch, max_pages=3))) == 3
    assert calls == [None, "t1", "t2"]
