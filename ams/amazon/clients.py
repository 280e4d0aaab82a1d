"""The one seam between AMS and Amazon: every SP-API and LWA call starts here.

``spapi_client_for(connection)`` is what the sync code uses. Its refresh-token provider and
access-token cache read the vault, so the client works only where the vault is readable: in the
worker process (``manage.py worker``) or inside ``connected_as("worker")``. The connect callback,
which runs in the web process, uses ``participations_with_new_token`` instead: it holds the new
refresh token in memory and never reads the vault.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection as db
from django.views.decorators.debug import sensitive_variables

from ams.amazon import vault
from ams.amazon.models import Region, SellerConnection
from ams.amazon.ratelimit import PostgresLimiter
from ams.core.tenancy import team_scope
from spapi import (
    AccessToken,
    HttpClient,
    LwaClient,
    MemoryTokenCache,
    SpApiClient,
    TokenResponse,
    Unauthorized,
)
from spapi.regions import REGIONS
from spapi.regions import Region as SpapiRegion
from spapi.regions import consent_url as spapi_consent_url

USER_AGENT = "AMS/1.0 (Language=Python/3.11; Platform=Linux)"
# The longest the consent callback waits for the rate limiter before giving up (seconds).
CALLBACK_MAX_WAIT = 5.0

_http_lock = threading.Lock()
_http: HttpClient | None = None


class AmazonNotConfigured(Exception):
    """The app id or LWA credentials are missing (SPAPI_APPLICATION_ID, LWA_CLIENT_ID, LWA_CLIENT_SECRET)."""


def http_client() -> HttpClient:
    """One connection pool per process (tests may replace it with a mock transport)."""
    global _http
    with _http_lock:
        if _http is None:
            _http = HttpClient()
        return _http


def endpoint(region: str) -> str:
    return settings.SPAPI_BASE_URL or REGIONS[SpapiRegion(region)].endpoint


def lwa_client() -> LwaClient:
    if not (settings.LWA_CLIENT_ID and settings.LWA_CLIENT_SECRET):
        raise AmazonNotConfigured("LWA_CLIENT_ID and LWA_CLIENT_SECRET are not set")
    token_url = settings.LWA_TOKEN_URL or REGIONS[SpapiRegion.NA].lwa_token_url
    return LwaClient(
        token_url, settings.LWA_CLIENT_ID, settings.LWA_CLIENT_SECRET, http=http_client()
    )


def redirect_uri() -> str:
    """The one OAuth redirect URI registered with the app: the callback on this site."""
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('amazon_callback')}"


def consent_url(*, region: Region | str, state: str) -> str:
    if not settings.SPAPI_APPLICATION_ID:
        raise AmazonNotConfigured("SPAPI_APPLICATION_ID is not set")
    return spapi_consent_url(
        settings.SELLER_CENTRAL_URLS[str(region)],
        application_id=settings.SPAPI_APPLICATION_ID,
        state=state,
        redirect_uri=redirect_uri(),
        beta=settings.SPAPI_APP_IS_DRAFT,
    )


@sensitive_variables()
def exchange_code(code: str) -> TokenResponse:
    """Trade the consent callback's one-time code for tokens. Raises spapi.InvalidGrant if refused."""
    return lwa_client().exchange_code(code, redirect_uri=redirect_uri())


@sensitive_variables()
class _UnprovenSellerLimiter:
    """The callback's buckets, apart from the seller's own until the token proves the seller.

    Before the proof the seller id is only what the callback's URL says; keyed by it, a user
    naming another team's seller would spend that seller's allowance. Keyed by the team instead.
    """

    def __init__(self, limiter: PostgresLimiter, team_id: int) -> None:
        self._limiter = limiter
        self._prefix = f"unproven:team-{team_id}:"

    def acquire(self, seller_id: str, operation: str) -> None:
        self._limiter.acquire(self._prefix + seller_id, operation)

    def update_rate(self, seller_id: str, operation: str, rate: float) -> None:
        self._limiter.update_rate(self._prefix + seller_id, operation, rate)

    def drain(self, seller_id: str, operation: str) -> None:
        self._limiter.drain(self._prefix + seller_id, operation)


