from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from ams.core.retention import AMAZON_MONTHS, Window
from ams.core.tenancy import TenantModel


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Team(models.Model):
    """The tenant. Every row of a team's data carries its id and is guarded by row-level security.

    The team row itself holds only its name and settings, so it is readable without a scope: the
    request needs it to find the scope in the first place.
    """

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    require_owner_2fa = models.BooleanField(
        default=False, help_text="Owners must use two-factor authentication to open this team."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the owner deletes the team: from then on the team answers 404 to everyone, and the
    # purge (``ams.teams.deletion``) removes its rows, then this row.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    # How long AMS keeps the team's Amazon data (ams.core.retention): at most AMAZON_MONTHS.
    retention_months = models.PositiveSmallIntegerField(default=AMAZON_MONTHS)
    # Financial records (settlements, transactions, fees) may be kept longer where tax law
    # requires it; the owner states the period and the reason, and both are recorded.
    financial_retention_months = models.PositiveSmallIntegerField(null=True, blank=True)
    financial_retention_reason = models.CharField(max_length=300, blank=True)
    financial_retention_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    financial_retention_set_at = models.DateTimeField(null=True, blank=True)
    # The currency every money figure can also be shown in (ams.core.exchange_rates). Empty: the
    # currency of the marketplace the team sells most in (``ams.orders.selectors.home_currency``).
    home_currency = models.CharField(max_length=3, blank=True)

    def __str__(self) -> str:
        return self.name

    @property
    def retention_window(self) -> Window:
        return Window(
            amazon_months=self.retention_months,
            financial_months=max(self.financial_retention_months or 0, self.retention_months),
        )


class Membership(TenantModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # Off: the member works with the team's data but not its costs, prices paid and margins (staff,
    # a virtual assistant, a supplier). Owners and admins always see them: they can turn it on.
    sees_costs = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_one_per_user"),
            models.UniqueConstraint(
                fields=["team"], condition=Q(role="owner"), name="membership_one_owner"
            ),
        ]

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def costs_visible(self) -> bool:
        """Whether costs, prices paid, profit and margins show to this member."""
        return self.sees_costs or self.role_enum.at_least(Role.ADMIN)

    @property
    def role_phrase(self) -> str:
        """The role as a sentence says it: "the owner", "an admin", "a member", "a viewer"."""
        return {
            Role.OWNER: "the owner",
            Role.ADMIN: "an admin",
            Role.MEMBER: "a member",
            Role.VIEWER: "a viewer",
        }[self.role_enum]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.team_id}:{self.role}"


def _new_nonce() -> str:
    return secrets.token_urlsafe(16)


class Invitation(TenantModel):
    """An invitation by email. Its link is signed, expires, and works once."""

    email = models.EmailField()
    role = models.CharField(
        max_length=10, choices=[c for c in Role.choices if c[0] != Role.OWNER], default=Role.MEMBER
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class DeletionReceipt(models.Model):
    """Proof of a team's or an account's deletion, for the person who asked.

    Not a tenant row: it outlives the team and the account it describes. It names them only by a
    label and an id; the requester's address is kept until the receipt has been mailed, then
    blanked. The download link carries a token whose hash alone is stored.
    """

    class Subject(models.TextChoices):
        TEAM = "team", "Team"
        ACCOUNT = "account", "Account"

    subject = models.CharField(max_length=10, choices=Subject.choices)
    subject_ref = models.BigIntegerField()
    label = models.CharField(max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    rows_deleted = models.JSONField(default=dict)
    rows_remaining = models.JSONField(default=dict)
    verified = models.BooleanField(default=False)
    notes = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["completed_at", "due_at"], name="deletion_receipt_open")]

    def __str__(self) -> str:
        return self.label
