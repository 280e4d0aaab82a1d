"""Token-bucket rate limiting per (seller, operation), seeded from Amazon's usage plans.

Amazon meters every (selling partner, application, operation) with a token bucket: ``rate``
tokens per second are added up to ``burst``; each request takes one; an empty bucket answers
429.  The client keeps its own copy of that bucket so it waits *before* a request instead of
collecting 429s.  For the copy to be right, every process that calls Amazon for a seller must
share it: :class:`MemoryLimiter` is correct within one process only; a shared implementation
(PostgreSQL, Redis) applies the same pure :func:`take` to a row under a lock.  See
``spapi/README.md`` for a PostgreSQL recipe.

The bucket uses *reservations*: a caller that finds no token still takes one, driving the
balance negative, and is told how long to wait for it.  The next caller then waits behind it.
That keeps state to two numbers and a single atomic read-modify-write, with no polling.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from spapi.operations import get_operation
from spapi.redact import get_logger

logger = get_logger(__name__)

# Extra seconds added to every non-zero wait.  Amazon's bucket starts when our first request
# *arrives*, ours when it is sent; a later request that travels faster than the first would
# otherwise reach Amazon a few milliseconds before its token exists.
SAFETY_MARGIN = 0.05

# For operations whose model states no plan: one request per second, no burst.
DEFAULT_RATE = 1.0
DEFAULT_BURST = 1


@dataclass(frozen=True, slots=True)
class UsagePlan:
    rate: float  # tokens per second
    burst: float  # bucket size


def usage_plan(operation: str) -> UsagePlan:
    """Amazon's default plan for ``operation`` (``"<api>.<operationId>"``)."""
    try:
        op = get_operation(operation)
    except KeyError:
        return UsagePlan(DEFAULT_RATE, DEFAULT_BURST)
    if op.rate is None or op.burst is None:
        return UsagePlan(DEFAULT_RATE, DEFAULT_BURST)
    return UsagePlan(op.rate, op.burst)


def take(tokens: float, last: float, now: float, rate: float, burst: float) -> tuple[float, float]:
    """Refill a bucket to ``now`` and take one token.

    ``tokens`` is the balance at time ``last`` (seconds, any epoch shared by all callers).
    Returns ``(new_tokens, wait)``: store ``new_tokens`` with ``now`` as the new ``last``,
    then sleep ``wait`` seconds before sending.  ``new_tokens`` is negative while
    reservations are outstanding.
    """
    if rate <= 0:
        raise ValueError("rate must be positive")
    elapsed = max(0.0, now - last)  # a clock step backwards must not mint tokens
    tokens = min(float(burst), tokens + elapsed * rate) - 1.0
    wait = 0.0 if tokens >= 0 else -tokens / rate
    return tokens, wait


def drained(tokens: float, last: float, now: float, rate: float, burst: float) -> float:
    """The balance after Amazon said 429: whatever we believed, the bucket is empty now.

    Outstanding reservations (a negative balance) are kept, so callers already waiting are
    not handed each other's tokens.
    """
    refilled = min(float(burst), tokens + max(0.0, now - last) * rate)
    return min(refilled, 0.0)


class Limiter(Protocol):
    """What the client needs from a rate limiter.

    Implementations must be safe to call from many threads (and, to be useful in production,
    share state between processes).
    """

    def acquire(self, seller_id: str, operation: str) -> None:
        """Block until a request for (seller, operation) may be sent."""
        ...

    def update_rate(self, seller_id: str, operation: str, rate: float) -> None:
        """Record the rate Amazon reported in ``x-amzn-RateLimit-Limit``."""
        ...

    def drain(self, seller_id: str, operation: str) -> None:
        """Amazon answered 429: treat the bucket as empty from now."""
        ...


class NullLimiter:
    """Never waits.  For tests and for callers that rate-limit elsewhere."""

    def acquire(self, seller_id: str, operation: str) -> None:
        return None

    def update_rate(self, seller_id: str, operation: str, rate: float) -> None:
        return None

    def drain(self, seller_id: str, operation: str) -> None:
        return None


@dataclass(slots=True)
class _Bucket:
    tokens: float
    last: float
    rate: float
    burst: float


class MemoryLimiter:
    """A thread-safe in-process limiter.

    Correct only when this process is the only caller for its sellers (tests, a single
    worker, the CLI).  ``rate_scale`` multiplies the rate and the burst (rounded down, at least
    1) of every default plan, the way the simulator's ``rate_scale`` does, so a test can run
    usage plans faster than real time.  ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        *,
        rate_scale: float = 1.0,
        plans: dict[str, UsagePlan] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = SAFETY_MARGIN,
    ) -> None:
        if rate_scale <= 0:
            raise ValueError("rate_scale must be positive; use NullLimiter to switch limiting off")
        self._rate_scale = rate_scale
        self._plans = dict(plans or {})
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, seller_id: str, operation: str, now: float) -> _Bucket:
        key = (seller_id, operation)
        bucket = self._buckets.get(key)
        if bucket is None:
            plan = self._plans.get(operation) or usage_plan(operation)
            burst = max(1.0, float(math.floor(plan.burst * self._rate_scale)))
            # A new bucket starts full, as Amazon's does.
            bucket = _Bucket(burst, now, plan.rate * self._rate_scale, burst)
            self._buckets[key] = bucket
        return bucket

    def reserve(self, seller_id: str, operation: str) -> float:
        """Take a token now; return how many seconds the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            bucket = self._bucket(seller_id, operation, now)
            bucket.tokens, wait = take(bucket.tokens, bucket.last, now, bucket.rate, bucket.burst)
            bucket.last = now
        return wait

    def acquire(self, seller_id: str, operation: str) -> None:
        wait = self.reserve(seller_id, operation)
        if wait > 0:
            wait += self._margin
            logger.debug("rate limit: waiting %.2fs for %s", wait, operation)
            self._sleep(wait)

    def update_rate(self, seller_id: str, operation: str, rate: float) -> None:
        if rate <= 0:
            return
        with self._lock:
            now = self._clock()
            bucket = self._bucket(seller_id, operation, now)
            # Settle the balance at the old rate before switching.
            bucket.tokens = min(
                bucket.burst, bucket.tokens + max(0.0, now - bucket.last) * bucket.rate
            )
            bucket.last = now
            # Taken as is, not scaled: it is what the server enforces (a simulator running
            # scaled plans reports its scaled rate).
            bucket.rate = rate

    def drain(self, seller_id: str, operation: str) -> None:
        with self._lock:
            now = self._clock()
            bucket = self._bucket(seller_id, operation, now)
            bucket.tokens = drained(bucket.tokens, bucket.last, now, bucket.rate, bucket.burst)
            bucket.last = now

    def rate(self, seller_id: str, operation: str) -> float:
        """The rate currently applied to (seller, operation); for tests and diagnostics."""
        with self._lock:
            return self._bucket(seller_id, operation, self._clock()).rate
