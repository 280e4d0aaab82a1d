"""What the seller spends beyond the unit cost of goods: advertising outside Amazon's charges,
freight, prep, storage at a 3PL, software, salaries, taxes. Entered by the seller, not synced."""

from __future__ import annotations

from django.db import models

from ams.core.tenancy import TenantModel


class Category(models.TextChoices):
    ADVERTISING = "advertising", "Advertising"
    INBOUND_FREIGHT = "inbound_freight", "Inbound freight"
    PREP = "prep", "Prep and labelling"
    STORAGE = "storage", "Storage (outside Amazon)"
    SOFTWARE = "software", "Software and subscriptions"
    SALARIES = "salaries", "Salaries and contractors"
    TAXES = "taxes", "VAT and other taxes"
    SAMPLES = "samples", "Samples and photography"
    OTHER = "other", "Other"


class Repeat(models.TextChoices):
    ONCE = "once", "Once"
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every three months"
    YEARLY = "yearly", "Every year"


# Months between two charges of a repeating expense.
REPEAT_MONTHS = {Repeat.MONTHLY: 1, Repeat.QUARTERLY: 3, Repeat.YEARLY: 12}


class Expense(TenantModel):
    """One expense, charged on ``starts_on`` and, when it repeats, on the same day of every
    later month, quarter or year up to ``ends_on`` (a day the month lacks is its last day).
    Optionally for one marketplace or one SKU, for the reports that split by them."""

    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    starts_on = models.DateField()
    repeat = models.CharField(max_length=12, choices=Repeat.choices, default=Repeat.ONCE)
    ends_on = models.DateField(null=True, blank=True)
    marketplace_id = models.CharField(max_length=20, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["team", "starts_on"], name="expense_team_starts")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="expense_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="expense_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.amount} {self.currency})"
