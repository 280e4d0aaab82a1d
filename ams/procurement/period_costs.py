"""The cost of goods sold over any period and the one before it, priced live from the SKU days
and the SKU summary, each unit at the cost valid on its day (the rule of
``ams.procurement.cost_rule``). The overview reads the standard windows priced ahead
(``ams.procurement.window_costs``) when they are current, and this otherwise. The orders' tables
are read through the SQL orders hands out (``ams.orders.relations``); docs/architecture.md,
"Read models".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection

from ams.orders.relations import sku_days, sku_summary
from ams.procurement.cost_rule import cost_on_day, dated_costs
from ams.teams.models import Team


def _marketplace_condition(marketplace: str, alias: str = "") -> str:
    return f"AND {alias}marketplace_id = %(marketplace)s" if marketplace else ""


class CostOfGoods(NamedTuple):
    """One currency's cost of goods on one side of a comparison (``now``: the period, else the one
    before), and the SKUs and units sold without a cost valid on their day (or with one in another
    currency), which the cost leaves out rather than price as free."""

    currency: str
    now: bool
    cost: Decimal | None
    skus_missing: int
    units_missing: int


# The rows of ``sold`` (a SKU's units on a day) with the unit cost valid that day, by the rule of
# ams.procurement.cost_rule applied to the SKU days as range joins: one pass over the SKU days
# instead of an index probe per (SKU, day).
_PRICED_DAY_BY_DAY = """
    SELECT s.currency, s.sku, s.units, s.now, {day_cost} AS unit_cost, {day_currency} AS cost_currency
    FROM sold s {day_joins}
