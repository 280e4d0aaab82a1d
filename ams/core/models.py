from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from ams.core.tenancy import TenantModel


class UsageEvent(TenantModel):
    """What happened in a team, for support and for the team's own audit view.

    Kept for USAGE_EVENT_RETENTION_DAYS, then pruned. Holds ids and kinds, never a secret or an
    email address.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="usage_event_team_recent")]


class StoredFile(TenantModel):
    """A file a team's job reads or writes: an upload waiting to be parsed, an export to download.

    Kept in PostgreSQL, in chunks, rather than on a disk: the web process and the workers may run
    on different hosts, the rows fall under the team's row-level security like every other
    table, and a team's deletion removes them with the rest. Each file expires; a daily job
    deletes the expired ones (``ams.core.files``); a file with no end (an attachment the seller
    keeps) stays until its owner deletes it.
    """

    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["team", "kind", "-created_at"], name="stored_file_recent")]

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class StoredFileChunk(TenantModel):
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    number = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "number"], name="stored_file_chunk_unique")
        ]


# An export neither done nor failed after this long died with its worker: it no longer counts
# against the limits, and the Exports page says it stopped.
EXPORT_STALE_AFTER = timedelta(hours=2)


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Being built"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class ExportJob(TenantModel):
    """A file built by a worker for someone of the team: a large table export today.

    ``kind`` names the registered builder (``ams.core.export_jobs``) and ``params`` holds its
    validated filters, so the worker builds exactly what the page would have sent; anything that
    can describe itself that way (a whole team's data, later) is another kind.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    table = models.CharField(max_length=120)
    filename = models.CharField(max_length=255)
    params = models.JSONField(default=dict, blank=True)
    format = models.CharField(max_length=8)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_done = models.BigIntegerField(default=0)
    rows_total = models.BigIntegerField(null=True)
    error = models.CharField(max_length=300, blank=True)
    file = models.ForeignKey(
        StoredFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["team", "created_by", "-created_at"], name="export_job_recent"),
            models.Index(fields=["team", "status"], name="export_job_status"),
        ]

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def stalled(self) -> bool:
        return self.is_active and self.created_at < timezone.now() - EXPORT_STALE_AFTER

    @property
    def downloadable(self) -> bool:
        """Built, and its file has not expired (the list reads the file with the job)."""
        return self.status == ExportStatus.DONE and self.file is not None and not self.file.expired

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        # Some exports write more rows than they count (a transaction's charges): never 100 early.
        return min(99, self.rows_done * 100 // self.rows_total)


class AuditEntry(TenantModel):
    """One event of a team's security audit trail: append-only and hash-chained.

    The app role may insert and read these rows, never change or delete them (``ams.core.grants``);
    each row's ``hash`` covers its content and the previous row's hash, so a changed or missing
    row breaks the chain (``manage.py audit_verify``). The trail outlives the team it belongs to:
    security logs are kept for twelve months (``ams.core.audit_log``), so the team id is not a
    foreign key that a team's deletion would cascade through, and the actor is an id, not a link
    to a user row that could be deleted. Data holds ids and kinds, never a secret or an address.
    """

    team = models.ForeignKey(
        "teams.Team", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    seq = models.BigIntegerField()
    actor_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "seq"], name="audit_entry_chain_unique")
        ]
        indexes = [models.Index(fields=["team", "-created_at"], name="audit_entry_team_recent")]


class UserAuditEntry(models.Model):
    """A security event of a person rather than a team: a sign-in, a failed one, a second factor.

    Not a tenant row (there is no team): row-level security compares ``user_id`` with the
    transaction-local ``ams.user_id`` instead, so only code inside that user's scope reads them.
    Failed sign-ins with an address no account has are kept with no user, an HMAC of the address
    instead of the address, and are readable only inside ``unknown_account_scope``
    (docs/architecture.md, Tenancy). Append-only and chained per user like ``AuditEntry``.
    """

    user_id = models.BigIntegerField(null=True)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "seq"], name="user_audit_chain_unique", nulls_distinct=False
            )
        ]
        indexes = [
            models.Index(fields=["user_id", "-created_at"], name="user_audit_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.seq} of user {self.user_id}"


class AuditChainHead(models.Model):
    """The last link of each audit chain, and where its retained part starts.

    One row per chain ("team:<id>", "user:<id>", "unknown"): it lets the verifier list every
    chain without reading a tenant table, notice rows missing from the end, and know the hash
    the oldest kept row must follow once older rows have been pruned. It holds only hashes.
    """

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    floor_seq = models.BigIntegerField(default=0)
    floor_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} at {self.seq}"


class ExchangeRate(models.Model):
    """One currency's reference rate against the euro on one calendar day, as the European Central
    Bank publishes it (``ams.core.exchange_rates``).

    Shared reference data, not a team's: no ``team_id`` and no row-level security, since every
    team reads the same public rates and none writes them. Every calendar day has a row; on a day
    the ECB publishes nothing (weekends, TARGET holidays) the row repeats the last published rate
    and ``published_on`` says which day that was.
    """

    currency = models.CharField(max_length=3)
    day = models.DateField()
    # Units of ``currency`` per euro (EUR itself: 1).
    per_eur = models.DecimalField(max_digits=18, decimal_places=8)
    published_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="exchange_rate_key"),
            models.CheckConstraint(
                condition=models.Q(per_eur__gt=0), name="exchange_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.per_eur} per EUR on {self.day}"
