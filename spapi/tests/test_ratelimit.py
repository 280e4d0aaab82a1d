"""The token bucket: pure arithmetic, the in-memory limiter, and the usage-plan table."""

from __future__ import annotations

import threading

import pytest

from spapi.operations import all_operations, get_operation
from spapi.ratelimit import MemoryLimiter, UsagePlan, drained, take, usage_plan

from .conftest import FakeClock


def test_take_spends_the_burst_then_asks_to_wait():
    tokens, last = 2.0, 0.0
    waits = []
    for _ in range(4):
        tokens, wait = take(tokens, last, 0.0, rate=2.0, burst=2)
        waits.append(wait)
    # Two tokens in the bucket, then reservations at 0.5 s intervals (rate 2/s).
    assert waits == [0.0, 0.0, 0.5, 1.0]


def test_take_refills_at_rate_up_to_burst():
    tokens, wait = take(-1.0, last=0.0, now=100.0, rate=0.5, burst=1)
    assert (tokens, wait) == (0.0, 0.0)


def test_take_ignores_a_clock_that_steps_back():
    tokens, wait = take(0.0, last=10.0, now=5.0, rate=1.0, burst=5)
    assert tokens == -1.0
    assert wait == 1.0


def test_take_rejects_a_zero_rate():
    with pytest.raises(ValueError, match="rate"):
        take(1.0, 0.0, 0.0, rate=0.0, burst=1)


def test_drained_keeps_outstanding_reservations():
    assert drained(3.0, 0.0, 0.0, 1.0, 5) == 0.0
    assert drained(-2.0, 0.0, 0.0, 1.0, 5) == -2.0


def test_usage_plans_match_the_readme_table():
    assert usage_plan("orders_2026-01-01.searchOrders") == UsagePlan(0.0056, 20)
    assert usage_plan("ordersV0.getOrders") == UsagePlan(0.0167, 20)
    assert usage_plan("fbaInventory.getInventorySummaries") == UsagePlan(2.0, 2)
    assert usage_plan("reports_2021-06-30.createReport") == UsagePlan(0.0167, 15)
    assert usage_plan("reports_2021-06-30.getReportDocument") == UsagePlan(0.0167, 15)
    assert usage_plan("productFeesV0.getMyFeesEstimateForSKU") == UsagePlan(1.0, 2)
    # No plan in the model, or an unknown name: one per second.
    assert usage_plan("fbaInventory.createInventoryItem") == UsagePlan(1.0, 1)
    assert usage_plan("nope.nothing") == UsagePlan(1.0, 1)


def test_every_operation_the_client_calls_is_in_the_table():
    names = {op.key for op in all_operations()}
    for key in (
        "sellers.getMarketplaceParticipations",
        "orders_2026-01-01.getOrder",
        "ordersV0.getOrder",
        "ordersV0.getOrderItems",
        "listingsItems_2021-08-01.searchListingsItems",
        "catalogItems_2022-04-01.getCatalogItem",
        "productPricingV0.getListingOffers",
        "productFeesV0.getMyFeesEstimates",
        "financesV0.listFinancialEventsByOrderId",
        "finances_2024-06-19.listTransactions",
        "reports_2021-06-30.getReports",
    ):
        assert key in names
    assert get_operation("ordersV0.getOrder").path == "/orders/v0/orders/{orderId}"


def test_memory_limiter_paces_calls_to_the_plan():
    clock = FakeClock(0.0)
    limiter = MemoryLimiter(clock=clock, sleep=clock.sleep, margin=0.0)

    for _ in range(5):
        limiter.acquire("S1", "fbaInventory.getInventorySummaries")  # 2 rps, burst 2

    assert clock.slept == [0.5, 0.5, 0.5]
    assert clock.now == 1.5


def test_buckets_are_per_seller_and_operation():
    clock = FakeClock(0.0)
    limiter = MemoryLimiter(clock=clock, sleep=clock.sleep, margin=0.0)

    limiter.acquire("S1", "productPricingV0.getPricing")  # burst 1
    limiter.acquire("S2", "productPricingV0.getPricing")
    limiter.acquire("S1", "productPricingV0.getCompetitivePricing")

    assert clock.slept == []


def test_update_rate_takes_the_header_value():
    clock = FakeClock(0.0)
    limiter = MemoryLimiter(clock=clock, sleep=clock.sleep, margin=0.0)

    limiter.update_rate("S1", "productPricingV0.getPricing", 5.0)
    limiter.acquire("S1", "productPricingV0.getPricing")
    limiter.acquire("S1", "productPricingV0.getPricing")

    assert limiter.rate("S1", "productPricingV0.getPricing") == 5.0
    assert clock.slept == [pytest.approx(0.2)]


def test_drain_makes_the_next_caller_wait_a_full_interval():
    clock = FakeClock(0.0)
    limiter = MemoryLimiter(clock=clock, sleep=clock.sleep, margin=0.0)

    limiter.drain("S1", "reports_2021-06-30.getReport")  # 2 rps, burst 15
    limiter.acquire("S1", "reports_2021-06-30.getReport")

    assert clock.slept == [0.5]


def test_rate_scale_speeds_up_every_plan():
    clock = FakeClock(0.0)
    limiter = MemoryLimiter(rate_scale=0.1, clock=clock, sleep=clock.sleep, margin=0.0)

    for _ in range(3):
        limiter.acquire("S1", "orders_2026-01-01.searchOrders")  # 0.0056 rps, burst 20

    # Scaled like the simulator: rate 0.00056/s, burst 2.
    assert clock.slept == [pytest.approx(1 / 0.00056)]
    # A rate the server reports is what it enforces: not scaled again.
    limiter.update_rate("S1", "orders_2026-01-01.searchOrders", 0.5)
    assert limiter.rate("S1", "orders_2026-01-01.searchOrders") == 0.5


def test_memory_limiter_is_thread_safe():
    # With a real clock and no sleeping: 200 reservations from 8 threads must hand out each
    # wait slot exactly once (reservations are spaced by 1/rate).
    waits: list[float] = []
    lock = threading.Lock()
    limiter = MemoryLimiter(clock=lambda: 0.0, sleep=lambda s: None)

    def worker() -> None:
        for _ in range(25):
            wait = limiter.reserve("S1", "productPricingV0.getPricing")  # 0.5 rps, burst 1
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(waits) == [2.0 * i for i in range(200)]


def test_waits_carry_a_safety_margin_for_network_skew():
    clock = FakeClock(0.0)
    limiter = MemoryLimiter(clock=clock, sleep=clock.sleep, margin=0.05)

    limiter.acquire("S1", "productPricingV0.getPricing")  # 0.5 rps, burst 1: no wait
    limiter.acquire("S1", "productPricingV0.getPricing")

    assert clock.slept == [pytest.approx(2.05)]
