"""Reads of the team's listings: the listings page, its counts, and what other pages ask of a listing."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, Q, QuerySet, Value, When

from ams.catalog.models import Listing
from ams.core.sorting import Sorting
from ams.teams.models import Team

# Listings a seller has to act on, listed first.
PROBLEM_STATUSES = ("suppressed", "incomplete")


# By default the listings to act on first, then by SKU and marketplace.
LISTING_SORTING = Sorting(
    {
        "sku": ("sku",),
        "title": ("title",),
        "marketplace": ("marketplace_id",),
        "status": ("status",),
        "price": ("price",),
        "quantity": ("quantity",),
        "buy_box": ("buy_box_price",),
        "fees": ("estimated_fees",),
    },
    default="sku",
    tiebreak=("sku", "marketplace_id", "connection_id", "id"),
    default_order=(
        Case(When(status__in=PROBLEM_STATUSES, then=Value(0)), default=Value(1)).asc(),
        "sku",
        "marketplace_id",
    ),
)


@dataclass(frozen=True)
class ListingFilter:
    """The listings page's filters (its query string's names); empty values filter nothing."""

    q: str = ""  # SKU or title containing it, or the exact ASIN
    status: str = ""
    marketplace: str = ""
    channel: str = ""
    sort: str = ""  # a key of LISTING_SORTING, "-" first for descending; "" the default


def listings(team: Team, filters: ListingFilter) -> QuerySet[Listing]:
    qs = Listing.objects.filter(team=team)
    if filters.q:
        text = filters.q
        qs = qs.filter(Q(sku__icontains=text) | Q(asin__iexact=text) | Q(title__icontains=text))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.marketplace:
        qs = qs.filter(marketplace_id=filters.marketplace)
    if filters.channel:
        qs = qs.filter(fulfillment_channel=filters.channel)
    return LISTING_SORTING.apply(qs, filters.sort)


def listing_status_counts(team: Team) -> dict[str, int]:
    return {
        r["status"]: r["n"]
        for r in Listing.objects.filter(team=team)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    }


def suppressed_count(team: Team) -> int:
    """Listings Amazon suppressed."""
    return Listing.objects.filter(team=team, status="suppressed").count()


def listed_skus(team: Team) -> set[str]:
    """Every SKU the team has a listing of."""
    return set(Listing.objects.filter(team=team).values_list("sku", flat=True).distinct())


def skus_containing(team: Team, text: str) -> QuerySet[Listing, str]:
    """The team's listed SKUs that contain ``text``, any case."""
    return Listing.objects.filter(team=team, sku__icontains=text).values_list("sku", flat=True)


def estimated_fees(team: Team, skus: Collection[str]) -> dict[tuple[str, str], Decimal]:
    """Amazon's per-unit fee estimate of each (marketplace, SKU) listing of ``skus``."""
    listed = Listing.objects.filter(team=team, sku__in=skus, estimated_fees__isnull=False)
    return {
        (marketplace_id, sku): fee
        for marketplace_id, sku, fee in listed.values_list(
            "marketplace_id", "sku", "estimated_fees"
        )
        if fee is not None
    }


def listing_prices(
    team: Team, *, connection_id: int, skus: Collection[str]
) -> dict[tuple[str, str], tuple[str, Decimal]]:
    """The listed price of these SKUs, per (marketplace, SKU): (currency, price)."""
    return {
        (marketplace_id, sku): (currency, price)
        for marketplace_id, sku, currency, price in Listing.objects.filter(
            team=team, connection_id=connection_id, sku__in=list(skus), price__isnull=False
        ).values_list("marketplace_id", "sku", "currency", "price")
        if price is not None
    }


def listings_of_skus(team: Team, skus: Collection[str]) -> QuerySet[Listing]:
    """Every listing of these SKUs, in every connection and marketplace (a product's page)."""
    return Listing.objects.filter(team=team, sku__in=list(skus)).order_by("sku", "marketplace_id")
