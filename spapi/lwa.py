"""Login with Amazon (LWA): the OAuth token endpoint and its three grants.

* ``authorization_code``: the ``spapi_oauth_code`` from the consent callback → a refresh token;
* ``refresh_token``: a seller's refresh token → a one-hour access token;
* ``client_credentials``: grantless operations (notifications, client-secret rotation).

Errors map to :mod:`spapi.errors`: ``invalid_grant`` on a refresh is
:class:`~spapi.errors.AuthorizationRevoked` (the seller must consent again), on a code
exchange plain :class:`~spapi.errors.InvalidGrant` (code expired or already used);
``invalid_client`` is :class:`~spapi.errors.InvalidClient`; 429/5xx/``server_error``/
``temporarily_unavailable`` are retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from spapi.errors import (
    AuthorizationRevoked,
    BadResponse,
    InvalidClient,
    InvalidGrant,
    LwaError,
    ServerError,
    SpApiError,
    Throttled,
)
from spapi.http import HttpClient, HttpResponse, RetryPolicy, Timeout, call_with_retries
from spapi.redact import get_logger, register_secret
from spapi.tokens import AccessToken

logger = get_logger(__name__)

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 (a URL, not a secret)

# LWA is a single global endpoint; a short retry budget keeps a web request from hanging.
LWA_RETRY = RetryPolicy(max_attempts=3)

SCOPE_NOTIFICATIONS = "sellingpartnerapi::notifications"
SCOPE_CLIENT_CREDENTIAL_ROTATION = "sellingpartnerapi::client_credential:rotation"


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful LWA response.  Its repr never shows a token."""

    access_token: str
    expires_in: int
    token_type: str
    refresh_token: str | None = None
    scope: str | None = None
    request_id: str | None = None

    def access(self, now: float) -> AccessToken:
        return AccessToken(self.access_token, now + self.expires_in)

    def __repr__(self) -> str:
        refresh = "'***'" if self.refresh_token else "None"
        return (
            f"TokenResponse(access_token='***', refresh_token={refresh}, "
            f"expires_in={self.expires_in!r}, token_type={self.token_type!r}, scope={self.scope!r})"
        )

    __str__ = __repr__


class LwaClient:
    """Calls the LWA token endpoint with one application's client id and secret."""

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        http: HttpClient | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy = LWA_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        register_secret(client_secret)
        self._http = http or HttpClient()
        self._timeout = timeout
        self._retry = retry
        self._sleep = sleep
        self._rng = rng
        self.clock = clock

    def __repr__(self) -> str:
        return f"LwaClient(token_url={self.token_url!r}, client_id={self.client_id!r})"

    __str__ = __repr__

    def exchange_code(self, code: str, redirect_uri: str | None = None) -> TokenResponse:
        """Exchange a consent callback's ``spapi_oauth_code`` (valid 5 minutes, single use)."""
        register_secret(code)
        form = {"grant_type": "authorization_code", "code": code}
        if redirect_uri:
            form["redirect_uri"] = redirect_uri
        return self._grant(form, revoked_on_invalid_grant=False)

    def refresh(self, refresh_token: str) -> TokenResponse:
        """Mint an access token from a seller's refresh token."""
        register_secret(refresh_token)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._grant(form, revoked_on_invalid_grant=True)

    def client_credentials(self, scope: str = SCOPE_NOTIFICATIONS) -> TokenResponse:
        """A grantless access token for ``scope``."""
        form = {"grant_type": "client_credentials", "scope": scope}
        return self._grant(form, revoked_on_invalid_grant=False)

    def _grant(self, form: dict[str, str], *, revoked_on_invalid_grant: bool) -> TokenResponse:
        grant = form["grant_type"]
        body = {**form, "client_id": self.client_id, "client_secret": self._client_secret}

        def attempt(_: int) -> TokenResponse:
            response = self._http.send(
                "POST",
                self.token_url,
                form=body,
                headers={"accept": "application/json"},
                timeout=self._timeout,
            )
            return parse_token_response(response, grant, revoked_on_invalid_grant)

        return call_with_retries(
            attempt, self._retry, sleep=self._sleep, rng=self._rng, what=f"LWA {grant}"
        )


def parse_token_response(
    response: HttpResponse, grant: str, revoked_on_invalid_grant: bool = True
) -> TokenResponse:
    """Turn an LWA response into a :class:`TokenResponse` or raise the matching error."""
    operation = f"lwa.{grant}"
    request_id = response.request_id
    if response.status == 200:
        payload = response.json()
        if not isinstance(payload, Mapping) or not isinstance(payload.get("access_token"), str):
            raise BadResponse(
                "LWA response without access_token",
                status=response.status,
                request_id=request_id,
                operation=operation,
            )
        refresh_token = payload.get("refresh_token")
        token = TokenResponse(
            access_token=payload["access_token"],
            expires_in=int(payload.get("expires_in", 3600)),
            token_type=str(payload.get("token_type", "bearer")),
            refresh_token=refresh_token if isinstance(refresh_token, str) else None,
            scope=payload.get("scope"),
            request_id=request_id,
        )
        register_secret(token.access_token)
        register_secret(token.refresh_token)
        return token

    try:
        payload = response.json()
    except BadResponse:
        payload = {}
    if not isinstance(payload, Mapping):
        payload = {}
    error = payload.get("error")
    description = str(payload.get("error_description") or response.text()[:200] or "no body")
    # 2024+ responses carry request_id in the body too; prefer the header when present.
    request_id = request_id or payload.get("request_id")
    error_class: type[SpApiError]
    if error == "invalid_grant":
        error_class = AuthorizationRevoked if revoked_on_invalid_grant else InvalidGrant
    elif error == "invalid_client" or response.status == 401:
        error_class = InvalidClient
    elif response.status == 429:
        error_class = Throttled
    elif error in ("server_error", "temporarily_unavailable") or response.status >= 500:
        error_class = ServerError
    elif isinstance(error, str):
        error_class = LwaError
    else:
        error_class = BadResponse
    exc = error_class(
        description,
        status=response.status,
        code=error if isinstance(error, str) else None,
        request_id=request_id if isinstance(request_id, str) else None,
        operation=operation,
    )
    logger.warning("LWA %s failed: %s", grant, exc)
    raise exc
