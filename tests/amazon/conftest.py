from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.db import connection
from django.test import Client

from ams.core.db_roles import connected_as

# The browser suite's fixtures (system Chromium, console/CSP watching) for the connect test here.
from tests.browser.conftest import browser_type_launch_args, page_problems, watched  # noqa: F401


@pytest.fixture
def empty_vault(transactional_db: None) -> Iterator[None]:
    """The vault is outside Django's flush (its own schema): empty it around transactional tests."""

    def truncate() -> None:
        with connected_as("owner"), connection.cursor() as cursor:
            # TRUNCATE is not subject to row-level security; only the owner may run it. The rate
            # buckets are no Django model either, so flush leaves them too.
            cursor.execute("TRUNCATE vault.spapi_credential, amazon_spapi_rate_bucket")

    truncate()
    yield
    truncate()


RATE_SCALE = 100.0


@pytest.fixture(scope="session")
def simulator() -> Iterator[Any]:
    """A local Amazon for the whole session: two NA sellers, a small world."""
    from spapi_sim import SimConfig, start_server

    # Usage plans a hundred times Amazon's, on both sides, so the suite never waits for a refill.
    config = SimConfig(
        seed=42, sellers=2, skus_per_seller=10, history_days=7, rate_scale=RATE_SCALE
    )
    server = start_server(config, host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        server.stop()


class Amazon:
    """The simulator as the tests see it, with the steps a seller takes on Seller Central."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.base_url: str = server.base_url
        self.info: dict[str, Any] = server.info()
        self.sellers: list[str] = [s["selling_partner_id"] for s in self.info["sellers"]]

    def approve(
        self, consent_url: str, *, seller: str | None = None, decision: str = "approve"
    ) -> str:
        """Approve on the consent page; return the callback path and query Amazon redirects to."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(consent_url).query).items()}
        form = {
            "application_id": query["application_id"],
            "state": query["state"],
            "redirect_uri": query.get("redirect_uri", ""),
            "version": query.get("version", ""),
            "selling_partner_id": seller or self.sellers[0],
            "decision": decision,
        }
        response = httpx.post(f"{self.base_url}/apps/authorize/confirm", data=form)
        assert response.status_code == 302, response.text
        location = urlsplit(response.headers["location"])
        return f"{location.path}?{location.query}"

    def code(self, *, seller: str | None = None, redirect_uri: str) -> str:
        response = httpx.post(
            f"{self.base_url}/_sim/authorize",
            json={"selling_partner_id": seller or self.sellers[0], "redirect_uri": redirect_uri},
        )
        response.raise_for_status()
        return str(response.json()["code"])

    def revoke(self, seller: str) -> None:
        httpx.post(
            f"{self.base_url}/_sim/revoke", json={"selling_partner_id": seller}
        ).raise_for_status()


@pytest.fixture
def amazon(simulator: Any, settings: Any) -> Amazon:
    """Point AMS at the simulator, the way the demo's environment variables do."""
    sim = Amazon(simulator)
    settings.SPAPI_BASE_URL = sim.base_url
    settings.LWA_TOKEN_URL = f"{sim.base_url}/auth/o2/token"
    settings.SELLER_CENTRAL_URL = sim.base_url
    settings.SELLER_CENTRAL_URLS = dict.fromkeys(("NA", "EU", "FE"), sim.base_url)
    settings.SPAPI_APPLICATION_ID = sim.info["application_id"]
    settings.LWA_CLIENT_ID = sim.info["client_id"]
    settings.LWA_CLIENT_SECRET = sim.info["client_secret"]
    settings.SPAPI_RATE_SCALE = RATE_SCALE
    return sim


def start_connect(client: Client, team_slug: str, region: str = "NA") -> str:
    """Click Connect: the consent URL AMS redirects to."""
    response = client.post(f"/t/{team_slug}/amazon/connect/", {"region": region})
    assert response.status_code == 302, response.status_code
    return str(response["Location"])
