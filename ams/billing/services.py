"""Writes to a team's billing state: the trial, subscribing, and what Stripe's webhooks tell us."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ams.billing import emails, gateway
from ams.billing.models import EmailSuppression, EventStatus, Status, StripeEvent, Subscription
from ams.billing.plans import plan_by_key, plan_by_price
from ams.billing.selectors import PAID_STATUSES, default_plan, plans
from ams.core.audit_log import audit_record
from ams.core.events import usage_event_record
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role, Team

log = structlog.get_logger(__name__)

# A few minutes more than Stripe's 48-hour minimum, so a trial carried into Checkout is not
# refused for the time it took to send the request.
CHECKOUT_TRIAL_MIN = timedelta(seconds=gateway.MIN_CHECKOUT_TRIAL_SECONDS) + timedelta(minutes=10)
REMINDER_BEFORE_TRIAL_END = timedelta(days=3)

HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "invoice.payment_failed",
    }
)
ENDED = frozenset({Status.CANCELED, Status.UNPAID, Status.INCOMPLETE_EXPIRED, Status.PAUSED})


class BillingError(ValidationError):
    """A billing request that cannot go ahead, with a reason for the owner."""


def _from_timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _require_owner(actor: Membership) -> None:
    if actor.role_enum is not Role.OWNER:
        raise PermissionDenied("only the owner manages billing")


def _locked_subscription(team: Team) -> Subscription:
    """The team's row, locked for this transaction; created as a trial if the team predates billing."""
    subscription, _ = Subscription.objects.select_for_update().get_or_create(
        team=team,
        defaults={
            "plan": default_plan().key,
            "status": Status.TRIAL,
            "trial_end": team.created_at + timedelta(days=settings.TRIAL_DAYS),
        },
    )
    return subscription


# --- The trial ------------------------------------------------------------------------------


@transaction.atomic
def subscription_start_trial(*, team: Team) -> Subscription:
    """Every new team starts on a free trial, without a card and without any call to Stripe."""
    with team_scope(team.id):
        subscription, _ = Subscription.objects.get_or_create(
            team=team,
            defaults={
                "plan": default_plan().key,
                "status": Status.TRIAL,
                "trial_end": timezone.now() + timedelta(days=settings.TRIAL_DAYS),
            },
        )
    return subscription


@transaction.atomic
def trial_reminder_send(*, team: Team, now: datetime | None = None) -> bool:
    """Remind the owner three days before a card-less trial ends; once per trial."""
    now = now or timezone.now()
    with team_scope(team.id):
        subscription = _locked_subscription(team)
        if subscription.status != Status.TRIAL or subscription.trial_end is None:
            return False
        if not now < subscription.trial_end <= now + REMINDER_BEFORE_TRIAL_END:
            return False
        return _send_trial_reminder(team, subscription)


def _send_trial_reminder(team: Team, subscription: Subscription) -> bool:
    if (
        subscription.trial_end is None
        or subscription.trial_reminder_sent_for == subscription.trial_end
    ):
        return False
    subscription.trial_reminder_sent_for = subscription.trial_end
    subscription.save(update_fields=["trial_reminder_sent_for", "updated_at"])
    _email_later(
        team,
        "trial_reminder",
        {
            "trial_end": subscription.trial_end.isoformat(),
            "subscribed": subscription.status == Status.TRIALING,
        },
    )
    return True


# --- Subscribing and managing, from the billing page ----------------------------------------


def _ensure_customer(team: Team, subscription: Subscription, actor: Membership) -> str:
    if not subscription.stripe_customer_id:
        subscription.stripe_customer_id = gateway.customer_create(
            team_id=team.id, name=team.name, email=actor.user.email
        )
        subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    return subscription.stripe_customer_id


@transaction.atomic
def checkout_start(
    *, team: Team, actor: Membership, plan_key: str, return_url: str
) -> gateway.HostedPage:
    """A Stripe Checkout page for ``plan_key``, carrying over what is left of the free trial.

    Raises BillingError for a request that makes no sense and gateway.BillingUnavailable when
    Stripe cannot be reached.
    """
    _require_owner(actor)
    plan = plan_by_key(plans(), plan_key)
    if plan is None:
        raise BillingError("Choose one of the plans.")
    with team_scope(team.id):
        subscription = _locked_subscription(team)
        if subscription.stripe_subscription_id and subscription.status in PAID_STATUSES:
            raise BillingError(
                "This team already has a subscription. Change the plan under Manage billing."
            )
        customer_id = _ensure_customer(team, subscription, actor)
        trial_end = None
        if (
            subscription.status == Status.TRIAL
            and subscription.trial_end is not None
            and subscription.trial_end - timezone.now() > CHECKOUT_TRIAL_MIN
        ):
            trial_end = int(subscription.trial_end.timestamp())
        page = gateway.checkout_session_create(
            team_id=team.id,
            customer_id=customer_id,
            price_id=plan.price_id,
            plan_key=plan.key,
            trial_end=trial_end,
            # Stripe puts the session's id in place of the placeholder: the page reads the
            # outcome from the session itself instead of waiting for the webhook.
            success_url=f"{return_url}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{return_url}?checkout=cancelled",
        )
    usage_event_record(
        team_id=team.id, user_id=actor.user_id, kind="billing.checkout_started", plan=plan.key
    )
    return page


