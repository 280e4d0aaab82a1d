"""Reads of the claims page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from ams.claims.models import Claim, ClaimStatus
from ams.core.sorting import Sorting
from ams.teams.models import Team

# Soonest deadline first, by default.
CLAIM_SORTING = Sorting(
    {
        "deadline": ("deadline",),
        "case": ("kind",),
        "sku": ("sku",),
        "occurred": ("occurred_at",),
        "units": ("quantity",),
        "estimate": ("estimate",),
        "status": ("status",),
    },
    default="deadline",
    tiebreak=("occurred_at", "id"),
)


def claims(team: Team, *, today: date, show: str = "active", sort: str = "") -> QuerySet[Claim]:
    """The team's cases, soonest deadline first (or in ``sort``'s order, a key of
    ``CLAIM_SORTING``): those still to file before their deadline and those filed (``active``),
    or every case (``all``: settled, received and expired too)."""
    qs = Claim.objects.filter(team=team)
    if show != "all":
        qs = qs.filter(
            Q(status=ClaimStatus.FILED) | Q(status=ClaimStatus.OPEN, deadline__gte=today)
        )
    return CLAIM_SORTING.apply(qs, sort)


def access_claim(team: Team, claim_pk: int) -> Claim | None:
    return Claim.objects.filter(team=team, pk=claim_pk).first()


@dataclass(frozen=True)
class OpenTotal:
    currency: str
    cases: int
    estimate: Decimal


def open_totals(team: Team, *, today: date) -> list[OpenTotal]:
    """What the cases still to file and within their deadline are worth, per currency."""
    rows = (
        Claim.objects.filter(team=team, status=ClaimStatus.OPEN, deadline__gte=today)
        .values("currency")
        .annotate(total=Sum("estimate"), cases=Count("id"))
        .order_by("currency")
    )
    return [OpenTotal(r["currency"], r["cases"], r["total"] or Decimal(0)) for r in rows]
