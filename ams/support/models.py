from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models


class Topic(models.TextChoices):
    ACCESS = "access", "A copy of my data"
    CORRECTION = "correction", "Correcting my data"
    DELETION = "deletion", "Deleting my data or my account"
    PRIVACY = "privacy", "Another privacy question"
    SUPPORT = "support", "Help with AMS"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_PROGRESS = "in_progress", "Being handled"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


def _reference() -> str:
    return "R-" + secrets.token_hex(4).upper()


def _status_token() -> str:
    return secrets.token_urlsafe(32)


class SupportRequest(models.Model):
    """A privacy or support request: from a signed-in person, or from anyone with an address
    (someone whose account is gone may need to ask too). The requester follows its status at an
    unguessable address; operators answer and change the status in the admin.

    ``client_key`` is an HMAC of the sender's network address, kept only to limit how many
    requests one address may send (``ams.support.services``), never the address itself.
    """

    reference = models.CharField(max_length=12, unique=True, default=_reference, editable=False)
    status_token = models.CharField(
        max_length=64, unique=True, default=_status_token, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="support_requests",
    )
    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    topic = models.CharField(max_length=20, choices=Topic.choices)
    message = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    reply = models.TextField(blank=True, help_text="Shown to the requester on the status page.")
    client_key = models.CharField(max_length=32, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["email", "-created_at"], name="support_request_by_email"),
            models.Index(fields=["client_key", "-created_at"], name="support_request_by_client"),
        ]

    def __str__(self) -> str:
        return self.reference
