"""The one module that talks HTTP: timeouts, retries with backoff, redacted logging.

Everything outbound from AMS to Amazon (SP-API, LWA, report downloads) goes through
:class:`HttpClient`; ruff bans other HTTP libraries elsewhere.  It returns small response
objects of its own so no other module depends on httpx's types, and it turns httpx's
exceptions into :mod:`spapi.errors` types.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from spapi.errors import BadResponse, RequestTimeout, SpApiError, TransportError
from spapi.redact import get_logger, redact

logger = get_logger(__name__)

T = TypeVar("T")

# Amazon answers most calls in well under a second; report documents can be large, hence
# the generous read timeout (it bounds the gap between two chunks, not the whole download).
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)

Timeout = float | httpx.Timeout

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    Attempt ``n`` (0-based) that failed waits ``uniform(0, min(max_delay, base_delay * 2**n))``
    before attempt ``n + 1``.  Full jitter spreads a fleet of workers that were throttled
    together; Amazon sends no ``Retry-After`` to synchronize on.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        return float(rng() * min(self.max_delay, self.base_delay * (2**attempt)))


def call_with_retries(
    attempt: Callable[[int], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    what: str = "",
) -> T:
    """Run ``attempt(n)`` until it returns, raising the last error once retries run out.

    Only errors with ``retryable = True`` are retried (429, 5xx, transport failures).  That
    includes POSTs: those the client sends are read-only (fee estimates) or harmless to repeat
    (a second createReport makes a second report), and a 429 was never processed at all.
    """
    n = 0
    while True:
        try:
            return attempt(n)
        except SpApiError as exc:
            exc.attempts = n + 1
            if not exc.retryable or n + 1 >= policy.max_attempts:
                raise
            delay = policy.backoff(n, rng)
            logger.info("%s failed (%s); retry %d in %.2fs", what, exc, n + 1, delay)
            sleep(delay)
            n += 1


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete response.  Headers and body stay out of the repr: an LWA body is a token."""

    status: int
    headers: Mapping[str, str] = field(repr=False)  # case-insensitive
    content: bytes = field(repr=False)
    url: str = field(repr=False)

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-amzn-requestid")

    def json(self) -> Any:
        if not self.content.strip():
            return {}
        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise BadResponse(
                f"expected JSON, got {self.headers.get('content-type', 'no content type')}: "
                f"{self.text()[:200]!r}",
                status=self.status,
                request_id=self.request_id,
            ) from exc

    def text(self) -> str:
        return redact(self.content.decode("utf-8", errors="replace"))


class StreamingResponse:
    """A response whose body has not been read; iterate :meth:`iter_raw` to read it."""

    def __init__(self, response: httpx.Response, chunk_size: int) -> None:
        self._response = response
        self._chunk_size = chunk_size
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers

    def iter_raw(self) -> Iterator[bytes]:
        """The body exactly as sent (no Content-Encoding decoding), chunk by chunk."""
        try:
            yield from self._response.iter_raw(self._chunk_size)
        except httpx.TimeoutException as exc:
            raise RequestTimeout(f"timed out reading the body: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise TransportError(
                f"body incomplete: {type(exc).__name__}: {redact(str(exc))}"
            ) from None

    def read_prefix(self, limit: int = 64 * 1024) -> bytes:
        """Up to ``limit`` bytes of the body, for classifying an error response."""
        buf = bytearray()
        for chunk in self.iter_raw():
            buf += chunk
            if len(buf) >= limit:
                break
        return bytes(buf[:limit])


class HttpClient:
    """A thin wrapper around :class:`httpx.Client`.

    Pass ``client`` to share a connection pool or to inject an ``httpx.MockTransport`` in
    tests; otherwise one is created (and closed by :meth:`close`).  Redirects are not followed:
    Amazon does not redirect API calls, and following one could carry a token elsewhere.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._timeout = timeout
        self._clock = clock

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpClient(timeout={self._timeout!r})"

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> HttpResponse:
        """One request, one response; no retries here (see :func:`call_with_retries`)."""
        started = self._clock()
        content: bytes | None = None
        request_headers = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
            request_headers.setdefault("content-type", "application/json")
        try:
            response = self._client.request(
                method,
                url,
                params=dict(params) if params else None,
                content=content,
                data=dict(form) if form is not None else None,
                headers=request_headers,
                timeout=timeout if timeout is not None else self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise RequestTimeout(f"{method} {redact(url)}: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise TransportError(
                f"{method} {redact(url)}: {type(exc).__name__}: {redact(str(exc))}"
            ) from None
        elapsed = self._clock() - started
        logger.debug(
            "%s %s -> %d in %.3fs (request id %s)",
            method,
            redact(str(response.request.url)),
            response.status_code,
            elapsed,
            response.headers.get("x-amzn-requestid"),
        )
        return HttpResponse(
            status=response.status_code,
            headers=response.headers,
            content=response.content,
            url=str(response.request.url),
        )

    @contextmanager
    def stream(
        self,
        url: str,
        *,
        timeout: Timeout | None = None,
        chunk_size: int = 64 * 1024,
    ) -> Iterator[StreamingResponse]:
        """GET ``url`` without reading the body, with no headers beyond httpx's defaults.

        Used for presigned report URLs, which must not receive an SP-API token.
        """
        try:
            with self._client.stream(
                "GET", url, timeout=timeout if timeout is not None else self._timeout
            ) as response:
                logger.debug("GET %s -> %d (streaming)", redact(url), response.status_code)
                yield StreamingResponse(response, chunk_size)
        except httpx.TimeoutException as exc:
            raise RequestTimeout(f"GET {redact(url)}: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise TransportError(
                f"GET {redact(url)}: {type(exc).__name__}: {redact(str(exc))}"
            ) from None
