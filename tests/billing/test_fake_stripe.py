"""The fake over a real loopback socket, as dev and the demo use it: the SDK's base address points at it."""

# ruff: noqa: S310  (every URL here is the fake on 127.0.0.1)

from __future__ import annotations

import json
import urllib.request

import pytest
from django.test import override_settings
from django.urls import reverse

from ams.billing import gateway
from devtools.fake_stripe import FakeStripe, serve
from tests.billing.conftest import as_user


@pytest.fixture
def served():
    fake = FakeStripe(prices={"price_starter_monthly": 2900})
    server, fake = serve(port=0, fake=fake)
    yield fake
    server.shutdown()
    server.server_close()


def test_the_sdk_talks_to_the_fake_over_loopback(served):
    with override_settings(STRIPE_API_BASE=served.public_url):
        customer = gateway.customer_create(team_id=7, name="Team", email="owner@example.test")
        page = gateway.checkout_session_create(
            team_id=7,
            customer_id=customer,
            price_id="price_starter_monthly",
            plan_key="starter",
            trial_end=None,
            success_url="http://127.0.0.1:8000/ok",
            cancel_url="http://127.0.0.1:8000/no",
        )
        with pytest.raises(gateway.BillingUnavailable):
            gateway.subscription_retrieve("sub_missing")
    recorded = served.requests[1]
    assert recorded.headers["authorization"].startswith("Bearer sk_")
    assert "stripe-version" in recorded.headers
    assert recorded.params["line_items"] == [{"price": "price_starter_monthly", "quantity": "1"}]
    # The stand-in Checkout page, then "Pay": a redirect back to AMS.
    with urllib.request.urlopen(page.url, timeout=5) as response:
        html = response.read().decode()
    assert "No card is asked for" in html
    assert "<input" not in html
    request = urllib.request.Request(f"{page.url}/pay", data=b"", method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=5)
    assert redirect.value.code == 303
    assert redirect.value.headers["Location"] == "http://127.0.0.1:8000/ok"
    (subscription,) = served.subscriptions.values()
    assert subscription["status"] == "active"


def test_a_wrong_api_key_is_refused(served):
    request = urllib.request.Request(
        f"{served.public_url}/v1/customers",
        data=b"",
        method="POST",
        headers={"Authorization": "Bearer nope"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["error"]["type"] == "authentication_error"


@pytest.mark.django_db
def test_the_billing_form_may_redirect_to_stripe_under_the_csp(personas):
    response = as_user(personas.owner).get(reverse("billing", args=[personas.team.slug]))
    form_action = next(
        d for d in response["Content-Security-Policy"].split(";") if "form-action" in d
    )
    assert "https://checkout.stripe.com" in form_action
    assert "https://billing.stripe.com" in form_action


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
