"""The overview's stock at a glance, per marketplace: a read model and the query behind it.

Counting SKUs at risk joins every SKU's stock with its rate of sale (about 20 ms at 10,000
SKUs), so the result is kept per connection and marketplace (``StockHealthSummary``), rebuilt
after every run that changes stock, Amazon's advice or the SKU summaries (inventory, listings,
orders: ``ams.sync.services``). The overview adds up its rows; a lead time other than the
default is computed live.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from ams.core.tenancy import require_team_scope
from ams.inventory.models import StockHealthSummary
from ams.orders.relations import sku_summary

# No per-SKU supplier lead time yet: one default for "at risk of stockout".
DEFAULT_LEAD_TIME_DAYS = 30


@dataclass(frozen=True)
class StockHealth:
    skus: int
    available: int
    inbound: int
    reserved: int
    unfulfillable: int
    at_risk: int
    out_of_stock: int
    excess_skus: int
    excess_units: int
    # Amazon's replenishment alerts: (alert, SKUs), most frequent first.
    alerts: list[tuple[str, int]]


def _alerts(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(
        ((str(alert), int(n)) for alert, n in counts.items() if n),
        key=lambda pair: (-pair[1], pair[0]),
    )


# Days of cover = (available + inbound) / (units of the last 30 days / 30), as the inventory
# page's "at risk" filter computes it (ams.inventory.selectors.stock). One pass with hash joins:
# a correlated subquery per SKU costs a probe per row on a 10,000-SKU account. The units come
# from the SKU summary, through the SQL orders hands out (ams.orders.relations).
_STOCK_HEALTH = """
WITH sold AS (
    SELECT connection_id, marketplace_id, sku, sum(units_30d) AS units_30d
    -- Only SKUs that sold: both tests below need a rate of sale, and the summary keeps 180 days.
    FROM ({sku_summary}) summary WHERE units_30d > 0 {where}
    GROUP BY connection_id, marketplace_id, sku
), excess AS (
    SELECT connection_id, marketplace_id, sku, excess_quantity
    FROM inventory_inventoryhealth WHERE team_id = %(team)s AND excess_quantity > 0 {where}
)
SELECT count(*),
    coalesce(sum(s.fulfillable), 0),
    coalesce(sum(s.inbound_working + s.inbound_shipped + s.inbound_receiving), 0),
    coalesce(sum(s.reserved), 0),
    coalesce(sum(s.unfulfillable), 0),
    count(*) FILTER (WHERE d.units_30d > 0 AND (s.fulfillable + s.inbound_working + s.inbound_shipped
        + s.inbound_receiving) * 30 < %(lead)s * d.units_30d),
    count(*) FILTER (WHERE s.fulfillable = 0 AND d.units_30d > 0),
    count(e.sku),
    coalesce(sum(e.excess_quantity), 0),
    -- Amazon's alerts from the restock and the inventory planning reports, a SKU counted once per
    -- alert and marketplace even when both reports raise it; in the same round trip.
    (SELECT coalesce(json_agg(json_build_array(alert, skus)), '[]') FROM (
        SELECT alert, count(*) AS skus FROM (
            SELECT alert, connection_id, marketplace_id, sku FROM inventory_restockadvice
            WHERE team_id = %(team)s AND alert <> '' {where}
            UNION
            SELECT alert, connection_id, marketplace_id, sku FROM inventory_inventoryhealth
            WHERE team_id = %(team)s AND alert <> '' {where}
        ) flagged GROUP BY alert
    ) counted)
FROM inventory_stocklevel s
LEFT JOIN sold d ON d.connection_id = s.connection_id AND d.marketplace_id = s.marketplace_id AND d.sku = s.sku
LEFT JOIN excess e ON e.connection_id = s.connection_id AND e.marketplace_id = s.marketplace_id AND e.sku = s.sku
WHERE s.team_id = %(team)s {where_s}
"""


def stock_health_live(
    team_id: int,
    marketplace: str = "",
    *,
    connection_id: int | None = None,
    lead_time_days: int = DEFAULT_LEAD_TIME_DAYS,
) -> StockHealth:
    """A team's stock at a glance, from the SKU rows (one marketplace and connection, or all)."""
    params: dict[str, Any] = {
        "team": team_id,
        "marketplace": marketplace,
        "connection": connection_id,
        "lead": lead_time_days,
    }
    where = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    if connection_id is not None:
        where += " AND connection_id = %(connection)s"
    query = _STOCK_HEALTH.format(
        sku_summary=sku_summary(),
        where=where,
        where_s=where.replace("marketplace_id", "s.marketplace_id").replace(
            "connection_id", "s.connection_id"
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    assert row is not None
    (
        skus,
        available,
        inbound,
        reserved,
        unfulfillable,
        at_risk,
        out_of_stock,
        excess_skus,
        excess_units,
        alerts,
    ) = row
    return StockHealth(
        skus,
        available,
        inbound,
        reserved,
        unfulfillable,
        at_risk,
        out_of_stock,
        excess_skus,
        excess_units,
        alerts=_alerts({str(alert): int(n) for alert, n in alerts}),
    )


def stock_health_refresh(*, connection_id: int, marketplace_ids: list[str]) -> None:
    """Rebuild the connection's rows for these marketplaces (in the current team's scope)."""
    team_id = require_team_scope()
    now = timezone.now()
    for marketplace_id in marketplace_ids:
        health = stock_health_live(team_id, marketplace_id, connection_id=connection_id)
        StockHealthSummary.objects.update_or_create(
            team_id=team_id,
            connection_id=connection_id,
            marketplace_id=marketplace_id,
            defaults={
                "skus": health.skus,
                "available": health.available,
                "inbound": health.inbound,
                "reserved": health.reserved,
                "unfulfillable": health.unfulfillable,
                "at_risk": health.at_risk,
                "out_of_stock": health.out_of_stock,
                "excess_skus": health.excess_skus,
                "excess_units": health.excess_units,
                "alerts": dict(health.alerts),
                "refreshed_at": now,
            },
        )


def stock_health(team_id: int, marketplace: str = "") -> StockHealth | None:
    """A team's stock at a glance from the read model, at the default lead time; None until a
    sync has built it (the caller then counts the SKU rows, which a team without stock has few
    of, and stock from before the read model had until its next sync)."""
    rows = StockHealthSummary.objects.filter(team_id=team_id)
    if marketplace:
        rows = rows.filter(marketplace_id=marketplace)
    found = list(rows)
    if not found:
        return None
    alerts: Counter[str] = Counter()
    for row in found:
        alerts.update({str(alert): int(n) for alert, n in row.alerts.items()})
    return StockHealth(
        skus=sum(r.skus for r in found),
        available=sum(r.available for r in found),
        inbound=sum(r.inbound for r in found),
        reserved=sum(r.reserved for r in found),
        unfulfillable=sum(r.unfulfillable for r in found),
        at_risk=sum(r.at_risk for r in found),
        out_of_stock=sum(r.out_of_stock for r in found),
        excess_skus=sum(r.excess_skus for r in found),
        excess_units=sum(r.excess_units for r in found),
        alerts=_alerts(dict(alerts)),
    )
