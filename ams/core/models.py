from __future__ import annotations

from django.conf import settings
from django.db import models

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
    deletes the expired ones (``ams.core.files``).
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
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["team", "kind", "-created_at"], name="stored_file_recent")]


class StoredFileChunk(TenantModel):
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    number = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "number"], name="stored_file_chunk_unique")
        ]