@transaction.atomic
def portal_start(
    *, team: Team, actor: Membership, return_url: str, cancel: bool = False
) -> gateway.HostedPage:
    """Stripe's Customer Portal for cards, invoices and plan changes; ``cancel`` opens its cancel step."""
    _require_owner(actor)
    with team_scope(team.id):
        subscription = _locked_subscription(team)
        if not subscription.stripe_customer_id:
            raise BillingError("Subscribe first: there is nothing to manage yet.")
        cancel_id = None
        if cancel:
            if not subscription.stripe_subscription_id or subscription.status not in PAID_STATUSES:
                raise BillingError("There is no running subscription to cancel.")
            cancel_id = subscription.stripe_subscription_id
        page = gateway.portal_session_create(
            customer_id=subscription.stripe_customer_id,
            return_url=return_url,
            cancel_subscription_id=cancel_id,
        )
    usage_event_record(
        team_id=team.id, user_id=actor.user_id, kind="billing.portal_opened", cancel=cancel
    )
    return page


class CheckoutOutcome:
    CONFIRMED = "confirmed"  # the subscription's state is Stripe's, as the session left it
    PENDING = "pending"  # Stripe has not finished (or could not be asked): look again shortly
    NOT_COMPLETED = "not_completed"  # the session was left or expired: nothing was bought


@transaction.atomic
def checkout_confirm(*, team: Team, session_id: str) -> str:
    """The owner is back from Checkout: take the subscription's state from the session Stripe
    completed, so the page shows the new plan now rather than when the webhook is processed.

    The same work as the ``checkout.session.completed`` webhook, and stamped with the time of
    asking like ``subscription_reconcile``, so the webhook that follows changes nothing and an
    older event cannot undo it. A session of another team or customer is refused."""
    try:
        session = gateway.checkout_session_retrieve(session_id)
    except gateway.BillingUnavailable:
        return CheckoutOutcome.PENDING
    with team_scope(team.id):
        subscription = _locked_subscription(team)
        if str(session.get("client_reference_id") or "") != str(team.id) or (
            subscription.stripe_customer_id
            and session.get("customer") != subscription.stripe_customer_id
        ):
            raise BillingError("This checkout is not this team's.")
        if session.get("status") != "complete":
            return (
                CheckoutOutcome.NOT_COMPLETED
                if session.get("status") == "expired"
                else CheckoutOutcome.PENDING
            )
        if not session.get("subscription"):
            return CheckoutOutcome.PENDING
        asked_at = timezone.now()
        try:
            remote = gateway.subscription_retrieve(str(session["subscription"]))
        except gateway.BillingUnavailable:
            return CheckoutOutcome.PENDING
        subscription.stripe_customer_id = str(
            session.get("customer") or subscription.stripe_customer_id
        )
        _apply_subscription(subscription, remote, asked_at)
    return CheckoutOutcome.CONFIRMED


# --- Webhooks -------------------------------------------------------------------------------


def stripe_event_receive(*, event: dict[str, Any]) -> bool:
    """Store a verified event and, if it is new and handled, defer its processing; True if new.

    The insert and the job are in one transaction, and the event id is the primary key: of two
    deliveries of the same event, even at the same instant, one inserts and the other waits on
    the key, finds it taken and does nothing. Types AMS does not handle are stored as ignored.
    """
    from ams.billing.tasks import process_stripe_event as process_stripe_event_task

    status = EventStatus.RECEIVED if event.get("type") in HANDLED_EVENTS else EventStatus.IGNORED
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StripeEvent._meta.db_table} "  # noqa: S608  (the table name is ours)
            "(id, type, created, livemode, payload, status, received_at, error) "
            "VALUES (%s, %s, %s, %s, %s::jsonb, %s, now(), '') ON CONFLICT (id) DO NOTHING RETURNING id",
            [
                str(event["id"]),
                str(event.get("type", ""))[:100],
                _from_timestamp(event.get("created")) or timezone.now(),
                bool(event.get("livemode")),
                json.dumps(event),
                status,
            ],
        )
        inserted = cursor.fetchone() is not None
        if inserted and status == EventStatus.RECEIVED:
            process_stripe_event_task.defer(event_id=str(event["id"]))
    log.info(
        "stripe.event_received",
        event_id=event["id"],
        type=event.get("type"),
        new=inserted,
        status=status,
    )
    return inserted


