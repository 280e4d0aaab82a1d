from __future__ import annotations

from django.conf import settings
from django.db import models


class PolicyNotice(models.Model):
    """What one person was told of one version of a policy document, and when they read it.

    A row is made when the announcement email goes out (``emailed_at``) or when the person
    acknowledges the in-app notice (``acknowledged_at``), whichever comes first. The person's own
    row, not a team's: policies bind people.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    document = models.CharField(max_length=20)
    version = models.CharField(max_length=10)
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document", "version"], name="policy_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document} {self.version} for user {self.user_id}"
