"""Shared fixtures: a small simulated Amazon, an authorised client, and the official models."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spapi_sim import SimConfig, SimServer, start_server

ANCHOR = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
US = "ATVPDKIKX0DER"
CA = "A2EUQ1WTGCTBG2"
# Amazon's models and samples, kept as test data with their licences (amazon/LICENSES.md).
AMAZON = Path(__file__).resolve().parent / "amazon"


def small_config(**overrides: Any) -> SimConfig:
    values: dict[str, Any] = {
        "seed": 11,
        "sellers": 2,
        "skus_per_seller": 40,
        "history_days": 75,
        "anchor": ANCHOR,
        "clock_speed": 0,
        "rate_scale": 0,
        # The clock is frozen: reports are built by polls instead (DONE on the third getReport).
        "report_polls": 2,
        # Likewise inbound operations: SUCCESS or FAILED on the second getInboundOperationStatus.
        "inbound_polls": 2,
    }
    values.update(overrides)
    return SimConfig(**values)


class Api:
    """An httpx client with a seller's access token, plus the /_sim control surface."""

    def __init__(self, server: SimServer, seller_index: int = 0) -> None:
        self.server = server
        self.info = server.info()
        self.seller = self.info["sellers"][seller_index]
        self.spid: str = self.seller["selling_partner_id"]
        self.http = httpx.Client(base_url=server.base_url, timeout=20)
        self.tokens = self.exchange(self.authorize())
        self.headers = {"x-amz-access-token": self.tokens["access_token"]}

    def authorize(self, redirect_uri: str = "http://127.0.0.1:8000/amazon/callback/") -> str:
        body = {
            "selling_partner_id": self.spid,
            "application_id": self.info["application_id"],
            "redirect_uri": redirect_uri,
        }
        response = self.http.post("/_sim/authorize", json=body)
        response.raise_for_status()
        return str(response.json()["code"])

    def exchange(self, code: str) -> dict[str, Any]:
        response = self.http.post(
            "/auth/o2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.info["client_id"],
                "client_secret": self.info["client_secret"],
            },
        )
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def renew(self) -> None:
        """A fresh access token, e.g. after moving the clock past the old one's hour."""
        self.tokens = self.exchange(self.authorize())
        self.headers = {"x-amz-access-token": self.tokens["access_token"]}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.headers)

    def ok(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def truth(self, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"/_sim/truth/{self.spid}", params=params)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def control(self, path: str, body: Any) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def server() -> Iterator[SimServer]:
    with start_server(small_config()) as running:
        yield running


@pytest.fixture(scope="session")
def api(server: SimServer) -> Api:
    return Api(server)


@pytest.fixture
def fresh() -> Iterator[Api]:
    """A simulator of its own, for tests that change faults, the clock or authorizations."""
    with start_server(small_config(sellers=1, skus_per_seller=20, history_days=40)) as running:
        client = Api(running)
        yield client
        client.http.close()


def amazon_data() -> Path:
    return AMAZON


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
