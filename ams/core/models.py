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
