"""Reads of seller connections; the first argument is the team whose view it is."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ams.amazon.models import DeletionRecord, SellerConnection
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
