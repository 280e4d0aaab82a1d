"""Billing in a real browser: the owner subscribes on the (fake) Stripe Checkout page, comes back
to an active plan, then cancels in the (fake) Customer Portal and sees the team turn read-only.
The Content-Security-Policy must let the billing forms redirect to Stripe's origin."""

from __future__ import annotations

import copy
import re
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django import app

from ams.billing.models import Subscription
from ams.core.tenancy import team_scope
from devtools.fake_stripe import FakeStripe, serve
from tests.browser.conftest import screenshot
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _run_jobs() -> None:
    # In a thread of its own: Playwright's sync API already runs an event loop in this one.
    def work() -> None:
        try:
            with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
                app.run_worker(
                    queues=["billing"],
                    wait=False,
                    install_signal_handlers=False,
                    listen_notify=False,
                )
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)


def test_subscribe_then_cancel_in_the_browser(live_server, watched, settings):
    p = make_personas("Billing")
    with team_scope(p.team.id):
        Subscription.objects.filter(team=p.team).update(
            trial_end=timezone.now() + timedelta(days=2, hours=12)
        )
    fake = FakeStripe(
        prices={pl.price_id: int(pl.amount * 100) for pl in settings.BILLING_PLANS},
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
    )
    server, fake = serve(
        port=0, fake=fake, webhook_url=live_server.url + reverse("billing_stripe_webhook")
    )
    settings.STRIPE_API_BASE = fake.public_url
    settings.SITE_URL = live_server.url
    # As in dev and the demo, where the fake's origin is in form-action.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(fake.public_url)
    settings.CONTENT_SECURITY_POLICY = policy
    page = watched
    try:
        _sign_in(page, live_server, p.owner)
        page.goto(f"{live_server.url}/t/{p.team.slug}/")
        assert "The free trial ends in 3 days" in page.inner_text(".billing-banner")
        page.click(".billing-banner >> text=Subscribe")
        page.wait_for_url(re.compile(r".*/billing/$"))
        screenshot(page, "billing-01-trial")
        page.click("text=Choose Growth")
        page.wait_for_url(re.compile(re.escape(fake.public_url) + r"/checkout/cs_test_\w+$"))
        screenshot(page, "billing-02-checkout")
        page.click("text=Pay")
        page.wait_for_url(re.compile(r".*/billing/\?checkout=success&session_id=cs_test_\w+$"))
        # The plan just bought shows at once, read from the session: no reload, no webhook yet.
        assert "Growth plan · Trialing" in page.inner_text("#billing-state header")
        screenshot(page, "billing-03-subscribed")
        _run_jobs()
        page.reload()
        assert "Growth plan · Trialing" in page.inner_text("#billing-state header")

        page.click("text=Cancel subscription")
        page.wait_for_url(re.compile(re.escape(fake.public_url) + r"/portal/bps_\w+$"))
        page.click("text=Cancel subscription")
        page.wait_for_url(re.compile(r".*/billing/\?portal=return$"))
        # Read from Stripe on the way back: cancelled already, before the webhook is processed.
        assert "Cancelled" in page.inner_text("#billing-state header")
        _run_jobs()
        page.goto(f"{live_server.url}/t/{p.team.slug}/")
        assert "read-only and sync is paused" in page.inner_text(".billing-banner")
        screenshot(page, "billing-04-cancelled")
    finally:
        server.shutdown()
        server.server_close()
