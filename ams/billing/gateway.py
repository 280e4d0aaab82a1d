"""The one module that talks to Stripe. Everything else calls these functions with plain values.

Card data never passes through AMS: subscribing happens on Stripe's hosted Checkout page, and
cards, invoices, plan changes and cancellation on Stripe's Customer Portal. AMS keeps ids only.

``STRIPE_API_BASE`` chooses where requests go: unset means Stripe; an http://127.0.0.1 address
means the local fake (``manage.py fake_stripe``, for dev and the demo); ``inprocess`` means
whatever the test run installed with ``use_in_process`` (the same fake), called inside this
process through the SDK's own request and response handling, with no socket.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Stripe rejects a Checkout trial that ends less than 48 hours from now.
MIN_CHECKOUT_TRIAL_SECONDS = 48 * 3600
WEBHOOK_TOLERANCE_SECONDS = 300


class BillingUnavailable(Exception):
    """Stripe could not be reached or refused the request; the caller shows a try-again message."""


class WebhookInvalid(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class HostedPage:
    id: str
    url: str


class InProcessStripe(Protocol):
    """Answers an encoded Stripe API request with its HTTP status and JSON body."""

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str]: ...


_in_process: InProcessStripe | None = None


def use_in_process(stripe_api: InProcessStripe | None) -> None:
    """Answer requests with ``stripe_api`` when ``STRIPE_API_BASE`` is ``inprocess``.

    The test run installs the local fake here (conftest.py); the fake is tooling that the product
    never imports, so the gateway is handed it instead of looking it up.
    """
    global _in_process
    _in_process = stripe_api


class _InProcessHTTPClient(stripe.HTTPClient):
    """Hands the SDK's encoded requests to the installed handler instead of a socket."""

    name = "ams-inprocess-fake"

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        if _in_process is None:
            raise ImproperlyConfigured(
                "STRIPE_API_BASE is 'inprocess' but nothing answers it: install a handler with "
                "ams.billing.gateway.use_in_process() (the test run installs the local fake)"
            )
        body = post_data.encode() if isinstance(post_data, str) else (post_data or b"")
        status, content = _in_process.handle(method.upper(), url, dict(headers or {}), body)
        return content, status, {"request-id": "req_inprocess"}

    def close(self) -> None:
        pass


@functools.cache
def _client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    if api_base == "inprocess":
        return stripe.StripeClient(
            api_key, http_client=_InProcessHTTPClient(), max_network_retries=0
        )
    if api_base:
        return stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=10),
        )
    # The SDK sends an idempotency key with every POST, so its retries never double a charge.
    return stripe.StripeClient(
        api_key, max_network_retries=2, http_client=stripe.RequestsClient(timeout=20)
    )


def client() -> stripe.StripeClient:
    return _client(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE)


def _call(description: str, func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except stripe.StripeError as exc:
        # The SDK's message never contains the API key; the class name and code are enough to act on.
        raise BillingUnavailable(
            f"Stripe {description} failed: {type(exc).__name__} {exc.code or ''}".strip()
        ) from exc


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def customer_create(*, team_id: int, name: str, email: str) -> str:
    customer = _call(
        "customer create",
        client().v1.customers.create,
        params={"name": name, "email": email, "metadata": {"team_id": str(team_id)}},
        # A retry after a rolled-back checkout finds the same customer; Stripe refuses a reused key
        # with other parameters, so the key changes with them.
        options={"idempotency_key": f"ams-team-{team_id}-customer-{_digest(name, email)}"},
    )
    return str(customer.id)


def checkout_session_create(
    *,
    team_id: int,
    customer_id: str,
    price_id: str,
    plan_key: str,
    trial_end: int | None,
    success_url: str,
    cancel_url: str,
) -> HostedPage:
    """A hosted Checkout page for a monthly subscription; ``trial_end`` carries the rest of the trial."""
    subscription_data: dict[str, Any] = {"metadata": {"team_id": str(team_id), "plan": plan_key}}
    if trial_end is not None:
        subscription_data["trial_end"] = trial_end
    session = _call(
        "checkout session create",
        client().v1.checkout.sessions.create,
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(team_id),
            "line_items": [{"price": price_id, "quantity": 1}],
            "subscription_data": subscription_data,
            "metadata": {"team_id": str(team_id), "plan": plan_key},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
    )
    return HostedPage(id=str(session.id), url=str(session.url))


def checkout_session_retrieve(session_id: str) -> dict[str, Any]:
    """A Checkout Session as Stripe holds it: its status, customer, team and subscription."""
    session = _call("checkout session retrieve", client().v1.checkout.sessions.retrieve, session_id)
    return dict(session.to_dict())


def portal_session_create(
    *, customer_id: str, return_url: str, cancel_subscription_id: str | None = None
) -> HostedPage:
    """The Customer Portal; with ``cancel_subscription_id`` it opens straight on the cancel step."""
    params: dict[str, Any] = {"customer": customer_id, "return_url": return_url}
    if cancel_subscription_id:
        params["flow_data"] = {
            "type": "subscription_cancel",
            "subscription_cancel": {"subscription": cancel_subscription_id},
        }
    session = _call(
        "portal session create", client().v1.billing_portal.sessions.create, params=params
    )
    return HostedPage(id=str(session.id), url=str(session.url))


def subscription_retrieve(subscription_id: str) -> dict[str, Any]:
    subscription = _call(
        "subscription retrieve", client().v1.subscriptions.retrieve, subscription_id
    )
    return dict(subscription.to_dict())


def customer_metadata(customer_id: str) -> dict[str, str]:
    customer = _call("customer retrieve", client().v1.customers.retrieve, customer_id)
    return {str(k): str(v) for k, v in dict(customer.to_dict().get("metadata") or {}).items()}


def customer_delete(customer_id: str) -> bool:
    """Delete the customer (Stripe cancels its subscriptions with it); False if it was already gone."""
    try:
        _call("customer delete", client().v1.customers.delete, customer_id)
    except BillingUnavailable as exc:
        missing = exc.__cause__
        if isinstance(missing, stripe.InvalidRequestError) and missing.code == "resource_missing":
            return False
        raise
    return True


def webhook_event(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    """The event in a webhook body, once its signature and timestamp check out; else WebhookInvalid.

    The signature covers the raw bytes, so this must see the body exactly as it arrived.
    """
    if not signature_header:
        raise WebhookInvalid("missing Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
        _verify_with_any(text, signature_header)
        event = json.loads(text)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise WebhookInvalid(type(exc).__name__) from exc
    if not isinstance(event, dict) or not str(event.get("id", "")).startswith("evt_"):
        raise WebhookInvalid("not an event")
    return event


def webhook_secrets() -> list[str]:
    """``STRIPE_WEBHOOK_SECRET`` may hold two secrets, comma-separated, while one is rotated."""
    return [part.strip() for part in settings.STRIPE_WEBHOOK_SECRET.split(",") if part.strip()]


def _verify_with_any(payload: str, signature_header: str) -> None:
    error: stripe.SignatureVerificationError | None = None
    for secret in webhook_secrets():
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature_header, secret, WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            error = exc
        else:
            return
    if error is None:
        raise WebhookInvalid("no webhook secret configured")
    raise error


def webhook_signature(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for ``payload``, made by the SDK's own helper (fake and tests)."""
    return str(
        stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    )