"""

# Per currency and period (``now``): the cost of goods, and the units and SKUs without a cost.
_COST_TOTALS = """
), totals AS (
    SELECT currency, now,
        sum(units * unit_cost) FILTER (WHERE cost_currency = currency) AS cost,
        coalesce(sum(units) FILTER (WHERE cost_currency IS DISTINCT FROM currency), 0) AS units_missing
    FROM priced
    GROUP BY currency, now
), missing AS (
    -- Apart from the totals: a DISTINCT count sorts its rows, here only those without a cost.
    SELECT currency, now, count(DISTINCT sku) AS skus
    FROM priced WHERE cost_currency IS DISTINCT FROM currency
    GROUP BY currency, now
)
SELECT t.currency, t.now, t.cost, coalesce(m.skus, 0), t.units_missing
FROM totals t LEFT JOIN missing m ON m.currency = t.currency AND m.now = t.now
"""

# A period's cost of goods and the one before it, every SKU priced day by day.
_SOLD_IN_BOTH_PERIODS = """
WITH sold AS (
    SELECT connection_id, marketplace_id, sku, currency, day, units, day >= %(first)s AS now
    FROM ({sku_days}) d
    WHERE day BETWEEN %(previous_first)s AND %(last)s AND units > 0 {marketplace}
), costs AS ({costs}
), priced AS ("""
_COST_OF_GOODS = _SOLD_IN_BOTH_PERIODS + _PRICED_DAY_BY_DAY + _COST_TOTALS

# With the cost of the units bought in batches (``batch_costs``, in the home currency): those
# units cost what their batches say, converted into the sale's currency at the day's rate (without
# a rate they count as missing), and only the others are priced by the rule.
_PRICED_WITH_BATCHES = """
    SELECT s.currency, s.sku, s.now, greatest(s.units - coalesce(b.units, 0), 0) AS units,
        {day_cost} AS unit_cost, {day_currency} AS cost_currency, coalesce(b.units, 0) AS batch_units,
        CASE WHEN b.cost_currency = s.currency THEN b.cost
            ELSE b.cost * batch_sale_rate.per_eur / batch_home_rate.per_eur END AS batch_cost
    FROM sold s {day_joins}
    LEFT JOIN ({batch_costs}) b ON b.connection_id = s.connection_id
        AND b.marketplace_id = s.marketplace_id AND b.sku = s.sku AND b.currency = s.currency
        AND b.day = s.day
    LEFT JOIN core_exchangerate batch_sale_rate ON batch_sale_rate.currency = s.currency
        AND batch_sale_rate.day = s.day
    LEFT JOIN core_exchangerate batch_home_rate ON batch_home_rate.currency = b.cost_currency
        AND batch_home_rate.day = s.day
), totals AS (
    SELECT currency, now,
        CASE WHEN count(*) FILTER (
                WHERE (units > 0 AND cost_currency = currency) OR batch_cost IS NOT NULL) > 0
            THEN coalesce(sum(units * unit_cost) FILTER (WHERE units > 0 AND cost_currency = currency), 0)
                + coalesce(sum(batch_cost), 0)
        END AS cost,
        coalesce(sum(units) FILTER (WHERE units > 0 AND cost_currency IS DISTINCT FROM currency), 0)
            + coalesce(sum(batch_units) FILTER (WHERE batch_units > 0 AND batch_cost IS NULL), 0)
            AS units_missing
    FROM priced
    GROUP BY currency, now
), missing AS (
    SELECT currency, now, count(DISTINCT sku) AS skus
    FROM priced
    WHERE (units > 0 AND cost_currency IS DISTINCT FROM currency)
        OR (batch_units > 0 AND batch_cost IS NULL)
    GROUP BY currency, now
)
SELECT t.currency, t.now, t.cost, coalesce(m.skus, 0), t.units_missing
FROM totals t LEFT JOIN missing m ON m.currency = t.currency AND m.now = t.now
"""
_BATCH_COST_OF_GOODS = _SOLD_IN_BOTH_PERIODS + _PRICED_WITH_BATCHES


# The standard windows read the SKU summary (one row per SKU) for every SKU whose cost held through
# both periods, priced at the cost valid on their first day; only the SKUs whose cost changed in
# between are priced day by day from the SKU days, as above. Measured at 10,000 SKUs and 1M order
# items: the (SKU, day) rollup of 60 days is ~56,000 rows and pricing it alone took ~0.5 s.
_WINDOWS_AND_CHANGED_SKUS = """
WITH changed AS (
    -- A cost in another currency than a sale's is converted at each day's rate: day by day too.
    SELECT DISTINCT sku FROM procurement_productcost c
    WHERE team_id = %(team)s AND (
        (effective_from > %(previous_first)s AND effective_from <= %(last)s)
        OR EXISTS (SELECT FROM ({sku_summary}) s2 WHERE s2.sku = c.sku AND s2.currency <> c.currency))
), costs AS ({costs}
), windows AS (
    SELECT w.currency, w.sku, w.units_{window} AS units_now, w.units_prev_{window} AS units_before,
        {held_cost} AS unit_cost, {held_currency} AS cost_currency
    FROM ({sku_summary}) w {held_joins}
    WHERE w.sku NOT IN (SELECT sku FROM changed) {marketplace_w}
), sold AS (
    SELECT marketplace_id, sku, currency, day, units, day >= %(first)s AS now
    FROM ({sku_days}) d
    WHERE sku IN (SELECT sku FROM changed)
      AND day BETWEEN %(previous_first)s AND %(last)s AND units > 0 {marketplace}
), priced AS (
    SELECT currency, sku, units_now AS units, true AS now, unit_cost, cost_currency FROM windows WHERE units_now > 0
    UNION ALL
    SELECT currency, sku, units_before, false, unit_cost, cost_currency FROM windows WHERE units_before > 0
    UNION ALL"""
_WINDOW_COST_OF_GOODS = _WINDOWS_AND_CHANGED_SKUS + _PRICED_DAY_BY_DAY + _COST_TOTALS

# The cost rule's SQL (ams.procurement.cost_rule) in the queries above: a SKU day priced on its
# day, a summary row at the cost valid on the first day of the previous period.
_DAY_BY_DAY = cost_on_day(lines="s", day="s.day", costs="costs", sale_currency="s.currency")
_HELD = cost_on_day(lines="w", day="%(previous_first)s::date", costs="costs")
_COST_RULE = {
    "costs": dated_costs(),
    "sku_days": sku_days(),
    "sku_summary": sku_summary(),
    "day_cost": _DAY_BY_DAY.column("unit_cost"),
    "day_currency": _DAY_BY_DAY.column("currency"),
    "day_joins": _DAY_BY_DAY.joins,
    "held_cost": _HELD.column("unit_cost"),
    "held_currency": _HELD.column("currency"),
    "held_joins": _HELD.joins,
}


def cost_of_goods(
    team: Team,
    *,
    first: date,
    last: date,
    previous_first: date,
    marketplace: str = "",
    window: str | None = None,
    batch_costs: str | None = None,
) -> list[CostOfGoods]:
    """The cost of goods sold from ``first`` to ``last`` and from ``previous_first`` to the day
    before ``first``, per currency, each unit at the cost valid on its day; a standard ``window``
    (one of ``WINDOWS``, the period ending on the summary's day) reads the SKU summary for the
    SKUs whose cost held through both periods. ``batch_costs``: the cost of the units bought in
    batches (``ams.costing.relations.batch_cost_days`` over ``%(previous_first)s`` …
    ``%(last)s``, handed in by the page above both apps), priced day by day."""
    params: dict[str, Any] = {
        "team": team.id,
        "first": first,
        "last": last,
        "previous_first": previous_first,
        "marketplace": marketplace,
    }
    where = _marketplace_condition(marketplace)
    if batch_costs is not None:
        query = _BATCH_COST_OF_GOODS.format(
            marketplace=where, batch_costs=batch_costs, **_COST_RULE
        )
    elif window is None:
        query = _COST_OF_GOODS.format(marketplace=where, **_COST_RULE)
    else:
        query = _WINDOW_COST_OF_GOODS.format(
            window=window,
            marketplace=where,
            marketplace_w=_marketplace_condition(marketplace, "w."),
            **_COST_RULE,
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [CostOfGoods(*row) for row in cursor.fetchall()]
