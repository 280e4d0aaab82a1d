"""The access-token cache: expiry margin and the per-seller lock against refresh stampedes."""

from __future__ import annotations

import threading
import time

from spapi.tokens import AccessToken, MemoryTokenCache, cached_token, invalidate_if_current


def test_a_token_is_stale_sixty_seconds_before_expiry():
    token = AccessToken("Atza|x", expires_at=1000.0)

    assert token.is_fresh(939.0)
    assert not token.is_fresh(940.0)


def test_cached_token_fetches_only_when_stale():
    cache = MemoryTokenCache()
    now = [0.0]
    fetched = []

    def fetch() -> AccessToken:
        fetched.append(1)
        return AccessToken(f"Atza|t{len(fetched)}", now[0] + 3600)

    assert cached_token(cache, "S1", fetch, clock=lambda: now[0]) == (
        AccessToken("Atza|t1", 3600),
        True,
    )
    now[0] = 3539.0
    assert cached_token(cache, "S1", fetch, clock=lambda: now[0])[1] is False
    now[0] = 3540.0
    token, minted = cached_token(cache, "S1", fetch, clock=lambda: now[0])
    assert minted
    assert token.value == "Atza|t2"


def test_concurrent_callers_refresh_once():
    cache = MemoryTokenCache()
    fetches = []
    start = threading.Barrier(16)

    def fetch() -> AccessToken:
        fetches.append(1)
        time.sleep(0.05)  # a slow LWA call, so the others pile up behind the lock
        return AccessToken("Atza|shared", time.time() + 3600)

    results: list[str] = []

    def worker() -> None:
        start.wait()
        token, _ = cached_token(cache, "S1", fetch)
        results.append(token.value)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(fetches) == 1
    assert results == ["Atza|shared"] * 16


def test_sellers_do_not_share_a_lock_or_a_token():
    cache = MemoryTokenCache()
    cache.set("S1", AccessToken("Atza|one", time.time() + 3600))

    with cache.lock("S1"):
        token, minted = cached_token(
            cache, "S2", lambda: AccessToken("Atza|two", time.time() + 3600)
        )

    assert (token.value, minted) == ("Atza|two", True)
    cache.invalidate("S1")
    assert cache.get("S1") is None


def test_reprs_hide_the_token():
    token = AccessToken("Atza|IwEBIsecretsecret", 5.0)
    cache = MemoryTokenCache()
    cache.set("S1", token)

    assert "secret" not in repr(token)
    assert "secret" not in str(token)
    assert "secret" not in repr(cache)


def test_a_stale_token_is_invalidated_only_if_still_current():
    cache = MemoryTokenCache()
    stale = AccessToken("Atza|stale", time.time() + 3600)
    replacement = AccessToken("Atza|replacement", time.time() + 3600)
    cache.set("S1", replacement)

    invalidate_if_current(cache, "S1", stale)
    assert cache.get("S1") == replacement

    invalidate_if_current(cache, "S1", replacement)
    assert cache.get("S1") is None
