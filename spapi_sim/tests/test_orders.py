"""Orders: incremental sync by last update, filters, pagination tokens and ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from spapi_sim.tests.conftest import ANCHOR, US, Api


def _all_v0(api: Api, **params: Any) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    body = api.ok("/orders/v0/orders", **params)
    while True:
        orders += body["payload"]["Orders"]
        token = body["payload"].get("NextToken")
        if not token:
            return orders
        body = api.ok("/orders/v0/orders", MarketplaceIds=params["MarketplaceIds"], NextToken=token)


def test_last_updated_after_catches_every_change(fresh: Api):
    markets = ",".join(m["id"] for m in fresh.seller["marketplaces"])
    before = {
        o["AmazonOrderId"]: o
        for o in _all_v0(
            fresh,
            MarketplaceIds=markets,
            CreatedAfter=(ANCHOR - dt.timedelta(days=5)).isoformat(),
            MaxResultsPerPage=7,
        )
    }
    checkpoint = fresh.http.get("/_sim/clock").json()["now"]
    fresh.control("/_sim/clock", {"advance_seconds": 86400})
    fresh.renew()
    changed = {
        o["AmazonOrderId"]: o
        for o in _all_v0(
            fresh, MarketplaceIds=markets, LastUpdatedAfter=checkpoint, MaxResultsPerPage=7
        )
    }
    assert changed
    assert all(o["LastUpdateDate"] >= checkpoint for o in changed.values())
    for order_id, old in before.items():
        new = fresh.ok(f"/orders/v0/orders/{order_id}")["payload"]
        if new["OrderStatus"] != old["OrderStatus"]:
            assert order_id in changed
    # New orders of the day are there too, and ids never repeat across pages.
    assert any(o["PurchaseDate"] >= checkpoint for o in changed.values())


def test_search_orders_filters_by_status_and_channel(api: Api):
    shipped = api.ok(
        "/orders/2026-01-01/orders",
        createdAfter="2026-05-20T00:00:00Z",
        fulfillmentStatuses="CANCELLED",
        includedData="FULFILLMENT",
    )
    assert shipped["orders"]
    assert {o["fulfillment"]["fulfillmentStatus"] for o in shipped["orders"]} == {"CANCELLED"}
    merchant = api.ok(
        "/orders/2026-01-01/orders",
        createdAfter="2026-05-20T00:00:00Z",
        fulfilledBy="MERCHANT",
        includedData="FULFILLMENT",
    )
    assert merchant["orders"]
    assert {o["fulfillment"]["fulfilledBy"] for o in merchant["orders"]} == {"MERCHANT"}
    assert all(o["programs"] == [] for o in merchant["orders"])


def test_search_orders_pages_without_repeats(api: Api):
    seen: list[str] = []
    params: dict[str, Any] = {"createdAfter": "2026-05-15T00:00:00Z", "maxResultsPerPage": 13}
    while True:
        body = api.ok("/orders/2026-01-01/orders", **params)
        seen += [o["orderId"] for o in body["orders"]]
        if "pagination" not in body:
            break
        params = {
            "createdAfter": "2026-05-15T00:00:00Z",
            "paginationToken": body["pagination"]["nextToken"],
        }
    assert len(seen) == len(set(seen)) > 13
    truth = api.truth(**{"from": "2026-05-15", "to": "2026-06-01"})["orders"]["count"]
    assert len(seen) == truth


def test_bad_parameters_are_invalid_input(api: Api):
    cases: list[tuple[str, dict[str, Any]]] = [
        ("/orders/v0/orders", {"MarketplaceIds": US}),
        ("/orders/v0/orders", {"MarketplaceIds": US, "CreatedAfter": "yesterday"}),
        (
            "/orders/v0/orders",
            {"MarketplaceIds": "A1NOTAMARKET", "CreatedAfter": "2026-05-01T00:00:00Z"},
        ),
        (
            "/orders/v0/orders",
            {
                "MarketplaceIds": US,
                "CreatedAfter": "2026-05-01T00:00:00Z",
                "MaxResultsPerPage": 101,
            },
        ),
        ("/orders/v0/orders", {"MarketplaceIds": US, "NextToken": "garbage"}),
        (
            "/orders/2026-01-01/orders",
            {"createdAfter": "2026-05-01T00:00:00Z", "includedData": "EVERYTHING"},
        ),
    ]
    for path, params in cases:
        response = api.get(path, **params)
        assert response.status_code == 400, (path, params)
        assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_order_ids_look_like_amazons_and_resolve(api: Api):
    orders = api.ok("/orders/v0/orders", MarketplaceIds=US, CreatedAfter="2026-05-28T00:00:00Z")[
        "payload"
    ]["Orders"]
    for order in orders[:10]:
        order_id = order["AmazonOrderId"]
        first, middle, last = order_id.split("-")
        assert first in {"111", "112", "113", "114"}
        assert len(middle) == len(last) == 7
        assert api.ok(f"/orders/2026-01-01/orders/{order_id}")["order"]["orderId"] == order_id
    assert api.get("/orders/v0/orders/111-1234567-7654321").status_code == 404