def _team_id_of(obj: dict[str, Any]) -> int | None:
    """The team an event is about, from the metadata AMS put on Stripe's objects."""
    candidates = [
        (obj.get("metadata") or {}).get("team_id"),
        obj.get("client_reference_id"),
        (((obj.get("parent") or {}).get("subscription_details") or {}).get("metadata") or {}).get(
            "team_id"
        ),
    ]
    customer = obj.get("customer")
    if not any(candidates) and isinstance(customer, str) and customer:
        candidates.append(gateway.customer_metadata(customer).get("team_id"))
    for candidate in candidates:
        if candidate and str(candidate).isdigit():
            return int(candidate)
    return None


@transaction.atomic
def stripe_event_process(*, event_id: str) -> str:
    """Apply one stored event to its team's subscription, once; returns the event's final status.

    Idempotent: the event row is locked and only a ``received`` event is handled. Order-safe:
    subscription state comes from the event's own object and is applied only if the event is
    not older than the last one applied (``created`` has one-second resolution; an event of the
    same second is applied, and for a subscription other than the current one an ended state
    never replaces a running one, which covers a resubscription within the same second).
    """
    event = StripeEvent.objects.select_for_update().filter(id=event_id).first()
    if event is None or event.status != EventStatus.RECEIVED:
        return event.status if event else "missing"
    obj = event.payload.get("data", {}).get("object", {})
    team_id = _team_id_of(obj)
    team = Team.objects.filter(id=team_id).first() if team_id else None
    if team is None:
        return _finish(event, EventStatus.FAILED, "no team in the event's metadata")
    event.team_ref = team.id
    with team_scope(team.id):
        subscription = _locked_subscription(team)
        customer = obj.get("customer")
        if (
            isinstance(customer, str)
            and subscription.stripe_customer_id
            and customer != subscription.stripe_customer_id
        ):
            return _finish(event, EventStatus.FAILED, "the event's customer is not the team's")
        _HANDLERS[event.type](team, subscription, obj, event.created)
    return _finish(event, EventStatus.PROCESSED)


def _finish(event: StripeEvent, status: EventStatus, error: str = "") -> str:
    event.status = status
    event.error = error
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "error", "processed_at", "team_ref"])
    if error:
        log.warning("stripe.event_failed", event_id=event.id, type=event.type, error=error)
    return status


def _apply_subscription(subscription: Subscription, obj: dict[str, Any], created: datetime) -> bool:
    """Take the subscription's state from Stripe's object, unless a newer event already did."""
    if subscription.last_event_created and created < subscription.last_event_created:
        return False
    status = obj.get("status", "")
    if status not in Status.values or status == Status.TRIAL:
        return False
    other = (
        subscription.stripe_subscription_id and obj.get("id") != subscription.stripe_subscription_id
    )
    if other and status in ENDED and subscription.status in PAID_STATUSES:
        return False
    item = ((obj.get("items") or {}).get("data") or [{}])[0]
    plan = plan_by_price(plans(), str((item.get("price") or {}).get("id", "")))
    before = (subscription.plan, subscription.status)
    subscription.status = status
    subscription.stripe_subscription_id = str(obj.get("id", ""))
    subscription.stripe_customer_id = str(obj.get("customer") or subscription.stripe_customer_id)
    if plan is not None:
        subscription.plan = plan.key
    if obj.get("trial_end"):
        subscription.trial_end = _from_timestamp(obj["trial_end"])
    subscription.current_period_end = _from_timestamp(item.get("current_period_end"))
    subscription.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    if status in (Status.ACTIVE, Status.TRIALING):
        subscription.payment_failed_at = None
    subscription.last_event_created = created
    subscription.save(
        update_fields=[
            "status",
            "stripe_subscription_id",
            "stripe_customer_id",
            "plan",
            "trial_end",
            "current_period_end",
            "cancel_at_period_end",
            "payment_failed_at",
            "last_event_created",
            "updated_at",
        ]
    )
    if (subscription.plan, subscription.status) != before:
        audit_record(
            team_id=subscription.team_id,
            actor_id=None,
            kind="billing.plan_changed",
            plan=subscription.plan,
            status=subscription.status,
            previous_plan=before[0],
            previous_status=before[1],
        )
    return True


def _on_checkout_completed(
    team: Team, subscription: Subscription, obj: dict[str, Any], created: datetime
) -> None:
    subscription.stripe_customer_id = str(obj.get("customer") or subscription.stripe_customer_id)
    subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    if obj.get("subscription"):
        # The session says nothing about the subscription's state: ask Stripe for it now.
        _apply_subscription(
            subscription, gateway.subscription_retrieve(str(obj["subscription"])), created
        )


def _on_subscription_changed(
    team: Team, subscription: Subscription, obj: dict[str, Any], created: datetime
) -> None:
    _apply_subscription(subscription, obj, created)


