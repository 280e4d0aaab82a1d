"""The seller's world: deterministic, realistic, and consistent across every API."""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from decimal import Decimal

from spapi_sim.config import SimConfig
from spapi_sim.reports import columns as C
from spapi_sim.reports.documents import DocumentSpec, rows
from spapi_sim.state import SimState
from spapi_sim.tests.conftest import ANCHOR, US, Api, small_config
from spapi_sim.world.buyers import buyer
from spapi_sim.world.history import DAY, FLAG_CANCELLED, FLAG_REFUNDED
from spapi_sim.world.seller import SellerWorld


def _fingerprint(config: SimConfig) -> str:
    """A hash over everything the world serves: orders, stock, money and documents."""
    state = SimState(config)
    state.build()
    digest = hashlib.sha256()
    for world in state.sellers.values():
        now = state.now_seconds(world)
        h = world.history
        for name in (
            "o_time",
            "o_mkt",
            "o_flags",
            "i_sku",
            "i_qty",
            "s_arrival",
            "s_qty",
            "s_lost",
        ):
            digest.update(getattr(h, name).tobytes())
        for index in range(0, len(h.o_time), 7):
            digest.update(repr(world.book.view(index)).encode())
        digest.update(repr(world.stock(now)).encode())
        for period in world.ledger.periods(now)[:4]:
            spec = DocumentSpec(C.SETTLEMENT_V2, (0,), period.start, period.end, now, period)
            for row in rows(world, spec):
                digest.update("\t".join(row).encode())
    return digest.hexdigest()


def test_same_seed_same_world():
    def config(seed: int) -> SimConfig:
        return SimConfig(
            seed=seed, sellers=2, skus_per_seller=30, history_days=60, anchor=ANCHOR, clock_speed=0
        )

    assert _fingerprint(config(5)) == _fingerprint(config(5))
    assert _fingerprint(config(5)) != _fingerprint(config(6))


def test_the_world_does_not_depend_on_when_it_is_read():
    """History built in one go equals history built day by day as a running clock reads it."""
    config = small_config(sellers=1, skus_per_seller=25, history_days=30)
    at_once = SellerWorld(config, 0)
    at_once.history.ensure_day(40)
    bit_by_bit = SellerWorld(config, 0)
    for day in range(41):
        bit_by_bit.history.ensure_day(day)
        bit_by_bit.stock(day * DAY + 3600)
    assert at_once.history.o_time == bit_by_bit.history.o_time
    assert at_once.history.i_sku == bit_by_bit.history.i_sku


def _world(days: int = 200, skus: int = 120) -> SellerWorld:
    world = SellerWorld(small_config(sellers=1, skus_per_seller=skus, history_days=days), 0)
    world.build(ANCHOR)
    return world


def test_stock_runs_out_as_lost_sales_never_below_zero_and_comes_back():
    world = _world()
    h = world.history
    assert sum(h.lost_units) > 0
    assert all(min(stock) >= 0 for stock in h.stock)
    assert len(h.s_created) > 0
    assert all(arrival > created for created, arrival in zip(h.s_created, h.s_arrival, strict=True))
    levels = world.stock(world.seconds(ANCHOR))
    assert all(level.fulfillable >= 0 for market in levels for level in market.values())
    assert any(
        level.inbound_working + level.inbound_shipped + level.inbound_receiving
        for market in levels
        for level in market.values()
    )


