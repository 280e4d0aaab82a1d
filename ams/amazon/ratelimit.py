"""The SP-API rate limiter shared by every worker process: token buckets in PostgreSQL.

Amazon meters each (selling partner, application, operation), so the bucket is keyed by seller and
operation, not by team: two teams connecting the same seller share Amazon's one quota. The bucket
arithmetic is ``spapi.ratelimit.take`` (reservations: the balance may go negative and the caller
sleeps for its token); the database only makes the read-modify-write atomic, with one clock
(``clock_timestamp()``) for every machine.

Call the client outside long transactions: inside one, the bucket row stays locked until the outer
commit and the seller's other workers queue behind it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import structlog
from django.db import connection, transaction

from spapi.errors import Throttled
from spapi.ratelimit import SAFETY_MARGIN, drained, take, usage_plan

log = structlog.get_logger(__name__)

_SEED = """
INSERT INTO amazon_spapi_rate_bucket (seller_id, operation, tokens, last, rate, burst)
VALUES (%s, %s, %s, extract(epoch FROM clock_timestamp())::float8, %s, %s)
ON CONFLICT (seller_id, operation) DO NOTHING
"""
_LOCK = """
SELECT tokens, last, rate, burst, extract(epoch FROM clock_timestamp())::float8
FROM amazon_spapi_rate_bucket WHERE seller_id = %s AND operation = %s FOR UPDATE
"""
_SAVE = "UPDATE amazon_spapi_rate_bucket SET tokens = %s, last = %s, rate = %s WHERE seller_id = %s AND operation = %s"


class PostgresLimiter:
    """``spapi.Limiter`` on the ``amazon_spapi_rate_bucket`` table.

    ``rate_scale`` multiplies the default plans' rate and burst, as the simulator's does, so a
    test against a faster simulator can run faster too. ``max_wait`` (seconds) is for callers that
    must not sleep long, such as a web request: a longer wait raises ``spapi.Throttled`` instead,
    and the token is not taken.
    """

    def __init__(
        self,
        *,
        rate_scale: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ) -> None:
        if rate_scale <= 0:
            raise ValueError("rate_scale must be positive")
        self._rate_scale = rate_scale
        self._sleep = sleep
        self._max_wait = max_wait

    def _locked(self, seller_id: str, operation: str) -> tuple[float, float, float, float, float]:
        plan = usage_plan(operation)
        burst = max(1.0, float(math.floor(plan.burst * self._rate_scale)))
        with connection.cursor() as cursor:
            # A new bucket starts full, as Amazon's does.
            cursor.execute(
                _SEED, [seller_id, operation, burst, plan.rate * self._rate_scale, burst]
            )
            cursor.execute(_LOCK, [seller_id, operation])
            row = cursor.fetchone()
        assert row is not None
        tokens, last, rate, burst_now, now = (float(v) for v in row)
        return tokens, last, rate, burst_now, now

    def _save(
        self, seller_id: str, operation: str, tokens: float, last: float, rate: float
    ) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_SAVE, [tokens, last, rate, seller_id, operation])

    def reserve(self, seller_id: str, operation: str) -> float:
        """Take a token now; return the seconds to wait before sending."""
        with transaction.atomic():
            tokens, last, rate, burst, now = self._locked(seller_id, operation)
            tokens, wait = take(tokens, last, now, rate, burst)
            if self._max_wait is not None and wait > self._max_wait:
                raise Throttled(
                    f"{operation}: the next request is {wait:.0f}s away",
                    code="QuotaExceeded",
                    operation=operation,
                )
            self._save(seller_id, operation, tokens, now, rate)
        return wait

    def acquire(self, seller_id: str, operation: str) -> None:
        wait = self.reserve(seller_id, operation)
        if wait > 0:
            # Sleep after the commit, so the row is not held while waiting. The margin covers the
            # network: Amazon's bucket counts from when the request arrives, not when it is sent.
            wait += SAFETY_MARGIN
            log.debug("spapi.rate_wait", operation=operation, seconds=round(wait, 2))
            self._sleep(wait)

    def update_rate(self, seller_id: str, operation: str, rate: float) -> None:
        if rate <= 0:
            return
        with transaction.atomic():
            tokens, last, old_rate, burst, now = self._locked(seller_id, operation)
            # Settle the balance at the old rate before switching.
            tokens = min(burst, tokens + max(0.0, now - last) * old_rate)
            # The header reports the rate in force, already scaled where a simulator scales it.
            self._save(seller_id, operation, tokens, now, rate)

    def drain(self, seller_id: str, operation: str) -> None:
        with transaction.atomic():
            tokens, last, rate, burst, now = self._locked(seller_id, operation)
            self._save(seller_id, operation, drained(tokens, last, now, rate, burst), now, rate)
