"""What the sync knows about itself: per connection and data family, its state and cursor.

``SyncState.cursor`` is written in the same transaction as the rows it covers, so after a crash
the next run resumes where the committed data ends: never ahead of it (loss), and replaying
the overlap is harmless because every write is an upsert on a natural key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ams.core.retention import Aged, Current
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

    retention = Current("where each family stands now")

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
    # Counted as the run goes (written every few seconds, ams.sync.context.PROGRESS_SECONDS):
    # rows read and stored; of them the rows written, inserted or changed, and the inserted ones.
    rows_read = models.IntegerField(default=0)
    rows_changed = models.IntegerField(default=0)
    rows_added = models.IntegerField(default=0)
    quarantined = models.IntegerField(default=0)
    # Whole report files refused (kept pending), not counted in ``quarantined`` (rows).
    files_refused = models.IntegerField(default=0)
    # Reports asked of Amazon, report documents downloaded, pages of paged APIs read.
    reports_requested = models.IntegerField(default=0)
    reports_downloaded = models.IntegerField(default=0)
    pages_read = models.IntegerField(default=0)
    reason = models.CharField(max_length=500, blank=True)

    retention = Aged("started_at")

    class Meta:
        indexes = [
            models.Index(
                fields=["team", "connection", "family", "-started_at"], name="sync_run_recent"
            )
        ]

    @property
    def rows_updated(self) -> int:
        """Rows the copy held that the run changed."""
        return max(0, self.rows_changed - self.rows_added)


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

    retention = Aged("created_at")

    class Meta:
        indexes = [
            models.Index(fields=["team", "connection", "-created_at"], name="quarantine_recent")
        ]


class UploadStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    READING = "reading", "Reading"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class SettlementUpload(TenantModel):
    """A settlement file a seller uploaded, and what each document in it became.

    ``documents`` holds one entry per document read (a zip holds several): its settlement,
    period, currency, total and lines, and ``outcome`` "stored", "held" (AMS already had that
    settlement, from the sync or an earlier upload) or "refused" with the ``reason``.
    """

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    # The upload itself, kept until the job has read it; it expires with its StoredFile.
    file = models.ForeignKey("core.StoredFile", on_delete=models.SET_NULL, null=True)
    name = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=UploadStatus.choices, default=UploadStatus.WAITING
    )
    bytes_read = models.BigIntegerField(default=0)
    documents = models.JSONField(default=list, blank=True)
    # Why the job itself failed (not a document's refusal, which is in ``documents``).
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # What each file became names settlements and totals: financial records, aged with them.
    retention = Aged("created_at", financial=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="settlement_upload_recent")]

    @property
    def is_active(self) -> bool:
        return self.status in (UploadStatus.WAITING, UploadStatus.READING)

    @property
    def percent(self) -> int:
        return min(100, self.bytes_read * 100 // self.size) if self.size else 0


class PendingReport(TenantModel):
    """A report document the parser refused whole (a column it needs is missing): kept pending,
    never counted as read, with what is needed to read it again.

    It is tried again when the reader changes (``parser_version`` is older than the family
    parser's ``PARSER_VERSION``) or when an owner or admin asks (``retry_requested``). A
    settlement report is listed by Amazon for 90 days only, so its report and document ids are
    kept to download it again after that; an order report covers a window (``window_start``,
    ``window_end``) that can be requested again. ``expired``: Amazon no longer has the document.
    """

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    family = models.CharField(max_length=16, choices=Family.choices)
    report_type = models.CharField(max_length=80)
    report_id = models.CharField(max_length=80)
    document_id = models.CharField(max_length=200)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500)
    parser_version = models.IntegerField()
    attempts = models.IntegerField(default=1)
    first_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField()
    retry_requested = models.BooleanField(default=False)
    expired = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    # A report still refused after the window has passed would only be deleted again.
    retention = Aged("last_attempt_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "family", "report_id"], name="pending_report_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["team", "connection", "family", "resolved_at"], name="pending_report_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_type} {self.report_id}"