def participations_with_new_token(
    *, region: str, seller_id: str, tokens: TokenResponse, team_id: int
) -> list[dict[str, Any]]:
    """getMarketplaceParticipations right after the exchange, with the tokens still in memory."""
    assert tokens.refresh_token is not None
    refresh_token = tokens.refresh_token
    cache = MemoryTokenCache()
    lwa = lwa_client()
    cache.set(seller_id, tokens.access(lwa.clock()))
    client = SpApiClient(
        base_url=endpoint(region),
        lwa=lwa,
        seller_id=seller_id,
        refresh_token_provider=lambda: refresh_token,
        # A web request: rather than sleep for a refill, say "try again later".
        limiter=_UnprovenSellerLimiter(
            PostgresLimiter(rate_scale=settings.SPAPI_RATE_SCALE, max_wait=CALLBACK_MAX_WAIT),
            team_id,
        ),
        token_cache=cache,
        http=http_client(),
        user_agent=USER_AGENT,
    )
    payload = client.get_marketplace_participations().get("payload") or []
    participations = [p for p in payload if isinstance(p, dict)]
    _seller_prove(client, participations)
    return participations


class SellerNotProven(Exception):
    """The token does not belong to the seller the callback named."""


def _seller_prove(client: SpApiClient, participations: list[dict[str, Any]]) -> None:
    """The callback's ``selling_partner_id`` is a URL parameter anyone can edit; the token is
    what Amazon granted. Listings Items takes the seller in its path and answers 403 unless it is
    the token's own, so one listing search (of any result) proves the two are the same seller."""
    marketplace_ids = [
        str((p.get("marketplace") or {}).get("id") or "")
        for p in participations
        if (p.get("marketplace") or {}).get("id")
    ]
    if not marketplace_ids:
        raise SellerNotProven("Amazon lists no marketplace for this account")
    try:
        client.search_listings_items(marketplace_ids=marketplace_ids[:1], page_size=1)
    except Unauthorized:
        raise SellerNotProven("the token belongs to another seller") from None


class VaultTokenCache:
    """``spapi.TokenCache`` keeping one connection's access token encrypted in the vault.

    ``lock`` is a transaction-scoped advisory lock, so one process per connection refreshes the
    token while the others wait and then reuse it. Reads need the worker role.
    """

    def __init__(self, *, team_id: int, connection_id: int) -> None:
        self.team_id = team_id
        self.connection_id = connection_id

    def __repr__(self) -> str:
        return f"VaultTokenCache(connection_id={self.connection_id})"

    def get(self, key: str) -> AccessToken | None:
        found = vault.access_token_read(team_id=self.team_id, connection_id=self.connection_id)
        if found is None:
            return None
        value, expires_at = found
        if expires_at is None:
            return None
        return AccessToken(value, expires_at.timestamp())

    def set(self, key: str, token: AccessToken) -> None:
        vault.access_token_store(
            team_id=self.team_id,
            connection_id=self.connection_id,
            access_token=token.value,
            expires_at=datetime.fromtimestamp(token.expires_at, tz=UTC),
        )

    def invalidate(self, key: str) -> None:
        vault.secrets_delete(team_id=self.team_id, connection_id=self.connection_id, kind="access")

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        with team_scope(self.team_id), db.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"spapi-token:{self.connection_id}"]
            )
            yield


def spapi_client_for(connection: SellerConnection) -> SpApiClient:
    """A client for one seller connection, with the shared rate limiter and the vault's tokens."""
    team_id, connection_id = connection.team_id, connection.id

    def refresh_token() -> str:
        return vault.refresh_token_read(team_id=team_id, connection_id=connection_id)

    return SpApiClient(
        base_url=endpoint(connection.region),
        lwa=lwa_client(),
        seller_id=connection.selling_partner_id,
        refresh_token_provider=refresh_token,
        limiter=PostgresLimiter(rate_scale=settings.SPAPI_RATE_SCALE),
        token_cache=VaultTokenCache(team_id=team_id, connection_id=connection_id),
        http=http_client(),
        user_agent=USER_AGENT,
    )
