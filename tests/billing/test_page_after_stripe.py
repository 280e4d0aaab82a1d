"""The billing page right after Stripe: back from Checkout it shows the plan just bought (read
from the session, not once the webhook is processed) or says it is updating; after a declined
payment it shows only the payment problem and what to do, never a trial countdown beside it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ams.billing.models import Status, StripeEvent, Subscription
from ams.billing.services import stripe_event_process
from ams.core.tenancy import team_scope
from devtools.fake_stripe import FakeStripe
from tests.billing.conftest import as_user, billing_url, deliver, post_event
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _subscription(p: Personas) -> Subscription:
    with team_scope(p.team.id):
        return Subscription.objects.get(team=p.team)


def _checkout(p: Personas, plan: str, *, trial_days: int = 7) -> str:
    """The owner starts Checkout for ``plan``; the session's id."""
    with team_scope(p.team.id):
        Subscription.objects.filter(team=p.team).update(
            trial_end=timezone.now() + timedelta(days=trial_days)
        )
    response = as_user(p.owner).post(
        reverse("billing_subscribe", args=[p.team.slug]), {"plan": plan}
    )
    assert response.status_code == 302
    return str(response["Location"].rsplit("/", 1)[1])


def _return_url(fake: FakeStripe, session_id: str) -> str:
    """Where Stripe sends the owner back, the session's id in place of the placeholder."""
    success = fake.sessions[session_id]["success_url"]
    assert "{CHECKOUT_SESSION_ID}" in success
    path = success.replace("{CHECKOUT_SESSION_ID}", session_id).split("://", 1)[1]
    return "/" + str(path.split("/", 1)[1])


def test_back_from_checkout_the_page_shows_the_new_plan_before_the_webhook(personas, fake):
    session_id = _checkout(personas, "growth")
    events = fake.complete_checkout(session_id)  # paid; the webhooks are not processed yet
    page = as_user(personas.owner).get(_return_url(fake, session_id)).content.decode()
    state = page.split('id="billing-state"')[1].split("</article>")[0]
    assert "<strong>Growth</strong> plan" in state
    assert "Trialing" in state
    assert "Free trial" not in state
    assert 'id="billing-updating"' not in page
    subscription = _subscription(personas)
    assert (subscription.status, subscription.plan) == (Status.TRIALING, "growth")
    assert subscription.stripe_subscription_id == events[1]["data"]["object"]["id"]
    # The webhooks that follow change nothing.
    deliver(Client(), fake, events)
    after = _subscription(personas)
    assert (after.status, after.plan, after.stripe_subscription_id) == (
        Status.TRIALING,
        "growth",
        subscription.stripe_subscription_id,
    )


def test_a_checkout_stripe_has_not_finished_says_updating_and_refreshes(personas, fake):
    session_id = _checkout(personas, "starter")
    page = as_user(personas.owner).get(_return_url(fake, session_id)).content.decode()
    assert 'id="billing-updating"' in page
    assert '<meta http-equiv="refresh"' in page
    assert _subscription(personas).status == Status.TRIAL
    # Once it has, the same address shows the plan and stops refreshing.
    fake.complete_checkout(session_id)
    page = as_user(personas.owner).get(_return_url(fake, session_id)).content.decode()
    assert 'id="billing-updating"' not in page
    assert "<strong>Starter</strong> plan" in page


def test_another_teams_checkout_session_changes_nothing(personas, fake):
    session_id = _checkout(personas, "growth")
    fake.complete_checkout(session_id)
    outsider_team = personas.outsider_team
    url = reverse("billing", args=[outsider_team.slug])
    page = (
        as_user(personas.outsider)
        .get(url, {"checkout": "success", "session_id": session_id})
        .content.decode()
    )
    assert "not this team" in page
    with team_scope(outsider_team.id):
        theirs = Subscription.objects.filter(team=outsider_team).first()
    assert theirs is None or theirs.status == Status.TRIAL
    # And the outsider cannot open this team's page at all.
    response = as_user(personas.outsider).get(
        billing_url(personas), {"checkout": "success", "session_id": session_id}
    )
    assert response.status_code == 404
    assert _subscription(personas).status == Status.TRIAL  # not confirmed by the outsider's visit


def _subscribed_with_trial(p: Personas, fake: FakeStripe) -> str:
    session_id = _checkout(p, "starter")
    events = fake.complete_checkout(session_id)
    deliver(Client(), fake, events)
    return str(events[1]["data"]["object"]["id"])


def _state(p: Personas, **params: Any) -> str:
    page = as_user(p.owner).get(billing_url(p), params).content.decode()
    return page.split('id="billing-state"')[1].split("</article>")[0]


def test_a_declined_renewal_shows_only_the_payment_problem(personas, fake):
    subscription_id = _subscribed_with_trial(personas, fake)
    assert "days left" in _state(personas)
    failed, updated = fake.renew(subscription_id, paid=False)
    # Stripe sends both events; the payment failure is processed first.
    client = Client()
    assert post_event(client, fake, failed).status_code == 200
    assert post_event(client, fake, updated).status_code == 200
    stripe_event_process(event_id=failed["id"])
    state = _state(personas)
    assert "Payment failed" in state
    assert "was declined" in state
    assert "Manage billing" in state
    assert "days left" not in state
    assert "Trialing" not in state
    assert "Next invoice" not in state
    # Then the subscription's own update: past due, and still only the payment problem.
    stripe_event_process(event_id=updated["id"])
    assert StripeEvent.objects.get(id=updated["id"]).status == "processed"
    assert _subscription(personas).status == Status.PAST_DUE
    state = _state(personas)
    assert "Payment failed" in state
    assert "days left" not in state


def test_back_from_the_portal_the_page_reads_the_subscription_from_stripe(personas, fake):
    subscription_id = _subscribed_with_trial(personas, fake)
    fake.renew(subscription_id, paid=False)  # declined in the Portal; no webhook processed yet
    state = _state(personas, portal="return")
    assert _subscription(personas).status == Status.PAST_DUE
    assert "Payment failed" in state
    assert "days left" not in state
