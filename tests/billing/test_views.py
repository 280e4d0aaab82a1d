"""The billing page and its buttons: owners only, every other persona refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from ams.billing.models import Status, Subscription
from ams.core.tenancy import team_scope
from ams.teams.models import Team
from tests.billing.conftest import as_user, billing_url, deliver

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "route", ["billing", "billing_subscribe", "billing_manage", "billing_cancel"]
)
def test_only_the_owner_manages_billing(personas, fake, route):
    url = reverse(route, args=[personas.team.slug])
    for user in (personas.admin, personas.member, personas.viewer):
        assert as_user(user).get(url).status_code == 403
        assert as_user(user).post(url, {"plan": "starter"}).status_code == 403
    assert as_user(personas.outsider).get(url).status_code == 404
    assert as_user(personas.outsider).post(url, {"plan": "starter"}).status_code == 404
    anonymous = Client().post(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))
    # Nobody but the owner got near Stripe.
    assert fake.requests == []


def test_the_owner_sees_plan_trial_and_status(personas, fake):
    page = as_user(personas.owner).get(billing_url(personas))
    assert page.status_code == 200
    assert b"Free trial" in page.content
    assert b"7 days left" in page.content
    assert b"Choose Growth" in page.content
    assert b"Manage billing" not in page.content  # nothing to manage before the first checkout


def test_manage_and_cancel_open_the_customer_portal(personas, fake):
    owner = as_user(personas.owner)
    # Before subscribing there is no customer to manage.
    response = owner.post(reverse("billing_manage", args=[personas.team.slug]))
    assert response.status_code == 302
    assert response["Location"] == billing_url(personas)
    subscribe = owner.post(
        reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "starter"}
    )
    deliver(Client(), fake, fake.complete_checkout(subscribe["Location"].rsplit("/", 1)[1]))

    manage = owner.post(reverse("billing_manage", args=[personas.team.slug]))
    assert manage["Location"].startswith(f"{fake.public_url}/portal/bps_")
    portal = fake.requests[-1]
    assert portal.path == "/v1/billing_portal/sessions"
    assert portal.params["return_url"].endswith(billing_url(personas) + "?portal=return")
    assert "flow_data" not in portal.params

    cancel = owner.post(reverse("billing_cancel", args=[personas.team.slug]))
    assert cancel["Location"].startswith(f"{fake.public_url}/portal/bps_")
    with team_scope(personas.team.id):
        subscription = Subscription.objects.get(team=personas.team)
    assert fake.requests[-1].params["flow_data"] == {
        "type": "subscription_cancel",
        "subscription_cancel": {"subscription": subscription.stripe_subscription_id},
    }
    # A second subscription is not offered while one runs.
    again = owner.post(reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "growth"})
    assert again["Location"] == billing_url(personas)
    page = owner.get(billing_url(personas))
    assert b"already has a subscription" in page.content
    assert b"Cancel subscription" in page.content


def test_an_unknown_plan_is_refused_without_calling_stripe(personas, fake):
    response = as_user(personas.owner).post(
        reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "gold"}
    )
    assert response.status_code == 302
    assert fake.requests == []


def test_the_billing_page_stays_reachable_when_the_team_is_lapsed(personas, fake):
    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(
            status=Status.TRIAL, trial_end=timezone.now() - timedelta(days=1)
        )
    owner = as_user(personas.owner)
    page = owner.get(billing_url(personas))
    assert b"read-only and sync is paused" in page.content
    assert b"Resume" in page.content
    response = owner.post(
        reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "starter"}
    )
    assert response["Location"].startswith(f"{fake.public_url}/checkout/")


@override_settings(STRIPE_API_BASE="http://127.0.0.1:9")  # nothing listens on the discard port
def test_when_stripe_is_unreachable_the_owner_is_told_and_nothing_changes(personas, caplog):
    caplog.set_level("DEBUG")
    response = as_user(personas.owner).post(
        reverse("billing_subscribe", args=[personas.team.slug]), {"plan": "starter"}, follow=True
    )
    assert b"Stripe could not be reached" in response.content
    with team_scope(personas.team.id):
        assert Subscription.objects.get(team=personas.team).stripe_customer_id == ""
    assert "sk_test_local_fake" not in caplog.text


def test_an_error_page_inside_a_team_shows_the_teams_real_billing_state(personas):
    # An active team older than any trial: outside its scope it would look like an ended trial.
    Team.objects.filter(id=personas.team.id).update(created_at=timezone.now() - timedelta(days=60))
    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(status=Status.ACTIVE)
    response = as_user(personas.owner).post(
        reverse("team_member_remove", args=[personas.team.slug, 999999])
    )
    assert response.status_code == 404
    assert b"read-only" not in response.content
