"""Access-token caching per seller, with an expiry margin and a lock against refresh stampedes.

LWA access tokens live 3600 s and may be reused for every call until then.  A cache entry is
considered stale :data:`EXPIRY_MARGIN` seconds before its expiry so a token never expires
between the check and Amazon's receipt of the request.  When it is stale, exactly one caller
per key refreshes it (under :meth:`TokenCache.lock`) and the others wait and reuse the result,
instead of every worker hitting LWA at once on the hour.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from spapi.redact import register_secret

EXPIRY_MARGIN = 60.0


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An LWA access token and when it expires (seconds since the epoch, ``time.time()``)."""

    value: str
    expires_at: float

    def __post_init__(self) -> None:
        register_secret(self.value)

    def is_fresh(self, now: float, margin: float = EXPIRY_MARGIN) -> bool:
        return now < self.expires_at - margin

    def __repr__(self) -> str:
        return f"AccessToken(value='***', expires_at={self.expires_at!r})"

    __str__ = __repr__


class TokenCache(Protocol):
    """Where access tokens are kept between calls.

    A shared implementation (database, Redis) lets every worker reuse one token per seller;
    it should store the token encrypted, and :meth:`lock` should be a cross-process lock
    (``SELECT … FOR UPDATE`` on the seller's row, ``pg_advisory_xact_lock``, a Redis lock).
    """

    def get(self, key: str) -> AccessToken | None: ...

    def set(self, key: str, token: AccessToken) -> None: ...

    def invalidate(self, key: str) -> None: ...

    def lock(self, key: str) -> AbstractContextManager[None]:
        """Serialize refreshes of one key; must be held across get-check-refresh-set."""
        ...


class MemoryTokenCache:
    """A thread-safe in-process cache with one lock per key."""

    def __init__(self) -> None:
        self._tokens: dict[str, AccessToken] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str) -> AccessToken | None:
        with self._guard:
            return self._tokens.get(key)

    def set(self, key: str, token: AccessToken) -> None:
        with self._guard:
            self._tokens[key] = token

    def invalidate(self, key: str) -> None:
        with self._guard:
            self._tokens.pop(key, None)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with self._guard:
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            yield

    def __repr__(self) -> str:
        with self._guard:
            return f"MemoryTokenCache(keys={sorted(self._tokens)!r})"


def cached_token(
    cache: TokenCache,
    key: str,
    fetch: Callable[[], AccessToken],
    *,
    clock: Callable[[], float] = time.time,
    margin: float = EXPIRY_MARGIN,
) -> tuple[AccessToken, bool]:
    """Return a fresh token for ``key`` and whether it was fetched by this call.

    The double check (before and after taking the lock) is what stops the stampede: callers
    that queued behind the one refreshing find its token and do not fetch again.
    """
    token = cache.get(key)
    if token is not None and token.is_fresh(clock(), margin):
        return token, False
    with cache.lock(key):
        token = cache.get(key)
        if token is not None and token.is_fresh(clock(), margin):
            return token, False
        token = fetch()
        cache.set(key, token)
        return token, True


def invalidate_if_current(cache: TokenCache, key: str, token: AccessToken) -> None:
    """Drop ``token`` from the cache unless another caller has already replaced it.

    Many workers can receive a 403 for the same stale token at once; only the first should
    throw it away, or each would discard the replacement the previous one just minted.
    """
    with cache.lock(key):
        current = cache.get(key)
        if current is not None and current.value == token.value:
            cache.invalidate(key)
