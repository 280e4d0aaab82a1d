"""Per SKU and marketplace over any period, by order date: the units and sales of the SKU days and
their cost of goods by the cost rule (``ams.procurement.cost_rule``: each unit at the cost valid
on its day, converted at that day's rate when the cost is in another currency), each also in the
team's home currency at the ECB's rate of the day sold (``ams.core.exchange_rates``).

One statement, aggregated in PostgreSQL: the SKU days of the period (read through the SQL orders
hands out, ``ams.orders.relations``) priced day by day and summed per SKU. The profit page
(``ams.dashboard.profit``) adds Amazon's fees and refunds from finance.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection

from ams.core.exchange_rates import rate_joins
from ams.orders.relations import sku_days
from ams.procurement.cost_rule import cost_on_day, dated_costs
from ams.teams.models import Team


class SkuSales(NamedTuple):
    marketplace_id: str
    sku: str
    currency: str
    orders: int
    units: int
    sales: Decimal
    # Over the units with a cost valid on their day; None when none has one.
    cost: Decimal | None
    units_missing_cost: int
    # In the home currency; None where a day sold has no rate (``days_without_rate``).
    sales_home: Decimal | None
    cost_home: Decimal | None
    days_without_rate: int


_RULE = cost_on_day(lines="s", day="s.day", costs="costs", sale_currency="s.currency")
_TO_HOME = (
    "CASE WHEN s.currency = %(home)s THEN 1::numeric ELSE home_rate.per_eur / sale_rate.per_eur END"
)
_SKU_SALES = f"""
WITH costs AS ({dated_costs()}),
sold AS (
    SELECT connection_id, marketplace_id, sku, currency, day, orders, units, sales
    FROM ({sku_days()}) d
    WHERE day BETWEEN %(first)s AND %(last)s AND units > 0 {{marketplace}}
), batch AS ({{batch_costs}}
), priced AS (
    SELECT s.marketplace_id, s.sku, s.currency, s.orders, s.units, s.sales,
        -- The units no batch covered, priced by the rule; the batches' own cost in the home currency.
        greatest(s.units - coalesce(b.units, 0), 0) AS rule_units, b.cost AS batch_home,
        coalesce(b.units, 0) AS batch_units,
        {_RULE.column("unit_cost")} AS unit_cost, {_RULE.column("currency")} AS cost_currency,
        {_TO_HOME} AS to_home
    FROM sold s {_RULE.joins}
    LEFT JOIN batch b ON b.connection_id = s.connection_id AND b.marketplace_id = s.marketplace_id
        AND b.sku = s.sku AND b.currency = s.currency AND b.day = s.day AND b.cost_currency = %(home)s
    {rate_joins(alias="sale_rate", currency="s.currency", day="s.day")}
    {rate_joins(alias="home_rate", currency="%(home)s", day="s.day")}
)
SELECT marketplace_id, sku, currency, sum(orders), sum(units), sum(sales),
    CASE WHEN count(*) FILTER (WHERE (rule_units > 0 AND cost_currency = currency)
            OR (batch_home IS NOT NULL AND to_home IS NOT NULL)) > 0
        THEN coalesce(sum(rule_units * unit_cost) FILTER (WHERE rule_units > 0 AND cost_currency = currency), 0)
            + coalesce(sum(batch_home / to_home) FILTER (WHERE to_home IS NOT NULL), 0)
    END,
    coalesce(sum(rule_units) FILTER (WHERE rule_units > 0 AND cost_currency IS DISTINCT FROM currency), 0)
        + coalesce(sum(batch_units) FILTER (WHERE batch_home IS NOT NULL AND to_home IS NULL), 0),
    sum(sales * to_home),
    CASE WHEN count(*) FILTER (WHERE (rule_units > 0 AND cost_currency = currency)
            OR batch_home IS NOT NULL) > 0
        THEN coalesce(sum(rule_units * unit_cost * to_home) FILTER (WHERE rule_units > 0 AND cost_currency = currency), 0)
            + coalesce(sum(batch_home), 0)
    END,
    count(*) FILTER (WHERE to_home IS NULL)
FROM priced
GROUP BY marketplace_id, sku, currency
"""  # noqa: S608 (fixed text)

# With no batch costs, every unit is priced by the rule.
NO_BATCHES = (
    "SELECT NULL::bigint AS connection_id, NULL::text AS marketplace_id, NULL::text AS sku, "
    "NULL::text AS currency, NULL::date AS day, NULL::text AS cost_currency, "
    "NULL::int AS units, NULL::numeric AS cost WHERE false"
)


def sku_sales(
    team: Team,
    *,
    first: date,
    last: date,
    home: str,
    marketplace: str = "",
    batch_costs: str = NO_BATCHES,
) -> list[SkuSales]:
    """Each SKU, marketplace and currency sold from ``first`` to ``last`` (marketplace-local days):
    orders, units, sales and cost of goods, in the sale's currency and in ``home``.

    ``batch_costs``: the cost of the units that came from purchase batches, as a SELECT of
    (connection_id, marketplace_id, sku, currency, day, cost_currency, units, cost) over the
    period's days (``ams.costing.relations.batch_cost_days``, handed in by the page above both
    apps); those units cost what the batches say (in ``home``, converted back into the sale's
    currency at the day's rate) and only the others are priced by the rule."""
    where = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    params: dict[str, Any] = {
        "team": team.id,
        "first": first,
        "last": last,
        "home": home,
        "marketplace": marketplace,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SKU_SALES.format(marketplace=where, batch_costs=batch_costs), params)
        rows = [SkuSales(*row) for row in cursor.fetchall()]
    # A home figure with a day without a rate is incomplete, not the sum of the days that had one.
    return [
        r if not r.days_without_rate else r._replace(sales_home=None, cost_home=None) for r in rows
    ]
