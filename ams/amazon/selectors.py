"""Reads of seller connections; the first argument is the team whose view it is."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ams.amazon.models import (
    AUTHORIZATION_LIFETIME,
    REAUTHORIZE_WARNING,
    ConnectionMarketplace,
    ConnectionStatus,
    DeletionRecord,
    SellerConnection,
)
from ams.teams.models import Team


def team_connections(team: Team) -> QuerySet[SellerConnection]:
    """Live connections first, then disconnected ones (tombstones until and after the purge)."""
    return (
        SellerConnection.objects.filter(team=team)
        .prefetch_related("marketplaces")
        .order_by("disconnected_at", "region", "id")
    )


def team_deletion_records(team: Team) -> QuerySet[DeletionRecord]:
    return DeletionRecord.objects.filter(team=team).order_by("-requested_at", "-id")


def access_connection(team: Team, connection_id: int) -> SellerConnection:
    """The team's connection, or a 404 that looks the same for 'missing' and 'another team's'."""
    connection = SellerConnection.objects.filter(team=team, id=connection_id).first()
    if connection is None:
        raise Http404("No such connection")
    return connection


def team_connections_to_renew(team: Team) -> list[SellerConnection]:
    """Live connections Amazon refused, or whose 365-day authorization ends within the warning."""
    renew_before = timezone.now() - AUTHORIZATION_LIFETIME + REAUTHORIZE_WARNING
    return list(
        SellerConnection.objects.filter(team=team, disconnected_at__isnull=True)
        .filter(
            Q(status=ConnectionStatus.NEEDS_REAUTHORIZATION) | Q(authorized_at__lte=renew_before)
        )
        .order_by("id")
    )


def team_marketplace_ids(team: Team) -> list[str]:
    """The marketplaces of the team's connections, each once."""
    return sorted(
        set(
            ConnectionMarketplace.objects.filter(team=team).values_list("marketplace_id", flat=True)
        )
    )


def team_markets(team: Team) -> list[tuple[str, str]]:
    """(marketplace id, currency) of the team's connected marketplaces, each pair once, in one query."""
    return sorted(
        set(
            ConnectionMarketplace.objects.filter(team=team).values_list(
                "marketplace_id", "currency"
            )
        )
    )
