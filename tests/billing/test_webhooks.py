"""Stripe's webhook: verified, stored by event id, handled once, in any order."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.billing.models import EventStatus, Status, StripeEvent, Subscription
from ams.billing.services import checkout_start, stripe_event_process
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role, Team
from devtools.fake_stripe import FakeStripe
from tests.billing.conftest import WEBHOOK, deliver, post_event, process_received, run_email_jobs
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _subscription(p: Personas) -> Subscription:
    with team_scope(p.team.id):
        return Subscription.objects.get(team=p.team)


def _owner(p: Personas) -> Membership:
    with team_scope(p.team.id):
        return Membership.objects.select_related("user").get(team=p.team, role=Role.OWNER)


def _subscribed(p: Personas, fake: FakeStripe) -> list[dict[str, Any]]:
    """Checkout for the team, completed on the fake's side: the events Stripe would send."""
    page = checkout_start(
        team=p.team, actor=_owner(p), plan_key="starter", return_url="http://testserver/billing/"
    )
    return fake.complete_checkout(page.id)


def test_a_valid_event_is_stored_and_its_job_deferred_in_the_same_transaction(personas, fake):
    event = _subscribed(personas, fake)[1]
    response = post_event(Client(), fake, event)
    assert response.status_code == 200
    stored = StripeEvent.objects.get(id=event["id"])
    assert stored.status == EventStatus.RECEIVED
    assert stored.type == "customer.subscription.created"
    job = ProcrastinateJob.objects.get(task_name="ams.billing.tasks.process_stripe_event")
    assert job.args == {"event_id": event["id"]}
    assert job.queue_name == "billing"


