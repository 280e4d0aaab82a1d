"""Helpers for the client tests: recorded fixtures served through httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from spapi.client import SpApiClient
from spapi.http import HttpClient, RetryPolicy
from spapi.lwa import LwaClient
from spapi.ratelimit import MemoryLimiter
from spapi.tokens import MemoryTokenCache

FIXTURES = Path(__file__).parent / "fixtures"
DOCUMENTS = FIXTURES / "documents"

BASE_URL = "https://sellingpartnerapi-eu.amazon.com"
LWA_URL = "https://api.amazon.com/auth/o2/token"
CLIENT_ID = "amzn1.application-oa2-client.0123456789abcdef"
CLIENT_SECRET = "amzn1.oa2-cs.v1.0123456789abcdef0123456789abcdef"
REFRESH_TOKEN = "Atzr|IwEBIcanary-refresh-token-0123456789"
SELLER_ID = "A34PPN1ZLYCOGT"


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def recorded(name: str, **body_override: Any) -> httpx.Response:
    """The recorded response of fixture ``name`` as an httpx.Response."""
    response = load_fixture(name)["response"]
    headers = {
        k: v
        for k, v in response["headers"].items()
        # The recorded framing headers describe the original wire, not this body.
        if k.lower() not in ("content-length", "transfer-encoding", "connection")
    }
    return httpx.Response(response["status"], headers=headers, content=response["body"].encode())


def lwa_ok(
    access_token: str = "Atza|IwEBIcanary-access-token-1", expires_in: int = 3600
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": access_token,
            "refresh_token": REFRESH_TOKEN,
            "token_type": "bearer",
            "expires_in": expires_in,
        },
        headers={"x-amzn-requestid": "lwa-req-1"},
    )


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeAmazon:
    """Routes requests by path to queued responses (or callables) and records every request."""

    routes: dict[str, list[httpx.Response | Handler]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    token_count: int = 0

    def add(self, path: str, *responses: httpx.Response | Handler) -> None:
        self.routes.setdefault(path, []).extend(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/auth/o2/token" and path not in self.routes:
            self.token_count += 1
            return lwa_ok(f"Atza|IwEBIcanary-access-token-{self.token_count}")
        queue = self.routes.get(path)
        if not queue:
            return httpx.Response(
                404, json={"errors": [{"code": "NotFound", "message": f"no route {path}"}]}
            )
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(item):
            return item(request)
        if item.is_stream_consumed:
            # A Response built from bytes is already "read" and cannot be streamed, and a
            # route may serve the same one twice: hand out a fresh, streamable copy.
            content = b"".join(item.stream)  # type: ignore[arg-type]
            return httpx.Response(item.status_code, headers=item.headers, content=iter([content]))
        return item

    def calls(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


class FakeClock:
    """A clock that only moves when something sleeps (or the test advances it)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def amazon() -> FakeAmazon:
    return FakeAmazon()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http(amazon: FakeAmazon) -> HttpClient:
    return HttpClient(httpx.Client(transport=httpx.MockTransport(amazon)))


@pytest.fixture
def lwa(http: HttpClient, clock: FakeClock) -> LwaClient:
    return LwaClient(LWA_URL, CLIENT_ID, CLIENT_SECRET, http=http, sleep=clock.sleep, clock=clock)


@pytest.fixture
def limiter(clock: FakeClock) -> MemoryLimiter:
    return MemoryLimiter(clock=clock, sleep=clock.sleep)


@pytest.fixture
def client(
    http: HttpClient, lwa: LwaClient, limiter: MemoryLimiter, clock: FakeClock
) -> SpApiClient:
    return SpApiClient(
        BASE_URL,
        lwa,
        SELLER_ID,
        lambda: REFRESH_TOKEN,
        limiter=limiter,
        token_cache=MemoryTokenCache(),
        http=http,
        retry=RetryPolicy(max_attempts=4, base_delay=0.5),
        sleep=clock.sleep,
        rng=lambda: 1.0,
        clock=clock,
    )
