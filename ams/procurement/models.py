"""Product costs: what a unit of a SKU costs the seller, as dated records.

A cost is valid from ``effective_from`` until the next record of the same SKU (and marketplace)
starts, so a price change never rewrites the profit of orders sold before it. A cost saved without
a date (``effective_from`` NULL) holds for all history until the first dated record replaces it:
what a seller means by "this SKU costs 4.20". A record without a
marketplace applies to every marketplace; a marketplace's own record takes precedence over it.

A SKU without a record has no cost, which is not the same as a cost of zero (a free sample can
cost zero): profit for such a SKU is unknown and flagged, never computed as if the goods were
free. Later, costs from purchase-order receipts (cost batches) will sit in front of these
hand-entered ones; these stay the fallback.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format

from ams.core.retention import Current
from ams.core.tenancy import TenantModel

MAX_UNIT_COST_DIGITS = 14
UNIT_COST_PLACES = 4


class ProductCost(TenantModel):
    # The SKU as the seller knows it in Seller Central (case-sensitive, as Amazon treats it).
    sku = models.CharField(max_length=64)
    # NULL: every marketplace. NULL rather than "" so that "no marketplace" can never equal one.
    marketplace_id = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    currency = models.CharField(max_length=3)
    unit_cost = models.DecimalField(
        max_digits=MAX_UNIT_COST_DIGITS, decimal_places=UNIT_COST_PLACES
    )
    # NULL: from the beginning of history (ams.procurement.cost_rule).
    effective_from = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # NULLS NOT DISTINCT: two "every marketplace" records of a SKU on one day are a duplicate.
            models.UniqueConstraint(
                fields=["team", "sku", "marketplace_id", "effective_from"],
                name="product_cost_key",
                nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="product_cost_currency_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.unit_cost} {self.currency} {self.valid_from_label}"

    @property
    def valid_from_label(self) -> str:
        # In the reader's date format (docs/architecture.md, Numbers and dates).
        return (
            f"from {date_format(self.effective_from)}" if self.effective_from else "for all history"
        )


def _cost() -> models.DecimalField[Any, Any]:
    return models.DecimalField(max_digits=24, decimal_places=UNIT_COST_PLACES)


class SkuWindowCost(TenantModel):
    """Read model: the cost of goods sold of one row of ``orders.SkuSummary`` over each standard
    window (7, 30, 90 days, month to date) and the window before it, priced by the cost rule
    (``ams.procurement.cost_rule``: the cost valid on each day sold). Rebuilt with the SKU summary and
    whenever costs are saved or deleted (``ams.procurement.window_costs``), so the overview adds
    10,000 numbers instead of looking up the cost in force among every dated record.
    """

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20)
    sku = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    # The day the windows end on: the summary's as_of when this row was priced.
    as_of = models.DateField()
    # Per window, as in the summary: units sold and, times the cost valid on their day, for the units whose cost is in the
    # sale's currency; and the units without a cost on their day (or with one in another currency),
    # never priced as free. The "prev" columns are the window before.
    units_7d = models.IntegerField()
    units_prev_7d = models.IntegerField()
    units_30d = models.IntegerField()
    units_prev_30d = models.IntegerField()
    units_90d = models.IntegerField()
    units_prev_90d = models.IntegerField()
    units_mtd = models.IntegerField()
    units_prev_mtd = models.IntegerField()
    cost_7d = _cost()
    cost_prev_7d = _cost()
    cost_30d = _cost()
    cost_prev_30d = _cost()
    cost_90d = _cost()
    cost_prev_90d = _cost()
    cost_mtd = _cost()
    cost_prev_mtd = _cost()
    missing_7d = models.IntegerField()
    missing_prev_7d = models.IntegerField()
    missing_30d = models.IntegerField()
    missing_prev_30d = models.IntegerField()
    missing_90d = models.IntegerField()
    missing_prev_90d = models.IntegerField()
    missing_mtd = models.IntegerField()
    missing_prev_mtd = models.IntegerField()

    retention = Current("the summary's windows priced, rebuilt with it")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id", "sku", "currency"],
                name="sku_window_cost_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.currency} as of {self.as_of}"


class CostImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Being read"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class CostImport(TenantModel):
    """A large cost file being read by a worker (``ams.procurement.tasks``); small ones are read in
    the request. Holds the outcome the result page shows: the rows imported and those rejected."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    name = models.CharField(max_length=255)
    upload = models.ForeignKey(
        "core.StoredFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=CostImportStatus.choices, default=CostImportStatus.QUEUED
    )
    rows_done = models.IntegerField(default=0)
    imported = models.IntegerField(default=0)
    # [{"line": 7, "sku": "MUG-1", "reason": "…"}]: what the seller fixes and uploads again.
    rejected = models.JSONField(default=list, blank=True)
    # Why the file as a whole could not be read, in the seller's terms.
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="cost_import_recent")]

    @property
    def is_active(self) -> bool:
        return self.status in (CostImportStatus.QUEUED, CostImportStatus.RUNNING)
