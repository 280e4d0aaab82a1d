"""The whole subscribe flow over loopback, as in ``make demo``: AMS, the fake Stripe and its
Checkout page, the webhooks it delivers to AMS, and the worker. No network beyond 127.0.0.1."""

from __future__ import annotations

# ruff: noqa: S310  (every URL here is on 127.0.0.1)
import urllib.request
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django import app

from ams.billing.models import EventStatus, Status, StripeEvent, Subscription
from ams.core.tenancy import team_scope
from devtools.fake_stripe import FakeStripe, serve
from tests.billing.conftest import as_user


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.django_db(transaction=True)
def test_subscribe_pay_and_get_a_receipt_with_no_network(personas, live_server, mailoutbox):
    fake = FakeStripe(prices={"price_starter_monthly": 2900}, webhook_secret="whsec_local_fake")
    server, fake = serve(
        port=0, fake=fake, webhook_url=live_server.url + reverse("billing_stripe_webhook")
    )
    try:
        with override_settings(STRIPE_API_BASE=fake.public_url, SITE_URL=live_server.url):
            with team_scope(personas.team.id):
                Subscription.objects.filter(team=personas.team).update(
                    trial_end=timezone.now() + timedelta(hours=2)
                )
            response = as_user(personas.owner).post(
                reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "starter"}
            )
            checkout_url = response["Location"]
            assert checkout_url.startswith(fake.public_url + "/checkout/")
            with urllib.request.urlopen(checkout_url, timeout=5) as page:
                assert b"Pay" in page.read()
            # "Pay": the fake delivers the signed events to AMS, then sends the browser back.
            opener = urllib.request.build_opener(_NoRedirect)
            with pytest.raises(urllib.error.HTTPError) as back:
                opener.open(
                    urllib.request.Request(checkout_url + "/pay", data=b"", method="POST"),
                    timeout=30,
                )
            assert back.value.code == 303
            assert back.value.headers["Location"].startswith(
                live_server.url + reverse("billing", args=[personas.team.slug])
            )
            assert StripeEvent.objects.count() == 3
            with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
                app.run_worker(
                    queues=["billing"],
                    wait=False,
                    install_signal_handlers=False,
                    listen_notify=False,
                )
    finally:
        server.shutdown()
        server.server_close()
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}
    with team_scope(personas.team.id):
        assert Subscription.objects.get(team=personas.team).status == Status.ACTIVE
    (receipt,) = [m for m in mailoutbox if m.subject.startswith("Receipt")]
    assert "29.00 USD" in receipt.body
