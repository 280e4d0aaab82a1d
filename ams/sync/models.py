"""What the sync knows about itself: per connection and data family, its state and cursor.

``SyncState.cursor`` is written in the same transaction as the rows it covers, so after a crash
the next run resumes where the committed data ends: never ahead of it (loss), and replaying
the overlap is harmless because every write is an upsert on a natural key.
"""

from __future__ import annotations

from django.db import models

from ams.core.tenancy import TenantModel


class Family(models.TextChoices):
    ORDERS = "orders", "Orders"
    INVENTORY = "inventory", "Inventory"
    LISTINGS = "listings", "Listings and catalogue"
    FINANCES = "finances", "Fees and transactions"
    SETTLEMENTS = "settlements", "Settlements"
    LEDGER = "ledger", "Ledger, returns and reimbursements"


class SyncStatus(models.TextChoices):
    NEVER = "never", "Not synced yet"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Up to date"
    PARTIAL = "partial", "Done with problems"
    FAILED = "failed", "Failed"
    PAUSED = "paused", "Paused"


class SyncState(TenantModel):
    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    family = models.CharField(max_length=16, choices=Family.choices)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.NEVER)
    # Progress of the current run, in the run's own unit (report windows, pages).
    progress_done = models.IntegerField(default=0)
    progress_total = models.IntegerField(null=True, blank=True)
    # Why the last run failed or paused, in words the user can act on.
    reason = models.CharField(max_length=500, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    rows_last_run = models.IntegerField(default=0)
    quarantined_last_run = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "connection", "family"], name="sync_state_key")
        ]

    def __str__(self) -> str:
        return f"{self.family}: {self.status}"

    @property
    def status_enum(self) -> SyncStatus:
        return SyncStatus(self.status)


class SyncRun(TenantModel):
    """One run of one family's sync, kept for the status page and for diagnosing failures."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    family = models.CharField(max_length=16, choices=Family.choices)
    mode = models.CharField(max_length=16)  # backfill, incremental, full
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    rows_read = models.IntegerField(default=0)
    rows_changed = models.IntegerField(default=0)
    quarantined = models.IntegerField(default=0)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["team", "connection", "family", "-started_at"], name="sync_run_recent"
            )
        ]


class QuarantinedRow(TenantModel):
    """A row (or a whole document) the parser refused, with the reason, instead of failing the file."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    family = models.CharField(max_length=16, choices=Family.choices)
    source = models.CharField(max_length=80)  # report type or operation
    document = models.CharField(max_length=80, blank=True)  # report id / document id
    line_number = models.IntegerField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    # The offending line, cut short: enough to diagnose, never a whole document.
    raw = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["team", "connection", "-created_at"], name="quarantine_recent")
        ]