def test_demand_has_weekly_seasonal_and_long_tail_shape():
    world = _world(days=364, skus=200)
    h = world.history
    per_day = [h.day_start[d + 1] - h.day_start[d] for d in range(364)]
    by_weekday = [
        statistics.mean(
            per_day[d] for d in range(364) if (h.start_date + dt.timedelta(days=d)).weekday() == wd
        )
        for wd in range(7)
    ]
    assert by_weekday[6] > by_weekday[4]  # Sundays beat Fridays
    units_per_sku: dict[int, int] = {}
    for item in range(len(h.i_sku)):
        units_per_sku[h.i_sku[item]] = units_per_sku.get(h.i_sku[item], 0) + h.i_qty[item]
    ranked = sorted(units_per_sku.values(), reverse=True)
    top_tenth = sum(ranked[: len(world.products) // 10])
    assert top_tenth > 0.4 * sum(ranked)  # a few best sellers, a long tail
    assert len(units_per_sku) < len(world.products) or min(ranked) <= 5  # intermittent SKUs exist


def test_the_demand_scale_sells_less_of_the_same_catalogue():
    full = _world(days=120, skus=150)
    scaled = SellerWorld(
        small_config(sellers=1, skus_per_seller=150, history_days=120, demand_scale=0.25), 0
    )
    scaled.build(ANCHOR)
    assert [p.sku for p in scaled.products] == [p.sku for p in full.products]
    ratio = len(scaled.history.o_time) / len(full.history.o_time)
    assert 0.15 < ratio < 0.35


def test_orders_have_cancellations_refunds_fba_and_fbm():
    world = _world()
    h = world.history
    flags = set(h.o_flags)
    assert any(f & FLAG_CANCELLED for f in flags)
    assert any(f & FLAG_REFUNDED for f in flags)
    channels = {world.book.view(i).channel for i in range(0, len(h.o_time), 3)}
    assert channels == {"AFN", "MFN"}


def test_money_is_decimal_and_fees_follow_the_rules():
    world = _world(days=60, skus=40)
    now = world.seconds(ANCHOR)
    events = list(world.ledger.events_between(0, now, now))
    kinds = {e.kind for e in events}
    assert {"Order", "Refund", "ServiceFee"} <= kinds
    for event in events:
        for charge in event.all_charges():
            assert isinstance(charge.amount, Decimal)
            assert (
                charge.amount == charge.amount.quantize(Decimal("0.01"))
                or event.marketplace.currency == "JPY"
            )
        if event.kind == "Order":
            for item in event.items:
                commission = next(c.amount for c in item.charges if c.description == "Commission")
                assert commission < 0


def test_the_truth_matches_what_the_api_serves(api: Api):
    truth = api.truth(**{"from": "2026-05-20", "to": "2026-05-31"})
    seen = {}
    units = 0
    body = api.ok(
        "/orders/v0/orders",
        MarketplaceIds=",".join(m["id"] for m in api.seller["marketplaces"]),
        CreatedAfter="2026-05-20T00:00:00Z",
        CreatedBefore="2026-06-01T00:00:00Z",
    )
    while True:
        for order in body["payload"]["Orders"]:
            seen[order["AmazonOrderId"]] = order
            units += order["NumberOfItemsShipped"] + order["NumberOfItemsUnshipped"]
        token = body["payload"].get("NextToken")
        if not token:
            break
        body = api.ok("/orders/v0/orders", MarketplaceIds=US, NextToken=token)
    assert len(seen) == truth["orders"]["count"]
    by_status: dict[str, int] = {}
    for order in seen.values():
        by_status[order["OrderStatus"]] = by_status.get(order["OrderStatus"], 0) + 1
    assert by_status == {k: v["orders"] for k, v in truth["orders"]["by_status"].items()}
    revenue: dict[str, Decimal] = {}
    for order_id, order in seen.items():
        if order["OrderStatus"] in ("Pending", "Canceled"):
            continue
        for item in api.ok(f"/orders/v0/orders/{order_id}/orderItems")["payload"]["OrderItems"]:
            if item["QuantityOrdered"] == 0:
                continue  # cancelled on its own: no sale, no price
            currency = item["ItemPrice"]["CurrencyCode"]
            revenue[currency] = revenue.get(currency, Decimal("0")) + Decimal(
                item["ItemPrice"]["Amount"]
            )
    assert {c: str(v) for c, v in revenue.items()} == truth["orders"]["revenue"]


def test_the_inventory_truth_matches_fba_inventory(api: Api):
    truth = api.truth(families="inventory")["inventory"]
    summaries = []
    params = {
        "granularityType": "Marketplace",
        "granularityId": US,
        "marketplaceIds": US,
        "details": "true",
    }
    while True:
        body = api.ok("/fba/inventory/v1/summaries", **params)
        summaries += body["payload"]["inventorySummaries"]
        if "pagination" not in body:
            break
        params["nextToken"] = body["pagination"]["nextToken"]
    for summary in summaries:
        expected = truth["fba"][summary["sellerSku"]]["US"]
        details = summary["inventoryDetails"]
        assert details["fulfillableQuantity"] == expected["fulfillable"]
        assert details["reservedQuantity"]["totalReservedQuantity"] == expected["reserved"]
        assert (
            details["unfulfillableQuantity"]["totalUnfulfillableQuantity"]
            == expected["unfulfillable"]
        )
        assert summary["totalQuantity"] == expected["total"]
    assert len(summaries) == sum(1 for sku in truth["fba"].values() if "US" in sku)


def test_the_listings_truth_matches_search_listings(api: Api):
    truth = api.truth(families="listings")["listings"]["by_marketplace"]["US"]
    counts = {"ACTIVE": 0, "INACTIVE": 0, "SUPPRESSED": 0}
    params = {"marketplaceIds": US, "pageSize": 20, "includedData": "summaries,issues"}
    while True:
        body = api.ok(f"/listings/2021-08-01/items/{api.spid}", **params)
        for item in body["items"]:
            status = item["summaries"][0]["status"]
            counts["ACTIVE" if "BUYABLE" in status else "INACTIVE" if status else "SUPPRESSED"] += 1
            if not status:
                assert any(i["severity"] == "ERROR" for i in item["issues"])
        if "nextToken" not in body.get("pagination", {}):
            break
        params["pageToken"] = body["pagination"]["nextToken"]
    assert counts == truth


def test_a_running_clock_brings_new_orders_status_changes_and_settlements(fresh: Api):
    before = fresh.truth()
    fresh.control("/_sim/clock", {"advance_seconds": 15 * 86400})
    after = fresh.truth()
    fresh.renew()
    assert after["orders"]["count"] > before["orders"]["count"]
    assert (
        after["orders"]["by_status"]["Shipped"]["orders"]
        > before["orders"]["by_status"]["Shipped"]["orders"]
    )
    assert len([s for s in after["settlements"] if s["processing_status"] == "Closed"]) > len(
        [s for s in before["settlements"] if s["processing_status"] == "Closed"]
    )
    recent = fresh.ok(
        "/orders/2026-01-01/orders", lastUpdatedAfter=(ANCHOR + dt.timedelta(days=14)).isoformat()
    )
    assert recent["orders"]


def test_the_clock_speed_can_be_changed(fresh: Api):
    clock = fresh.control("/_sim/clock", {"speed": 3600})
    assert clock["speed"] == 3600
    import time

    time.sleep(0.2)
    now = dt.datetime.fromisoformat(fresh.http.get("/_sim/clock").json()["now"])
    assert now - ANCHOR >= dt.timedelta(minutes=10)


def test_buyer_data_is_served_where_amazon_may_and_only_when_asked(api: Api):
    """The simulator serves buyer data as Amazon may, so a client can prove it keeps none."""
    order_id = api.ok("/orders/v0/orders", MarketplaceIds=US, CreatedAfter="2026-05-25T00:00:00Z")[
        "payload"
    ]["Orders"][0]["AmazonOrderId"]
    who = buyer(order_id)
    order = api.ok(f"/orders/v0/orders/{order_id}")["payload"]
    assert order["BuyerInfo"]["BuyerEmail"].endswith("@marketplace.amazon.com")
    assert order["ShippingAddress"]["City"] == who.city
    new = api.ok(f"/orders/2026-01-01/orders/{order_id}", includedData="BUYER,RECIPIENT")["order"]
    assert new["buyer"] == {"buyerName": who.name, "buyerEmail": who.email}
    assert new["recipient"]["deliveryAddress"]["phone"] == who.phone
    plain = api.ok(f"/orders/2026-01-01/orders/{order_id}")["order"]
    assert "buyer" not in plain
    assert "recipient" not in plain


def test_listings_filter_and_sort_by_their_dates(api: Api):
    params = {"marketplaceIds": US, "pageSize": 20, "sortBy": "lastUpdatedDate", "sortOrder": "ASC"}
    items = api.ok(f"/listings/2021-08-01/items/{api.spid}", **params)["items"]
    updated = [i["summaries"][0]["lastUpdatedDate"] for i in items]
    assert updated == sorted(updated)
    middle = updated[len(updated) // 2]
    later = api.ok(
        f"/listings/2021-08-01/items/{api.spid}",
        marketplaceIds=US,
        pageSize=20,
        lastUpdatedAfter=middle,
    )
    assert all(i["summaries"][0]["lastUpdatedDate"] >= middle for i in later["items"])
    assert (
        0
        < later["numberOfResults"]
        < api.truth(families="listings")["listings"]["by_marketplace"]["US"]["ACTIVE"] + 100
    )


def test_the_truth_splits_days_by_status(api: Api):
    orders = api.truth(**{"from": "2026-05-28", "to": "2026-05-31"})["orders"]
    for day, total in orders["by_day"].items():
        assert (
            sum(s["orders"] for s in orders["by_day_and_status"][day].values()) == total["orders"]
        )


def test_stock_of_an_earlier_day_is_rebuilt_exactly():
    """A report created yesterday and downloaded today still shows yesterday's stock."""
    config = small_config(sellers=1, skus_per_seller=40, history_days=60)
    then = SellerWorld(config, 0)
    moment = 50 * DAY + 13 * 3600
    expected = then.stock(moment)
    later = SellerWorld(config, 0)
    later.history.ensure_day(70)
    assert later.stock(moment) == expected
    assert later.stock(70 * DAY + 100) != expected


def test_the_world_is_byte_identical_across_processes():
    """No dependence on Python's per-process hash seed (set or dict order of strings)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import datetime as dt\n"
        "from spapi_sim.config import SimConfig\n"
        "from spapi_sim.tests.test_world import _fingerprint\n"
        "print(_fingerprint(SimConfig(seed=9, sellers=1, skus_per_seller=20, history_days=40,"
        " anchor=dt.datetime(2026, 6, 1, tzinfo=dt.UTC), clock_speed=0)))\n"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            timeout=120,
        )
        outputs.add(result.stdout.strip())
    assert len(outputs) == 1
