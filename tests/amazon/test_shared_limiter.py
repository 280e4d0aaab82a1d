"""The PostgreSQL token bucket: Amazon's usage-plan arithmetic, shared by every process."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ams.amazon.ratelimit import PostgresLimiter
from spapi.ratelimit import SAFETY_MARGIN

OPERATION = "sellers.getMarketplaceParticipations"  # rate 0.016/s, burst 15


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.mark.django_db
def test_the_burst_is_free_then_each_request_waits_for_a_refill():
    sleeps = Sleeps()
    limiter = PostgresLimiter(sleep=sleeps)
    for _ in range(15):
        limiter.acquire("A1SELLER", OPERATION)
    assert sleeps == []
    limiter.acquire("A1SELLER", OPERATION)
    limiter.acquire("A1SELLER", OPERATION)
    # Reservations queue: the 16th waits one refill, the 17th two.
    assert sleeps[0] == pytest.approx(1 / 0.016 + SAFETY_MARGIN, rel=0.02)
    assert sleeps[1] == pytest.approx(2 / 0.016 + SAFETY_MARGIN, rel=0.02)


@pytest.mark.django_db
def test_buckets_are_per_seller_and_operation():
    sleeps = Sleeps()
    limiter = PostgresLimiter(sleep=sleeps)
    for _ in range(15):
        limiter.acquire("A1SELLER", OPERATION)
    limiter.acquire("A2OTHER", OPERATION)
    limiter.acquire("A1SELLER", "fbaInventory.getInventorySummaries")
    assert sleeps == []


@pytest.mark.django_db
def test_a_rate_from_amazons_header_replaces_the_default_and_a_429_drains():
    sleeps = Sleeps()
    limiter = PostgresLimiter(sleep=sleeps)
    limiter.acquire("A1SELLER", OPERATION)
    limiter.update_rate("A1SELLER", OPERATION, 2.0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rate FROM amazon_spapi_rate_bucket WHERE seller_id = 'A1SELLER'")
        assert cursor.fetchone()[0] == 2.0
    limiter.drain("A1SELLER", OPERATION)
    limiter.acquire("A1SELLER", OPERATION)
    assert sleeps
    assert sleeps[-1] == pytest.approx(1 / 2.0 + SAFETY_MARGIN, abs=0.05)


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_share_a_token():
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        limiter = PostgresLimiter(sleep=lambda s: None)
        for _ in range(5):
            wait = limiter.reserve("A1SELLER", OPERATION)
            with lock:
                waits.append(wait)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 20 requests against a burst of 15: exactly 5 had to wait, each for a distinct slot.
    queued = sorted(w for w in waits if w > 0)
    assert len(queued) == 5
    slots = [round(w * 0.016) for w in queued]
    assert slots == [1, 2, 3, 4, 5]
