"""Usage plans: a token bucket per (seller, operation), exactly Amazon's arithmetic."""

from __future__ import annotations

import time

import pytest

from spapi_sim import start_server
from spapi_sim.ratelimit import USAGE_PLANS, Plan, RateLimiter, plan_for
from spapi_sim.tests.conftest import US, Api, amazon_data, small_config


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_allows_the_burst_then_refuses():
    clock = FakeTime()
    limiter = RateLimiter(1.0, monotonic=clock)
    results = [limiter.take("A1", "getOrders")[0] for _ in range(21)]
    assert results == [True] * 20 + [False]


def test_tokens_come_back_at_the_rate():
    clock = FakeTime()
    limiter = RateLimiter(1.0, monotonic=clock)
    for _ in range(2):
        assert limiter.take("A1", "getInventorySummaries")[0]
    assert not limiter.take("A1", "getInventorySummaries")[0]
    clock.now += 0.49  # 2 rps: half a second per token
    assert not limiter.take("A1", "getInventorySummaries")[0]
    clock.now += 0.02
    assert limiter.take("A1", "getInventorySummaries")[0]
    clock.now += 10  # never more than the burst
    assert [limiter.take("A1", "getInventorySummaries")[0] for _ in range(3)] == [True, True, False]


def test_buckets_are_per_seller_and_operation():
    limiter = RateLimiter(1.0, monotonic=FakeTime())
    assert limiter.take("A1", "getPricing")[0]
    assert not limiter.take("A1", "getPricing")[0]
    assert limiter.take("A2", "getPricing")[0]
    assert limiter.take("A1", "getCompetitivePricing")[0]


def test_rate_scale_multiplies_rate_and_burst():
    assert plan_for("getOrders", 1) == Plan(0.0167, 20)
    assert plan_for("getOrders", 10) == Plan(pytest.approx(0.167), 200)  # type: ignore[arg-type]
    assert plan_for("getPricing", 0.1) == Plan(pytest.approx(0.05), 1)  # type: ignore[arg-type]  # burst >= 1
    assert plan_for("getOrders", 0) is None  # 0 switches limiting off


def test_the_plans_are_the_models_plans():
    rows = (amazon_data() / "models" / "rate_limits_all_ops.tsv").read_text().splitlines()
    table: dict[str, set[tuple[str, float, int]]] = {}
    for row in rows:
        model, operation, _method, _path, rate_text, burst_text = row.split("\t")
        if rate_text.replace(".", "").isdigit():
            table.setdefault(operation, set()).add((model, float(rate_text), int(burst_text)))
    for operation, (rate, burst) in USAGE_PLANS.items():
        name = "getOrder" if operation == "getOrder2026" else operation
        assert any(r == rate and b == burst for _m, r, b in table[name]), operation


def test_over_http_the_burst_is_served_and_the_next_call_is_429():
    with start_server(
        small_config(sellers=1, skus_per_seller=5, history_days=5, rate_scale=1)
    ) as server:
        api = Api(server)
        statuses = [
            api.get(
                "/orders/v0/orders", MarketplaceIds=US, CreatedAfter="2026-05-30T00:00:00Z"
            ).status_code
            for _ in range(21)
        ]
        assert statuses == [200] * 20 + [429]
        ok = api.get("/sellers/v1/marketplaceParticipations")
        assert ok.headers["x-amzn-ratelimit-limit"] == "0.016"
        stats = api.http.get("/_sim/stats").json()["operations"]["getOrders"]
        assert (stats["requests"], stats["throttled"], stats["200"]) == (21, 1, 20)


def test_sustained_load_stays_within_a_request_of_the_bucket_arithmetic():
    # getInventorySummaries at rate_scale 2: 4 rps, burst 4. The server's clock is only known
    # to lie between a request's send and receive times, so the bounds use those.
    rate, burst = 4.0, 4
    with start_server(
        small_config(sellers=1, skus_per_seller=5, history_days=5, rate_scale=2)
    ) as server:
        api = Api(server)
        calls = []
        started = time.monotonic()
        while time.monotonic() - started < 1.5:
            sent = time.monotonic()
            response = api.get(
                "/fba/inventory/v1/summaries",
                granularityType="Marketplace",
                granularityId=US,
                marketplaceIds=US,
            )
            calls.append((sent, time.monotonic(), response.status_code))
    first_received = calls[0][1]
    first_sent = calls[0][0]
    served = 0
    throttled = 0
    for sent, received, status in calls:
        if status == 200:
            served += 1
            # Never more than the bucket could have held by the time this one was served.
            assert served <= burst + rate * (received - first_sent) + 1
        else:
            assert status == 429
            throttled += 1
            # Refused only once every token that had come in was spent.
            assert served >= burst + rate * (sent - first_received) - 1
    assert throttled > 0


@pytest.mark.parametrize("scale", [0])
def test_rate_scale_zero_never_throttles(api: Api, scale: float):
    for _ in range(40):
        assert (
            api.get(
                "/products/pricing/v0/price", MarketplaceId=US, ItemType="Sku", Skus="nope"
            ).status_code
            == 200
        )
    assert scale == 0


def test_rate_scale_can_change_at_runtime(fresh: Api):
    fresh.control("/_sim/rate_scale", {"rate_scale": 1})
    assert (
        fresh.get(
            "/products/pricing/v0/price", MarketplaceId=US, ItemType="Sku", Skus="x"
        ).status_code
        == 200
    )
    assert (
        fresh.get(
            "/products/pricing/v0/price", MarketplaceId=US, ItemType="Sku", Skus="x"
        ).status_code
        == 429
    )


def test_plans_on_the_clock_refill_with_simulated_time_only():
    # getPricing: 0.5 rps, burst 1. On a frozen clock no real time brings a token back; moving
    # the simulated clock two seconds does.
    with start_server(
        small_config(
            sellers=1, skus_per_seller=5, history_days=5, rate_scale=1, plans_on_clock=True
        )
    ) as server:
        api = Api(server)

        def price() -> int:
            return api.get(
                "/products/pricing/v0/price", MarketplaceId=US, ItemType="Sku", Skus="x"
            ).status_code

        assert price() == 200
        time.sleep(2.2)  # two real seconds would refill a real-time bucket
        assert price() == 429
        api.control("/_sim/clock", {"advance_seconds": 2.1})
        assert price() == 200
        assert price() == 429
