"""A simulated seller connected to a team: the simulator, the connection rows, and a client.

The client is built from the simulator's own tokens (the vault is the connections app's
business and is tested there), with a local rate limiter at the simulator's rate scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from django.utils import timezone

from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.core.tenancy import team_scope
from ams.teams.models import Team
from spapi import LwaClient, SpApiClient
from spapi.http import HttpClient
from spapi.ratelimit import MemoryLimiter, NullLimiter
from spapi_sim import SimConfig, SimServer, start_server


def small_config(**overrides: Any) -> SimConfig:
    values: dict[str, Any] = {
        "seed": 42,
        "sellers": 1,
        "skus_per_seller": 30,
        "marketplaces": ("US", "CA", "MX"),
        "history_days": 60,
        "clock_speed": 0,
        "rate_scale": 0,
        # The clock is frozen: reports are built by polls instead (DONE on the third getReport).
        "report_polls": 2,
    }
    values.update(overrides)
    return SimConfig(**values)


@dataclass
class SimSeller:
    server: SimServer
    http: httpx.Client
    spid: str
    info: dict[str, Any]
    refresh_token: str
    rate_scale: float

    @classmethod
    def start(cls, config: SimConfig) -> SimSeller:
        server = start_server(config)
        info = server.info()
        http = httpx.Client(base_url=server.base_url, timeout=30)
        seller = info["sellers"][0]
        code = http.post(
            "/_sim/authorize", json={"selling_partner_id": seller["selling_partner_id"]}
        ).json()["code"]
        lwa = LwaClient(
            f"{server.base_url}/auth/o2/token", info["client_id"], info["client_secret"]
        )
        tokens = lwa.exchange_code(code)
        assert tokens.refresh_token is not None
        return cls(
            server,
            http,
            seller["selling_partner_id"],
            info,
            tokens.refresh_token,
            config.rate_scale,
        )

    def client(self) -> SpApiClient:
        lwa = LwaClient(
            f"{self.server.base_url}/auth/o2/token",
            self.info["client_id"],
            self.info["client_secret"],
        )
        token = self.refresh_token
        limiter = (
            MemoryLimiter(rate_scale=self.rate_scale) if self.rate_scale > 0 else NullLimiter()
        )
        return SpApiClient(
            base_url=self.server.base_url,
            lwa=lwa,
            seller_id=self.spid,
            refresh_token_provider=lambda: token,
            limiter=limiter,
            http=HttpClient(),
        )

    def truth(self, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"/_sim/truth/{self.spid}", params=params)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def control(self, path: str, body: Any) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = self.http.get("/_sim/stats").json()
        return data

    def stop(self) -> None:
        self.http.close()
        self.server.stop()


def connect(team: Team, seller: SimSeller) -> SellerConnection:
    """The rows the connect flow would have written for this seller."""
    sim_seller = seller.info["sellers"][0]
    with team_scope(team.id):
        connection = SellerConnection.objects.create(
            team=team,
            selling_partner_id=seller.spid,
            region=sim_seller["region"],
            name=sim_seller["name"][:120],
            authorized_at=timezone.now(),
        )
        for m in sim_seller["marketplaces"]:
            ConnectionMarketplace.objects.create(
                team=team,
                connection=connection,
                marketplace_id=m["id"],
                country_code=m["country_code"],
                currency=m["currency"],
                name=m["country_code"],
            )
    return connection
