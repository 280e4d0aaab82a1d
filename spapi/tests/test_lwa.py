"""LWA grants and error classification, on recorded real responses where Amazon gave us one."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest

from spapi.errors import (
    AuthorizationRevoked,
    BadResponse,
    InvalidClient,
    InvalidGrant,
    LwaError,
    ServerError,
)
from spapi.lwa import SCOPE_NOTIFICATIONS, LwaClient

from .conftest import CLIENT_SECRET, LWA_URL, REFRESH_TOKEN, FakeAmazon, recorded

# Amazon's documented invalid_grant body (LWA's "Access token errors" page); no real recording exists.
INVALID_GRANT_REFRESH = {
    "error_index": "abc",
    "error_description": "The request has an invalid grant parameter : refresh_token. "
    "User may have revoked or didn't grant the permission.",
    "error": "invalid_grant",
    "request_id": "9c0f4f16-0000-4000-8000-000000000001",
}


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_refresh_grant_parses_the_recorded_response(amazon: FakeAmazon, lwa: LwaClient):
    amazon.add("/auth/o2/token", recorded("test_refresh_grant--lwa_token.1"))

    token = lwa.refresh(REFRESH_TOKEN)

    assert token.access_token == "FILTERED"
    assert token.expires_in == 3600
    assert token.token_type == "bearer"
    assert token.request_id == "4f32136f-d3f4-4829-a08d-8db25f5fdf3a"
    sent = form_of(amazon.requests[0])
    assert sent == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": lwa.client_id,
        "client_secret": CLIENT_SECRET,
    }
    assert (
        amazon.requests[0].headers["content-type"].startswith("application/x-www-form-urlencoded")
    )


def test_grantless_grant_parses_the_recorded_response(amazon: FakeAmazon, lwa: LwaClient):
    amazon.add("/auth/o2/token", recorded("test_grantless_grant--lwa_token.1"))

    token = lwa.client_credentials(SCOPE_NOTIFICATIONS)

    assert token.scope == "sellingpartnerapi::notifications"
    assert token.refresh_token is None
    assert form_of(amazon.requests[0])["scope"] == "sellingpartnerapi::notifications"
    assert form_of(amazon.requests[0])["grant_type"] == "client_credentials"


def test_authorization_code_grant_sends_code_and_redirect_uri(amazon: FakeAmazon, lwa: LwaClient):
    token = lwa.exchange_code("ANcodecodecode", redirect_uri="https://ams.example/cb")

    assert token.refresh_token == REFRESH_TOKEN
    sent = form_of(amazon.requests[0])
    assert sent["grant_type"] == "authorization_code"
    assert sent["code"] == "ANcodecodecode"
    assert sent["redirect_uri"] == "https://ams.example/cb"


def test_unsupported_grant_type_is_an_lwa_error_not_a_revocation(
    amazon: FakeAmazon, lwa: LwaClient
):
    amazon.add("/auth/o2/token", recorded("test_unsupported_grant_type--lwa_token.1"))

    with pytest.raises(LwaError) as raised:
        lwa.refresh(REFRESH_TOKEN)

    error = raised.value
    assert not isinstance(error, InvalidGrant)
    assert error.status == 400
    assert error.code == "unsupported_grant_type"
    assert error.request_id == "29beab06-480f-4ed4-9af4-01895c820a7b"
    assert "grant type is not supported" in error.message
    assert len(amazon.requests) == 1  # a 400 is not retried


def test_invalid_grant_on_refresh_is_authorization_revoked(amazon: FakeAmazon, lwa: LwaClient):
    amazon.add("/auth/o2/token", httpx.Response(400, json=INVALID_GRANT_REFRESH))

    with pytest.raises(AuthorizationRevoked) as raised:
        lwa.refresh(REFRESH_TOKEN)

    assert raised.value.code == "invalid_grant"
    assert raised.value.request_id == INVALID_GRANT_REFRESH["request_id"]
    assert REFRESH_TOKEN not in str(raised.value) + repr(raised.value)


def test_invalid_grant_on_code_exchange_is_not_a_revocation(amazon: FakeAmazon, lwa: LwaClient):
    body = {
        **INVALID_GRANT_REFRESH,
        "error_description": "The request has an invalid grant parameter : code",
    }
    amazon.add("/auth/o2/token", httpx.Response(400, json=body))

    with pytest.raises(InvalidGrant) as raised:
        lwa.exchange_code("ANexpiredcode000")

    assert not isinstance(raised.value, AuthorizationRevoked)


def test_invalid_client_is_its_own_error(amazon: FakeAmazon, lwa: LwaClient):
    amazon.add(
        "/auth/o2/token",
        httpx.Response(
            401,
            json={"error": "invalid_client", "error_description": "Client authentication failed"},
        ),
    )

    with pytest.raises(InvalidClient):
        lwa.refresh(REFRESH_TOKEN)


def test_server_errors_are_retried(amazon: FakeAmazon, lwa: LwaClient, clock):
    amazon.add(
        "/auth/o2/token",
        httpx.Response(500, json={"error": "server_error", "error_description": "oops"}),
        httpx.Response(503, text="<html>unavailable</html>"),
        recorded("test_refresh_grant--lwa_token.1"),
    )

    token = lwa.refresh(REFRESH_TOKEN)

    assert token.access_token == "FILTERED"
    assert len(amazon.requests) == 3
    assert len(clock.slept) == 2


def test_retries_are_bounded(amazon: FakeAmazon, lwa: LwaClient):
    amazon.add("/auth/o2/token", httpx.Response(503, json={"error": "temporarily_unavailable"}))

    with pytest.raises(ServerError):
        lwa.refresh(REFRESH_TOKEN)

    assert len(amazon.requests) == 3


def test_a_non_json_success_is_a_bad_response(amazon: FakeAmazon, lwa: LwaClient):
    amazon.add("/auth/o2/token", httpx.Response(200, text="<html>captive portal</html>"))

    with pytest.raises(BadResponse):
        lwa.refresh(REFRESH_TOKEN)


def test_repr_shows_no_secret(lwa: LwaClient):
    token = lwa.refresh(REFRESH_TOKEN)

    for text in (repr(lwa), str(lwa), repr(token), str(token)):
        assert CLIENT_SECRET not in text
        assert token.access_token not in text
        assert REFRESH_TOKEN not in text
    assert LWA_URL in repr(lwa)
