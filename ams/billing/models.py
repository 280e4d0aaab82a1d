from __future__ import annotations

from django.db import models

from ams.core.tenancy import TenantModel


class Status(models.TextChoices):
    # The team's own trial, before it ever met Stripe: no card, no Stripe objects.
    TRIAL = "trial", "Free trial"
    # Stripe's subscription statuses, stored as Stripe sends them.
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    UNPAID = "unpaid", "Unpaid"
    CANCELED = "canceled", "Cancelled"
    INCOMPLETE = "incomplete", "Incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete (expired)"
    PAUSED = "paused", "Paused"


class Subscription(TenantModel):
    """A team's plan and where it stands with Stripe: one row per team, ids only, never card data.

    Stripe is the source of truth; this row is the last state a webhook told us, and
    ``last_event_created`` is when Stripe created that event, so an older event that arrives late
    cannot overwrite a newer state.
    """

    plan = models.CharField(max_length=32)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRIAL)
    trial_end = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_subscription_id = models.CharField(max_length=64, blank=True)
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    # The trial end a reminder went out for: one reminder per trial, from our clock or Stripe's.
    trial_reminder_sent_for = models.DateTimeField(null=True, blank=True)
    last_event_created = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team"], name="subscription_one_per_team")]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.plan}:{self.status}"


class EventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class StripeEvent(models.Model):
    """Every verified Stripe webhook, stored by event id before it is handled.

    Not a tenant table: a webhook arrives with no team, and the team is only known once the job
    has read the event's object (``metadata.team_id``, set by us when we created the customer,
    the Checkout Session and the subscription). The job then works inside that team's scope.
    The primary key on Stripe's event id makes a redelivered event a no-op.
    """

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField()
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED
    )
    team_ref = models.BigIntegerField(
        null=True, blank=True, help_text="The team the event was for, once known."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"], name="stripe_event_status")]

    def __str__(self) -> str:
        return f"{self.id} {self.type} {self.status}"


class EmailSuppression(models.Model):
    """An address that bounced or complained: AMS sends it no further mail. Not a team's data."""

    email = models.EmailField(unique=True)
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"
