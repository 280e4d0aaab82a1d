"""No token, secret or presigned signature reaches a log line, an exception or a repr."""

from __future__ import annotations

import logging
import sys

import httpx
import pytest

from spapi.client import SpApiClient
from spapi.errors import AuthorizationRevoked, SpApiError, Unauthorized
from spapi.http import HttpResponse
from spapi.redact import RedactingFilter, redact, register_secret

from .conftest import CLIENT_SECRET, REFRESH_TOKEN, FakeAmazon, recorded

ACCESS = "Atza|IwEBIJ3kLmNoPqRsTuVwXyZ0123456789"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        (f"token {ACCESS} used", "IwEBIJ3kLmNo"),
        (f"refresh={REFRESH_TOKEN}", "canary-refresh"),
        (f"secret {CLIENT_SECRET}", "0123456789abcdef0123"),
        (f"{{'x-amz-access-token': '{ACCESS}'}}", "IwEBIJ3k"),
        ("x-amz-access-token: opaque-simulator-token", "opaque-simulator-token"),
        (
            "grant_type=refresh_token&refresh_token=abc123456&client_id=x&client_secret=s3cr3tvalue",
            "s3cr3tvalue",
        ),
        ("grant_type=refresh_token&refresh_token=abc123456&client_id=x", "abc123456"),
        ("code=ANsomecode&state=xyz", "ANsomecode"),
        ('{"access_token":"opaque-a","refresh_token":"opaque-r"}', "opaque-"),
        (
            "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/x?X-Amz-Credential=AKIAX2%2F2024&X-Amz-Signature=3ab5aaf6",
            "3ab5aaf6",
        ),
    ],
)
def test_redact_masks_every_kind_of_secret(text: str, leak: str):
    assert leak not in redact(text)
    assert "***" in redact(text)


def test_redact_leaves_ordinary_text_alone():
    text = "GET /orders/2026-01-01/orders?marketplaceIds=ATVPDKIKX0DER -> 200 (request id abc)"
    assert redact(text) == text


def test_registered_secrets_are_masked_whatever_their_shape():
    register_secret("plain-looking-secret-42")
    assert redact("value plain-looking-secret-42 here") == "value *** here"


def test_the_logging_filter_redacts_messages_args_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling with %s", (ACCESS,), None)
    try:
        raise ValueError(f"boom {ACCESS}")
    except ValueError:
        record.exc_info = sys.exc_info()

    RedactingFilter().filter(record)

    assert "IwEBIJ3k" not in record.getMessage()
    assert record.exc_text is not None
    assert "IwEBIJ3k" not in record.exc_text


def test_errors_redact_their_message():
    error = SpApiError(
        f"server echoed {ACCESS}", details=f"token={ACCESS}", status=400, operation="op"
    )
    for text in (str(error), repr(error), error.message, str(error.args)):
        assert "IwEBIJ3k" not in text


def test_no_secret_in_logs_or_errors_of_a_full_exchange(
    amazon: FakeAmazon, client: SpApiClient, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="spapi")
    # Amazon (or a proxy) echoing a token back in an error body must not leak it either.
    echo = httpx.Response(
        403,
        json={
            "errors": [{"code": "Unauthorized", "message": "denied", "details": f"token {ACCESS}"}]
        },
    )
    amazon.add(
        "/reports/2021-06-30/reports/1", recorded("test_get_report--getReport.1"), echo, echo
    )

    client.get_report("1")
    with pytest.raises(Unauthorized) as first:
        client.get_report("1")
    amazon.add(
        "/auth/o2/token",
        httpx.Response(
            400, json={"error": "invalid_grant", "error_description": f"bad {REFRESH_TOKEN}"}
        ),
    )
    client.token_cache.invalidate(client.token_key)
    with pytest.raises(AuthorizationRevoked) as second:
        client.get_report("1")

    secrets = ["canary-access-token", "canary-refresh-token", CLIENT_SECRET, "IwEBIJ3k"]
    texts = [
        caplog.text,
        str(first.value),
        repr(first.value),
        str(second.value),
        repr(second.value),
        repr(client),
        repr(client.lwa),
    ]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert "getReport" in caplog.text  # the logs are still useful


def test_an_http_response_repr_shows_no_body():
    response = HttpResponse(200, {"x": "y"}, b'{"access_token":"opaque-secret-value"}', "https://x")

    assert "opaque-secret-value" not in repr(response)
