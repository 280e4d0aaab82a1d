"""The whole subscription story, through the pages, the fake Stripe and the webhooks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ams.billing.entitlements import Action, may
from ams.billing.models import Status, Subscription
from ams.billing.services import trial_reminder_send
from ams.core.tenancy import team_scope
from ams.teams.models import Invitation
from devtools.fake_stripe import FakeStripe
from tests.billing.conftest import as_user, billing_url, deliver, run_email_jobs
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _subscription(p: Personas) -> Subscription:
    with team_scope(p.team.id):
        return Subscription.objects.get(team=p.team)


def _set_trial_end(p: Personas, delta: timedelta) -> None:
    with team_scope(p.team.id):
        Subscription.objects.filter(team=p.team).update(trial_end=timezone.now() + delta)


def _may(p: Personas, action: Action) -> bool:
    with team_scope(p.team.id):
        return bool(may(p.team, action))


def _subscribe(p: Personas, fake: FakeStripe, plan: str = "starter") -> list[dict[str, Any]]:
    """The owner chooses a plan and pays on the (fake) Checkout page."""
    response = as_user(p.owner).post(
        reverse("billing_subscribe", args=[p.team.slug]), {"plan": plan}
    )
    assert response.status_code == 302
    session_id = response["Location"].rsplit("/", 1)[1]
    assert response["Location"] == f"{fake.public_url}/checkout/{session_id}"
    return fake.complete_checkout(session_id)


def _checkout_params(fake: FakeStripe) -> dict[str, Any]:
    return next(r.params for r in reversed(fake.requests) if r.path == "/v1/checkout/sessions")


def test_trial_subscribe_invoice_paid_receipt(personas, fake, mailoutbox):
    _set_trial_end(personas, timedelta(days=1))  # under 48 hours: Stripe allows no trial, pay now
    events = _subscribe(personas, fake)
    deliver(Client(), fake, events)

    params = _checkout_params(fake)
    assert params["mode"] == "subscription"
    assert params["client_reference_id"] == str(personas.team.id)
    assert params["line_items"] == [{"price": "price_starter_monthly", "quantity": "1"}]
    assert params["subscription_data"]["metadata"] == {
        "team_id": str(personas.team.id),
        "plan": "starter",
    }
    assert "trial_end" not in params["subscription_data"]
    customer = next(r for r in fake.requests if r.path == "/v1/customers")
    assert customer.params["metadata"] == {"team_id": str(personas.team.id)}
    assert customer.headers["idempotency-key"].startswith(f"ams-team-{personas.team.id}-customer-")

    subscription = _subscription(personas)
    assert subscription.status == Status.ACTIVE
    assert subscription.plan == "starter"
    assert subscription.stripe_subscription_id.startswith("sub_")
    assert subscription.current_period_end is not None
    (receipt,) = [m for m in mailoutbox if m.subject.startswith("Receipt")]
    assert receipt.to == [personas.owner.email]
    assert "29.00 USD" in receipt.body
    assert "Period:" in receipt.body
    invoice_url = events[2]["data"]["object"]["hosted_invoice_url"]
    assert invoice_url in receipt.body
    html, mimetype = receipt.alternatives[0]
    assert mimetype == "text/html"
    assert invoice_url in str(html)
    # Owners see it on the billing page.
    page = as_user(personas.owner).get(billing_url(personas))
    assert b"Active" in page.content
    assert b"29.00 USD on" in page.content


def test_the_rest_of_the_trial_carries_into_checkout(personas, fake, mailoutbox):
    _set_trial_end(personas, timedelta(days=5))
    trial_end = _subscription(personas).trial_end
    assert trial_end is not None
    deliver(Client(), fake, _subscribe(personas, fake, plan="growth"))
    assert _checkout_params(fake)["subscription_data"]["trial_end"] == str(
        int(trial_end.timestamp())
    )
    subscription = _subscription(personas)
    assert (subscription.status, subscription.plan) == (Status.TRIALING, "growth")
    # The zero invoice that opens a trial is no payment: no receipt.
    assert not [m for m in mailoutbox if m.subject.startswith("Receipt")]


def test_trial_will_end_sends_one_reminder(personas, fake, mailoutbox):
    _set_trial_end(personas, timedelta(days=5))
    events = _subscribe(personas, fake)
    deliver(Client(), fake, events)
    reminder = fake.trial_will_end(events[1]["data"]["object"]["id"])
    deliver(Client(), fake, reminder)
    deliver(
        Client(), fake, fake.trial_will_end(events[1]["data"]["object"]["id"])
    )  # a second, distinct event
    (sent,) = [m for m in mailoutbox if "trial" in m.subject]
    assert sent.to == [personas.owner.email]
    assert "first payment is taken when the trial ends" in sent.body


def test_a_card_less_trial_gets_its_reminder_three_days_before_it_ends(personas, mailoutbox):
    with team_scope(personas.team.id):
        assert trial_reminder_send(team=personas.team) is False  # seven days left: not yet
        _set_trial_end(personas, timedelta(days=2, hours=23))
        assert trial_reminder_send(team=personas.team) is True
        assert trial_reminder_send(team=personas.team) is False  # once per trial
    with team_scope(personas.outsider_team.id):
        assert trial_reminder_send(team=personas.outsider_team) is False
    run_email_jobs()
    (sent,) = mailoutbox
    assert sent.to == [personas.owner.email]
    assert "Subscribe before then" in sent.body
    assert "nothing is deleted" in sent.body
    # Every member sees the trial banner; only the owner gets the button.
    owner_page = as_user(personas.owner).get(reverse("team_dashboard", args=[personas.team.slug]))
    member_page = as_user(personas.member).get(reverse("team_dashboard", args=[personas.team.slug]))
    assert b"The free trial ends in 3 days" in owner_page.content
    assert b">Subscribe</a>" in owner_page.content
    assert b"The free trial ends in 3 days" in member_page.content
    assert b">Subscribe</a>" not in member_page.content
    outsider_page = as_user(personas.outsider).get(
        reverse("team_dashboard", args=[personas.outsider_team.slug])
    )
    assert b"free trial ends" not in outsider_page.content


def test_payment_failed_banner_and_email(personas, fake, mailoutbox):
    _set_trial_end(personas, timedelta(hours=1))
    events = _subscribe(personas, fake)
    deliver(Client(), fake, events)
    deliver(Client(), fake, fake.renew(events[1]["data"]["object"]["id"], paid=False))
    assert _subscription(personas).status == Status.PAST_DUE
    (failed,) = [m for m in mailoutbox if m.subject.startswith("Payment failed")]
    assert failed.to == [personas.owner.email]
    assert "29.00 USD" in failed.body
    assert "update the card" in failed.body
    for user in (personas.owner, personas.admin, personas.member, personas.viewer):
        page = as_user(user).get(reverse("team_dashboard", args=[personas.team.slug]))
        assert b"The last payment for this team failed" in page.content
    # Past due is not the end: Stripe retries and the team keeps working.
    assert _may(personas, Action.SYNC)
    # A paid retry clears the banner.
    deliver(Client(), fake, fake.renew(events[1]["data"]["object"]["id"], paid=True))
    page = as_user(personas.member).get(reverse("team_dashboard", args=[personas.team.slug]))
    assert b"payment for this team failed" not in page.content


def test_cancelled_then_resubscribed(personas, fake, mailoutbox):
    _set_trial_end(personas, timedelta(hours=1))
    events = _subscribe(personas, fake)
    deliver(Client(), fake, events)
    deliver(Client(), fake, fake.cancel(events[1]["data"]["object"]["id"]))
    assert _subscription(personas).status == Status.CANCELED
    (ended,) = [m for m in mailoutbox if "has ended" in m.subject]
    assert "Nothing was deleted" in ended.body

    # Read-only: pages open, changes are refused for everyone with a reason, sync pauses.
    assert not _may(personas, Action.SYNC)
    assert _may(personas, Action.READ)
    members_url = reverse("team_members", args=[personas.team.slug])
    assert as_user(personas.member).get(members_url).status_code == 200
    refused = as_user(personas.owner).post(
        members_url, {"email": "new@example.test", "role": "member"}
    )
    assert refused.status_code == 403
    assert b"This team is read-only" in refused.content
    assert b"Billing: resume" in refused.content
    with team_scope(personas.team.id):
        assert not Invitation.objects.filter(email="new@example.test").exists()
    dashboard = as_user(personas.member).get(reverse("team_dashboard", args=[personas.team.slug]))
    assert b"AMS is read-only and sync is paused" in dashboard.content
    assert b"Ask the team&#x27;s owner to resume billing" in dashboard.content
    owner_dashboard = as_user(personas.owner).get(
        reverse("team_dashboard", args=[personas.team.slug])
    )
    assert b"Billing: resume" in owner_dashboard.content
    # The other team is untouched.
    outsider_post = as_user(personas.outsider).post(
        reverse("team_members", args=[personas.outsider_team.slug]),
        {"email": "x@example.test", "role": "member"},
    )
    assert outsider_post.status_code == 302

    # Resubscribe (on a plan with seats for the four members): billing stays reachable, and sync
    # resumes once Stripe says so.
    deliver(Client(), fake, _subscribe(personas, fake, plan="growth"))
    subscription = _subscription(personas)
    assert subscription.status == Status.ACTIVE
    assert subscription.stripe_subscription_id != events[1]["data"]["object"]["id"]
    assert _may(personas, Action.SYNC)
    assert (
        as_user(personas.owner)
        .post(members_url, {"email": "new@example.test", "role": "member"})
        .status_code
        == 302
    )
    assert len([m for m in mailoutbox if m.subject.startswith("Receipt")]) == 2


def test_an_ended_trial_is_read_only_until_the_owner_subscribes(personas, fake):
    _set_trial_end(personas, timedelta(seconds=-1))
    settings_url = reverse("team_settings", args=[personas.team.slug])
    assert as_user(personas.owner).post(settings_url, {"name": "Renamed"}).status_code == 403
    assert not _may(personas, Action.SYNC)
    deliver(Client(), fake, _subscribe(personas, fake))
    assert _may(personas, Action.SYNC)
    assert as_user(personas.owner).post(settings_url, {"name": "Renamed"}).status_code == 302


def test_money_is_decimal_from_cents():
    from ams.billing.emails import money

    assert money(2900, "usd") == Decimal("29.00")
    assert money(500, "jpy") == Decimal(500)


@pytest.mark.parametrize("persona", ["admin", "member", "viewer"])
def test_only_the_owner_may_start_checkout_or_open_the_portal(personas, fake, persona):
    from django.core.exceptions import PermissionDenied

    from ams.billing.services import checkout_start, portal_start
    from ams.teams.models import Membership

    with team_scope(personas.team.id):
        actor = Membership.objects.select_related("user").get(
            team=personas.team, user=getattr(personas, persona)
        )
    with pytest.raises(PermissionDenied):
        checkout_start(
            team=personas.team,
            actor=actor,
            plan_key="starter",
            return_url="http://testserver/billing/",
        )
    with pytest.raises(PermissionDenied):
        portal_start(team=personas.team, actor=actor, return_url="http://testserver/billing/")
    assert fake.requests == []  # refused before any call to Stripe


def test_a_subscribed_team_gets_no_card_less_trial_reminder(personas, fake, mailoutbox):
    deliver(Client(), fake, _subscribe(personas, fake))
    assert _subscription(personas).status == Status.TRIALING
    _set_trial_end(personas, timedelta(days=2))
    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(status=Status.ACTIVE)
        assert trial_reminder_send(team=personas.team) is False
    # The outsider, still on the card-less trial with two days left, is reminded.
    with team_scope(personas.outsider_team.id):
        Subscription.objects.filter(team=personas.outsider_team).update(
            trial_end=timezone.now() + timedelta(days=2)
        )
        assert trial_reminder_send(team=personas.outsider_team) is True
    assert run_email_jobs() == 1
    assert [m.to for m in mailoutbox if "trial" in m.subject.lower()] == [[personas.outsider.email]]


def test_a_team_that_cancels_during_its_trial_is_told_it_has_ended(personas, fake, mailoutbox):
    events = _subscribe(personas, fake)
    deliver(Client(), fake, events)
    assert _subscription(personas).status == Status.TRIALING
    deliver(Client(), fake, fake.cancel(events[1]["data"]["object"]["id"]))
    assert _subscription(personas).status == Status.CANCELED
    ended = [m for m in mailoutbox if "has ended" in m.subject]
    assert [m.to for m in ended] == [[personas.owner.email]]


@pytest.mark.parametrize(
    ("status", "subscribed"),
    [(Status.TRIALING, True), (Status.UNPAID, False), (Status.TRIAL, False)],
)
def test_only_a_trial_with_a_card_is_told_it_is_subscribed(
    personas, mailoutbox, status, subscribed
):
    """The reminder says "nothing else to do" only to a Stripe trial with a card (trialing); an
    unpaid subscription that Stripe still reminds must not be told it is subscribed."""
    from ams.billing import services

    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(
            status=status, trial_end=timezone.now() + timedelta(days=2)
        )
        subscription = Subscription.objects.get(team=personas.team)
        assert services._send_trial_reminder(personas.team, subscription) is True
    assert run_email_jobs() == 1
    (sent,) = [m for m in mailoutbox if "trial" in m.subject.lower()]
    assert sent.to == [personas.owner.email]
    assert ("You are subscribed" in sent.body) is subscribed
    assert not [m for m in mailoutbox if personas.outsider.email in m.to]


def test_a_plan_change_from_stripe_is_in_the_teams_audit_trail(personas, fake):
    from ams.billing.selectors import default_plan
    from ams.core.models import AuditEntry

    _set_trial_end(personas, timedelta(days=1))
    deliver(Client(), fake, _subscribe(personas, fake))
    with team_scope(personas.team.id):
        changes = list(
            AuditEntry.objects.filter(team_id=personas.team.id, kind="billing.plan_changed")
        )
    assert [e.data for e in changes] == [
        {
            "plan": "starter",
            "status": "active",
            "previous_plan": default_plan().key,  # the trial's plan
            "previous_status": "trial",
        }
    ]
    assert changes[0].actor_id is None  # Stripe's webhook, not a person
    with team_scope(personas.outsider_team.id):
        assert not AuditEntry.objects.filter(kind="billing.plan_changed").exists()
