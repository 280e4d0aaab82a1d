"""A team's connections to Amazon Seller Central accounts.

Every table that holds data of a connection has a ``connection_id`` column (besides ``team_id``):
the purge finds the tables to clear from the schema by that column, so a new table of Amazon data
is purged without anyone having to remember it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from ams.core.retention import Current
from ams.core.tenancy import TenantModel

# Amazon asks public apps' sellers to re-authorize every 365 days.
AUTHORIZATION_LIFETIME = timedelta(days=365)
# How early the connection starts asking to be re-authorized.
REAUTHORIZE_WARNING = timedelta(days=30)


class Region(models.TextChoices):
    NA = "NA", "North America"
    EU = "EU", "Europe"
    FE = "FE", "Far East"


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Connected"
    NEEDS_REAUTHORIZATION = "needs_reauthorization", "Needs re-authorization"
    DISCONNECTED = "disconnected", "Disconnected"


class SellerConnection(TenantModel):
    """One Seller Central account in one region, authorized by the seller through Amazon's consent flow.

    The refresh token is not here: it lives in the vault (``ams.amazon.vault``), which the web
    process cannot read.
    """

    selling_partner_id = models.CharField(max_length=64)
    region = models.CharField(max_length=2, choices=Region.choices)
    name = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        max_length=32, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    authorized_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # When the purge of this connection's Amazon data is due (never more than 30 days after disconnect).
    purge_due_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "region", "selling_partner_id"],
                condition=Q(disconnected_at__isnull=True),
                name="connection_one_live_per_seller_region",
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.selling_partner_id} ({self.region})"

    @property
    def authorization_expires_at(self) -> datetime:
        return self.authorized_at + AUTHORIZATION_LIFETIME

    def authorization_expires_soon(self, now: datetime) -> bool:
        """Within REAUTHORIZE_WARNING of Amazon's 365-day limit: time to ask the owner to renew."""
        return self.is_live and now >= self.authorization_expires_at - REAUTHORIZE_WARNING

    @property
    def is_live(self) -> bool:
        return self.disconnected_at is None


class ConnectionMarketplace(TenantModel):
    """A marketplace the connected seller participates in (from getMarketplaceParticipations)."""

    connection = models.ForeignKey(
        SellerConnection, on_delete=models.CASCADE, related_name="marketplaces"
    )
    marketplace_id = models.CharField(max_length=20)
    country_code = models.CharField(max_length=2)
    name = models.CharField(max_length=80, blank=True)
    currency = models.CharField(max_length=3)
    is_participating = models.BooleanField(default=True)
    has_suspended_listings = models.BooleanField(default=False)

    retention = Current("the marketplaces the account sells in now")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "marketplace_id"],
                name="connection_marketplace_unique",
            )
        ]


class DeletionRecord(TenantModel):
    """Proof of a purge: what was deleted, when, and how many rows per table, verified at zero after."""

    connection_label = models.CharField(max_length=200)
    # Not a foreign key: the record outlives what it describes.
    connection_ref = models.BigIntegerField()
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    rows_deleted = models.JSONField(default=dict)
    rows_remaining = models.JSONField(default=dict)
    verified = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["team", "-requested_at"], name="deletion_record_team_recent")
        ]
