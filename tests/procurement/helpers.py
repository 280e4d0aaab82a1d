"""Costs for tests, written through the service like the pages write them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, cast

from ams.core.tenancy import team_scope
from ams.procurement.importing import CostRow
from ams.procurement.services import product_costs_save
from ams.teams.models import Team

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"


def add_cost(
    team: Team,
    sku: str,
    unit_cost: str,
    day: date | None,
    *,
    marketplace_id: str | None = None,
    currency: str = "USD",
    note: str = "",
) -> None:
    with team_scope(team.id):
        product_costs_save(
            team=team,
            actor=None,
            rows=[CostRow(0, sku, marketplace_id, currency, Decimal(unit_cost), day, note)],
        )


def synced_skus(team: Team, *skus: str, marketplace_id: str = US, currency: str = "USD") -> None:
    """SKUs as the orders sync leaves them in its per-SKU read model."""
    from ams.orders.models import SkuSummary
    from tests.amazon.factories import make_connection

    connection = make_connection(team)
    zero = Decimal(0)
    with team_scope(team.id):
        SkuSummary.objects.bulk_create(
            SkuSummary(
                team=team,
                connection=connection,
                marketplace_id=marketplace_id,
                sku=sku,
                currency=currency,
                as_of=date(2026, 1, 1),
                units_7d=0,
                units_30d=0,
                units_90d=0,
                units_mtd=0,
                sales_7d=zero,
                sales_30d=zero,
                sales_90d=zero,
                sales_mtd=zero,
            )
            for sku in skus
        )


def streamed(response: Any) -> list[bytes]:
    """The chunks of a streamed response (a WSGI test client's, so never async)."""
    return list(cast(Iterator[bytes], response.streaming_content))


def sku_day(
    team: Team,
    sku: str,
    day: date,
    *,
    units: int,
    orders: int = 1,
    sales: str = "10.00",
    marketplace_id: str = US,
    currency: str = "USD",
) -> None:
    """A SKU's day as the orders sync's rollup leaves it (ams.orders.rollups)."""
    from ams.amazon.models import SellerConnection
    from ams.orders.models import SkuDay
    from ams.profit.rollups import sales_refresh
    from tests.amazon.factories import make_connection

    with team_scope(team.id):
        connection = SellerConnection.objects.filter(team=team).first()
    connection = connection or make_connection(team)
    with team_scope(team.id):
        SkuDay.objects.create(
            team=team,
            connection=connection,
            marketplace_id=marketplace_id,
            day=day,
            sku=sku,
            currency=currency,
            orders=orders,
            units=units,
            sales=Decimal(sales),
        )
        # The end of the orders run brings the profit read model's day along (ams.profit).
        sales_refresh(
            connection_id=connection.id, marketplace_id=marketplace_id, first_day=day, last_day=day
        )