@pytest.mark.parametrize(
    ("how", "sign"),
    [
        ("tampered body", {}),
        ("wrong secret", {"secret": "whsec_someone_else"}),
        ("stale timestamp", {"timestamp": int(time.time()) - 301}),
    ],
)
def test_a_bad_signature_is_a_400_and_stores_nothing(personas, fake, how, sign):
    event = _subscribed(personas, fake)[1]
    payload, header = fake.sign(event, **sign)
    if how == "tampered body":
        payload = payload.replace('"status": "trialing"', '"status": "canceled"')
        assert '"canceled"' in payload
    response = Client().post(
        WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    assert ProcrastinateJob.objects.count() == 0


def test_a_missing_signature_or_a_get_is_refused(fake):
    event = fake.event("invoice.paid", {"id": "in_1"})
    assert Client().post(WEBHOOK, data=event, content_type="application/json").status_code == 400
    assert Client().get(WEBHOOK).status_code == 405
    assert StripeEvent.objects.count() == 0


def test_a_replayed_event_is_acknowledged_and_not_processed_again(personas, fake, mailoutbox):
    events = _subscribed(personas, fake)
    invoice_paid = events[2]
    invoice_paid["data"]["object"]["amount_paid"] = 2900
    for event in events:
        assert post_event(Client(), fake, event).status_code == 200
    process_received()
    # Stripe redelivers the same event (same id), even with a fresh signature.
    assert post_event(Client(), fake, invoice_paid).status_code == 200
    process_received()
    assert stripe_event_process(event_id=invoice_paid["id"]) == EventStatus.PROCESSED
    assert run_email_jobs() == 1  # the receipt, once
    assert StripeEvent.objects.filter(id=invoice_paid["id"]).count() == 1
    assert ProcrastinateJob.objects.filter(args__event_id=invoice_paid["id"]).count() == 1
    receipts = [m for m in mailoutbox if m.subject.startswith("Receipt")]
    assert len(receipts) == 1


def test_an_unknown_type_is_acknowledged_and_ignored(personas, fake):
    event = fake.event("customer.tax_id.created", {"id": "txi_1", "customer": "cus_x"})
    assert post_event(Client(), fake, event).status_code == 200
    assert StripeEvent.objects.get(id=event["id"]).status == EventStatus.IGNORED
    assert ProcrastinateJob.objects.count() == 0
    before = _subscription(personas)
    assert before.status == Status.TRIAL


def test_events_out_of_order_end_in_the_newest_state(personas, fake):
    events = _subscribed(personas, fake)
    subscription_id = events[1]["data"]["object"]["id"]
    created = events[1]["created"]
    fake.clock = lambda: created + 60
    failed = fake.renew(subscription_id, paid=False)  # past_due, one minute later
    fake.clock = lambda: created + 120
    cancelled = fake.cancel(subscription_id)  # canceled, two minutes later
    client = Client()
    # Stripe delivers the newest first, then the older ones.
    for event in [cancelled[0], failed[1], events[1], events[0]]:
        assert post_event(client, fake, event).status_code == 200
    assert process_received() == ["processed"] * 4
    subscription = _subscription(personas)
    assert subscription.status == Status.CANCELED
    assert subscription.last_event_created is not None
    assert int(subscription.last_event_created.timestamp()) == created + 120


def test_an_event_for_a_team_that_does_not_exist_fails_without_touching_anyone(personas, fake):
    event = fake.event(
        "customer.subscription.updated",
        {
            "id": "sub_x",
            "object": "subscription",
            "status": "canceled",
            "customer": "cus_x",
            "metadata": {"team_id": "999999"},
            "items": {"data": []},
        },
    )
    assert post_event(Client(), fake, event).status_code == 200
    assert process_received() == ["failed"]
    assert _subscription(personas).status == Status.TRIAL


def test_an_event_naming_another_teams_customer_is_refused(personas, fake):
    events = _subscribed(personas, fake)
    deliver_all = [*events]
    for event in deliver_all:
        post_event(Client(), fake, event)
    process_received()
    # The outsider's team id with team A's customer: the customer does not match, nothing changes.
    forged = fake.event(
        "customer.subscription.deleted",
        {
            **events[1]["data"]["object"],
            "status": "canceled",
            "metadata": {"team_id": str(personas.outsider_team.id)},
        },
    )
    with team_scope(personas.outsider_team.id):
        Subscription.objects.filter(team=personas.outsider_team).update(
            stripe_customer_id="cus_outsider"
        )
    post_event(Client(), fake, forged)
    assert process_received() == ["failed"]
    with team_scope(personas.outsider_team.id):
        assert Subscription.objects.get(team=personas.outsider_team).status == Status.TRIAL
    assert _subscription(personas).status == Status.TRIALING


@pytest.mark.django_db(transaction=True)
def test_the_same_event_twice_at_once_is_processed_once(personas, fake):
    events = _subscribed(personas, fake)
    payload, header = fake.sign(events[1])
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver() -> None:
        try:
            barrier.wait()
            response = Client().post(
                WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    assert StripeEvent.objects.filter(id=events[1]["id"]).count() == 1
    assert ProcrastinateJob.objects.filter(args__event_id=events[1]["id"]).count() == 1

    # And through the real worker: the job runs once and the subscription is active.
    from procrastinate.contrib.django import app

    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=["billing"], wait=False, install_signal_handlers=False, listen_notify=False
        )
    assert StripeEvent.objects.get(id=events[1]["id"]).status == EventStatus.PROCESSED
    assert ProcrastinateJob.objects.get(args__event_id=events[1]["id"]).status == "succeeded"
    assert _subscription(personas).status == Status.TRIALING
    connection.close()


def test_two_secrets_work_while_one_is_rotated(personas, fake, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_new_one, whsec_local_fake"
    old, new = fake.event("ping.old", {}), fake.event("ping.new", {})
    assert post_event(Client(), fake, old, secret="whsec_local_fake").status_code == 200
    assert post_event(Client(), fake, new, secret="whsec_new_one").status_code == 200
    assert (
        post_event(Client(), fake, fake.event("ping.x", {}), secret="whsec_retired").status_code
        == 400
    )
    assert StripeEvent.objects.count() == 2


def test_a_plan_change_in_the_portal_changes_the_plan_and_its_limits(personas, fake):
    events = _subscribed(personas, fake)
    for event in events:
        post_event(Client(), fake, event)
    process_received()
    changed = dict(events[1]["data"]["object"])
    changed["items"] = {
        "object": "list",
        "data": [
            {
                **changed["items"]["data"][0],
                "price": {"id": "price_scale_monthly", "object": "price"},
            }
        ],
    }
    changed["status"] = "active"
    changed["cancel_at_period_end"] = True
    post_event(
        Client(),
        fake,
        fake.event("customer.subscription.updated", changed, created=events[1]["created"] + 5),
    )
    process_received()
    subscription = _subscription(personas)
    assert (subscription.plan, subscription.status, subscription.cancel_at_period_end) == (
        "scale",
        Status.ACTIVE,
        True,
    )
    from ams.billing.entitlements import Action, may

    with team_scope(personas.team.id):
        assert may(personas.team, Action.CONNECT_ACCOUNT, in_use=9)


def test_nightly_reconciliation_repairs_a_missed_webhook(personas, fake):
    from ams.billing.services import subscription_reconcile

    events = _subscribed(personas, fake)
    for event in events:
        post_event(Client(), fake, event)
    process_received()
    assert subscription_reconcile(team=personas.team) is False
    # Stripe cancels, but the webhook is lost.
    fake.cancel(events[1]["data"]["object"]["id"])
    assert subscription_reconcile(team=personas.team) is True
    assert _subscription(personas).status == Status.CANCELED
    # A late event from before the reconciliation cannot undo what it found.
    late = fake.event(
        "customer.subscription.updated", events[1]["data"]["object"], created=events[1]["created"]
    )
    post_event(Client(), fake, late)
    assert process_received() == ["processed"]
    assert _subscription(personas).status == Status.CANCELED
    # Teams that never subscribed are left alone, with no call to Stripe.
    calls = len(fake.requests)
    assert subscription_reconcile(team=personas.outsider_team) is False
    assert len(fake.requests) == calls


def _subscribed_team(team: Team, fake: FakeStripe) -> list[dict[str, Any]]:
    with team_scope(team.id):
        owner = Membership.objects.select_related("user").get(team=team, role=Role.OWNER)
    page = checkout_start(
        team=team, actor=owner, plan_key="starter", return_url="http://testserver/billing/"
    )
    return fake.complete_checkout(page.id)


def _team_subscription(team: Team) -> Subscription:
    with team_scope(team.id):
        return Subscription.objects.get(team=team)


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def test_the_deletion_of_a_teams_previous_subscription_leaves_the_paid_one_running(personas, fake):
    first = _subscribed(personas, fake)
    deliver(Client(), fake, first)
    old_id, created = first[1]["data"]["object"]["id"], first[1]["created"]
    fake.clock = lambda: created + 60
    deliver(Client(), fake, fake.cancel(old_id))
    assert _subscription(personas).status == Status.CANCELED
    # The owner subscribes again: a new subscription, active (no trial left to carry over).
    fake.clock = lambda: created + 120
    second = _subscribed(personas, fake)
    deliver(Client(), fake, second)
    deliver(Client(), fake, _subscribed_team(personas.outsider_team, fake))
    new_id = second[1]["data"]["object"]["id"]
    assert (_subscription(personas).status, _subscription(personas).stripe_subscription_id) == (
        Status.ACTIVE,
        new_id,
    )

    # Later, Stripe sends a deletion for the old subscription again (a new event, newer than all
    # the others): it is about a subscription the team no longer has, and must not end the paid one.
    fake.clock = lambda: created + 180
    late = fake.event("customer.subscription.deleted", fake.subscriptions[old_id])
    assert post_event(Client(), fake, late).status_code == 200
    assert process_received() == ["processed"]

    subscription = _subscription(personas)
    assert (subscription.status, subscription.stripe_subscription_id) == (Status.ACTIVE, new_id)
    from ams.billing.entitlements import Action, may

    with team_scope(personas.team.id):
        assert may(personas.team, Action.WRITE)
    assert _team_subscription(personas.outsider_team).status == Status.TRIALING


def test_an_event_with_no_team_metadata_finds_its_team_through_the_stripe_customer(personas, fake):
    ours, theirs = _subscribed(personas, fake), _subscribed_team(personas.outsider_team, fake)
    deliver(Client(), fake, ours + theirs)
    # Invoices without subscription details (a one-off invoice, an older API version) carry no
    # metadata: the team is the one whose id AMS put on the Stripe customer.
    fake.clock = lambda: ours[1]["created"] + 60
    ours_failed = fake.renew(ours[1]["data"]["object"]["id"], paid=False)[0]
    fake.clock = lambda: ours[1]["created"] + 90
    theirs_failed = fake.renew(theirs[1]["data"]["object"]["id"], paid=False)[0]
    for event in (ours_failed, theirs_failed):
        invoice = event["data"]["object"]
        invoice["parent"] = None
        assert not invoice.get("metadata")
        assert post_event(Client(), fake, event).status_code == 200
    assert process_received() == ["processed", "processed"]
    assert StripeEvent.objects.get(id=ours_failed["id"]).team_ref == personas.team.id
    assert StripeEvent.objects.get(id=theirs_failed["id"]).team_ref == personas.outsider_team.id
    assert _subscription(personas).payment_failed_at == _at(ours_failed["created"])
    assert _team_subscription(personas.outsider_team).payment_failed_at == _at(
        theirs_failed["created"]
    )


def test_a_failed_payment_is_recorded_at_the_newest_failure_until_a_later_payment(personas, fake):
    events = _subscribed(personas, fake)
    deliver(Client(), fake, events + _subscribed_team(personas.outsider_team, fake))
    subscription_id, created = events[1]["data"]["object"]["id"], events[1]["created"]
    fake.clock = lambda: created + 60
    first_failure = fake.renew(subscription_id, paid=False)[0]
    fake.clock = lambda: created + 120
    second_failure = fake.renew(subscription_id, paid=False)[0]

    assert _subscription(personas).payment_failed_at is None
    # Delivered newest first: the older failure arriving late does not move the date back.
    for event in (second_failure, first_failure):
        assert post_event(Client(), fake, event).status_code == 200
        assert process_received() == ["processed"]
        assert _subscription(personas).payment_failed_at == _at(created + 120)
    # A newer failure moves it forward.
    fake.clock = lambda: created + 150
    third_failure = fake.renew(subscription_id, paid=False)[0]
    assert post_event(Client(), fake, third_failure).status_code == 200
    assert process_received() == ["processed"]
    assert _subscription(personas).payment_failed_at == _at(created + 150)
    # A payment older than the failure (delivered late) does not clear it; a newer one does.
    older_paid = fake.event("invoice.paid", events[2]["data"]["object"], created=created + 30)
    deliver(Client(), fake, [older_paid])
    assert _subscription(personas).payment_failed_at == _at(created + 150)
    fake.clock = lambda: created + 180
    deliver(Client(), fake, fake.renew(subscription_id, paid=True))
    assert _subscription(personas).payment_failed_at is None
    assert _team_subscription(personas.outsider_team).payment_failed_at is None
