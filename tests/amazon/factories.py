"""Seller connections for tests that do not need the consent flow (the flow has its own tests)."""

from __future__ import annotations

import itertools

from django.utils import timezone

from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.core.tenancy import team_scope
from ams.teams.models import Team

_counter = itertools.count(1)


def make_connection(
    team: Team,
    *,
    region: str = "NA",
    selling_partner_id: str | None = None,
    marketplaces: tuple[str, ...] = ("US",),
) -> SellerConnection:
    spid = selling_partner_id or f"ATESTSELLER{next(_counter):04d}"
    with team_scope(team.id):
        connection = SellerConnection.objects.create(
            team=team, selling_partner_id=spid, region=region, authorized_at=timezone.now()
        )
        for country in marketplaces:
            ConnectionMarketplace.objects.create(
                team=team,
                connection=connection,
                marketplace_id=f"M{country}{connection.id}",
                country_code=country,
                currency="USD",
            )
    return connection