def _on_subscription_deleted(
    team: Team, subscription: Subscription, obj: dict[str, Any], created: datetime
) -> None:
    was = subscription.status
    if _apply_subscription(subscription, obj, created) and was != subscription.status:
        _email_later(team, "cancelled", {})


def _on_trial_will_end(
    team: Team, subscription: Subscription, obj: dict[str, Any], created: datetime
) -> None:
    _apply_subscription(subscription, obj, created)
    _send_trial_reminder(team, subscription)


def _on_invoice_paid(
    team: Team, subscription: Subscription, obj: dict[str, Any], created: datetime
) -> None:
    if subscription.payment_failed_at and created >= subscription.payment_failed_at:
        subscription.payment_failed_at = None
        subscription.save(update_fields=["payment_failed_at", "updated_at"])
    if int(obj.get("amount_paid") or 0) <= 0:
        return  # the zero invoice that opens a trial is not a payment
    _email_later(team, "receipt", {"invoice": emails.invoice_summary(obj)})


def _on_payment_failed(
    team: Team, subscription: Subscription, obj: dict[str, Any], created: datetime
) -> None:
    if subscription.payment_failed_at is None or created > subscription.payment_failed_at:
        subscription.payment_failed_at = created
        subscription.save(update_fields=["payment_failed_at", "updated_at"])
    _email_later(team, "payment_failed", {"invoice": emails.invoice_summary(obj)})


_Handler = Callable[[Team, Subscription, dict[str, Any], datetime], None]
_HANDLERS: dict[str, _Handler] = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription_changed,
    "customer.subscription.updated": _on_subscription_changed,
    "customer.subscription.paused": _on_subscription_changed,
    "customer.subscription.resumed": _on_subscription_changed,
    "customer.subscription.deleted": _on_subscription_deleted,
    "customer.subscription.trial_will_end": _on_trial_will_end,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_failed": _on_payment_failed,
}
assert set(_HANDLERS) == HANDLED_EVENTS


def _email_later(team: Team, kind: str, data: dict[str, Any]) -> None:
    """Send a billing email from a job deferred in this transaction: it exists only if the change
    that caused it commits, and a mail server that is briefly away gets retried."""
    from ams.billing.tasks import send_billing_email as send_billing_email_task

    recipients = _billing_recipients(team)
    if recipients:
        send_billing_email_task.defer(team_id=team.id, kind=kind, to=recipients, data=data)


def _billing_recipients(team: Team) -> list[str]:
    """Billing mail goes to the owner, the one member who can act on it."""
    return list(
        Membership.objects.filter(team=team, role=Role.OWNER).values_list("user__email", flat=True)
    )


# --- Reconciliation -------------------------------------------------------------------------


@transaction.atomic
def subscription_reconcile(*, team: Team) -> bool:
    """Take the subscription's state straight from Stripe, in case a webhook never arrived.

    Stamped with the time of asking: any event created before that is older than this state, and
    one created after it is newer, so the ordering rule keeps holding. Returns True on drift.
    """
    with team_scope(team.id):
        subscription = _locked_subscription(team)
        if not subscription.stripe_subscription_id:
            return False
        before = (subscription.status, subscription.plan, subscription.current_period_end)
        asked_at = timezone.now()
        remote = gateway.subscription_retrieve(subscription.stripe_subscription_id)
        _apply_subscription(subscription, remote, asked_at)
        drift = before != (subscription.status, subscription.plan, subscription.current_period_end)
    if drift:
        log.warning(
            "billing.reconcile_drift", team_id=team.id, was=before[0], now=subscription.status
        )
    return drift


# --- Email delivery feedback (Resend, through Anymail) --------------------------------------


@transaction.atomic
def email_suppress(*, email: str, reason: str) -> None:
    """Stop mailing an address that bounced or complained."""
    EmailSuppression.objects.get_or_create(
        email=email.strip().lower(), defaults={"reason": reason[:20]}
    )


def team_billing_forget(*, team_id: int) -> bool:
    """Before a deleted team's rows go: its Stripe customer (which ends any subscription at once,
    without a refund) and the webhook payloads that carry the customer's name and address.

    True if Stripe still had the customer. A Stripe outage raises, and the deletion job retries.
    """
    with team_scope(team_id):
        customer_ids = list(
            Subscription.objects.filter(team_id=team_id)
            .exclude(stripe_customer_id="")
            .values_list("stripe_customer_id", flat=True)
        )
    deleted = [gateway.customer_delete(customer_id) for customer_id in customer_ids]
    StripeEvent.objects.filter(
        Q(team_ref=team_id) | Q(payload__data__object__customer__in=customer_ids)
    ).delete()
    log.info("billing.team_forgotten", team_id=team_id, customers=len(customer_ids))
    return any(deleted)
