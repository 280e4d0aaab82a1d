"""Reimbursement opportunities: money Amazon owes a seller by its own policy, found in the
reports AMS keeps (ams/claims/detection.py), each with its evidence, an estimate and Amazon's
claim window. A case is found once and keeps the status the seller gives it; it resolves itself
when Amazon's reports show the gap closed."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ams.core.retention import Aged
from ams.core.tenancy import TenantModel


class ClaimKind(models.TextChoices):
    WAREHOUSE_LOST = "warehouse_lost", "Lost in a fulfilment centre"
    WAREHOUSE_DAMAGED = "warehouse_damaged", "Damaged in a fulfilment centre"
    RETURN_NOT_RECEIVED = "return_not_received", "Refunded, never returned"
    REFUND_OVER_PAID = "refund_over_paid", "Refund above the amount paid"
    FEE_TIER_CHANGE = "fee_tier_change", "FBA fee above the size tier"


class ClaimStatus(models.TextChoices):
    OPEN = "open", "To file"
    FILED = "filed", "Filed"
    RECEIVED = "received", "Received"
    # Detection no longer sees the gap: Amazon reimbursed, or the units were found or returned.
    RESOLVED = "resolved", "Settled by Amazon"


class Claim(TenantModel):
    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=ClaimKind.choices)
    # What makes the case the same case at every detection: Amazon's ids behind it.
    key = models.CharField(max_length=200)
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64, blank=True)
    fnsku = models.CharField(max_length=16, blank=True)
    order_id = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=40, blank=True)
    quantity = models.IntegerField()
    # The event the claim window counts from: the loss or damage, or the refund.
    occurred_at = models.DateTimeField()
    opens_on = models.DateField()
    deadline = models.DateField()
    currency = models.CharField(max_length=3)
    estimate = models.DecimalField(max_digits=18, decimal_places=2)
    # How the estimate was reached, in words.
    estimate_basis = models.CharField(max_length=200, blank=True)
    # The rows behind the case: [{"source", "date", "fields": [[name, value], …]}], named and
    # ordered as Amazon's reports give them.
    evidence = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.OPEN)
    resolution = models.CharField(max_length=300, blank=True)
    # Amazon's case id, when the seller notes it on filing.
    case_id = models.CharField(max_length=40, blank=True)
    status_changed_at = models.DateTimeField(null=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    detected_at = models.DateTimeField()
    # When detection last changed the case (its evidence, estimate, window or status).
    updated_at = models.DateTimeField()

    retention = Aged("occurred_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "connection", "kind", "key"], name="claim_key")
        ]
        indexes = [models.Index(fields=["team", "deadline"], name="claim_team_deadline")]

    @property
    def is_active(self) -> bool:
        return self.status in (ClaimStatus.OPEN, ClaimStatus.FILED)
