"""The cost of goods of each SKU summary row over the standard windows (``SkuWindowCost``).

Pricing sold units at the cost valid on their day means finding, for 10,000 SKUs, the record in
force among every dated cost record: measured at 1M order items that was most of the overview's
time. It is done here instead, when it can change: with the SKU summary, in the orders sync's
transaction (``ams.sync.syncers.orders.sku_summary_refresh``: orders knows nothing of costs), and
when costs are saved or deleted (``ams.procurement.services``). The overview reads these rows
only when they were priced for the summary it shows, else it prices live
(``ams.procurement.period_costs``). The SKU days and summary are read through the SQL orders
hands out (``ams.orders.relations``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db import connection

from ams.core.tenancy import require_team_scope
from ams.orders.relations import sku_days, sku_summary
from ams.procurement.cost_rule import cost_on_day, dated_costs

WINDOWS = ("7d", "30d", "90d", "mtd")


def window_bounds(window: str, as_of: date) -> tuple[date, date]:
    """(first day, first day of the window before it) of a window ending on ``as_of``, as the
    overview's periods (``ams.dashboard.overview.preset_period`` and ``Period.previous``)."""
    if window == "mtd":
        first = as_of.replace(day=1)
        return first, first - timedelta(days=as_of.day)
    days = int(window.removesuffix("d"))
    first = as_of - timedelta(days=days - 1)
    return first, first - timedelta(days=days)


# Priced by the rule of ams.procurement.cost_rule. Per window, SKUs whose cost held through it and
# the window before are priced from the summary at the cost of the earlier window's first day, the
# others day by day from SkuDay. One list of the dated records (``costs``) serves every window.
_WINDOW = """
changed_{w} AS (
    -- A cost in another currency than a sale's is converted at each day's rate, so it is priced
    -- day by day too, like a cost that changed within the windows.
    SELECT DISTINCT sku FROM procurement_productcost c
    WHERE team_id = %(team)s {skus} AND (
        (effective_from > %(previous_first_{w})s AND effective_from <= %(last)s)
        OR EXISTS (SELECT FROM summary s2 WHERE s2.sku = c.sku AND s2.currency <> c.currency))
), windows_{w} AS (
    SELECT w.connection_id, w.marketplace_id, w.sku, w.currency, w.units_{w} AS units_now, w.units_prev_{w} AS units_before,
        {held_cost} AS unit_cost, {held_currency} AS cost_currency
    FROM summary w {held_joins}
    -- An anti join, not NOT IN: right after a bulk load, before ANALYZE, the planner may not hash
    -- a NOT IN subquery and rescan it per summary row (measured: minutes at 10,000 SKUs).
    WHERE NOT EXISTS (SELECT FROM changed_{w} c WHERE c.sku = w.sku)
), sold_{w} AS (
    SELECT connection_id, marketplace_id, sku, currency, day, units, day >= %(first_{w})s AS now
    FROM ({sku_days}) d
    WHERE connection_id = %(connection)s AND marketplace_id = %(marketplace)s
      AND sku IN (SELECT sku FROM changed_{w}) AND day BETWEEN %(previous_first_{w})s AND %(last)s AND units > 0
), priced_{w} AS (
    SELECT connection_id, marketplace_id, sku, currency, units_now AS units, true AS now, unit_cost, cost_currency
    FROM windows_{w} WHERE units_now > 0
    UNION ALL
    SELECT connection_id, marketplace_id, sku, currency, units_before, false, unit_cost, cost_currency
    FROM windows_{w} WHERE units_before > 0
    UNION ALL
    SELECT s.connection_id, s.marketplace_id, s.sku, s.currency, s.units, s.now, {day_cost}, {day_currency}
    FROM sold_{w} s {day_joins}
), per_sku_{w} AS (
    SELECT connection_id, marketplace_id, sku, currency,
        sum(units * unit_cost) FILTER (WHERE now AND cost_currency = currency) AS cost,
        sum(units * unit_cost) FILTER (WHERE NOT now AND cost_currency = currency) AS cost_before,
        sum(units) FILTER (WHERE now AND cost_currency IS DISTINCT FROM currency) AS missing,
        sum(units) FILTER (WHERE NOT now AND cost_currency IS DISTINCT FROM currency) AS missing_before
    FROM priced_{w}
    GROUP BY connection_id, marketplace_id, sku, currency
)"""


def _window(w: str, skus: str) -> str:
    """The window's pricing, by the cost rule: a summary row at the cost valid on the first day
    of the window before, a SKU day on its day."""
    held = cost_on_day(lines="w", day=f"%(previous_first_{w})s::date", costs="costs")
    day_by_day = cost_on_day(lines="s", day="s.day", costs="costs", sale_currency="s.currency")
    return _WINDOW.format(
        w=w,
        skus=skus,
        sku_days=sku_days(),
        held_cost=held.column("unit_cost"),
        held_currency=held.column("currency"),
        held_joins=held.joins,
        day_cost=day_by_day.column("unit_cost"),
        day_currency=day_by_day.column("currency"),
        day_joins=day_by_day.joins,
    ).strip()


_PRICE = """
WITH summary AS (
    SELECT connection_id, marketplace_id, sku, currency, {units}
    FROM ({sku_summary}) s
    WHERE connection_id = %(connection)s AND marketplace_id = %(marketplace)s {skus}
), costs AS ({costs}), {windows}
INSERT INTO procurement_skuwindowcost (team_id, connection_id, marketplace_id, sku, currency, as_of, {columns})
SELECT %(team)s, s.connection_id, s.marketplace_id, s.sku, s.currency, %(last)s, {values}
FROM summary s
{joins}
"""


def _price(skus: str) -> str:
    """One statement: the summary rows of a connection and marketplace, priced over every window."""
    return _PRICE.format(
        units=", ".join(f"units_{w}, units_prev_{w}" for w in WINDOWS),
        skus=skus,
        sku_summary=sku_summary(),
        costs=dated_costs(skus=skus.removeprefix("AND ")),
        windows=", ".join(_window(w, skus) for w in WINDOWS),
        columns=", ".join(
            f"units_{w}, units_prev_{w}, cost_{w}, cost_prev_{w}, missing_{w}, missing_prev_{w}"
            for w in WINDOWS
        ),
        values=", ".join(
            f"s.units_{w}, s.units_prev_{w}, coalesce(p_{w}.cost, 0), coalesce(p_{w}.cost_before, 0), "
            f"coalesce(p_{w}.missing, 0), coalesce(p_{w}.missing_before, 0)"
            for w in WINDOWS
        ),
        joins="\n".join(
            f"LEFT JOIN per_sku_{w} p_{w} ON p_{w}.connection_id = s.connection_id AND p_{w}.marketplace_id = s.marketplace_id"
            f" AND p_{w}.sku = s.sku AND p_{w}.currency = s.currency"
            for w in WINDOWS
        ),
    )


def sku_window_costs_refresh(
    *,
    connection_id: int | None = None,
    marketplace_id: str | None = None,
    skus: Sequence[str] | None = None,
) -> None:
    """Reprice the team's SKU summary rows (of one connection and marketplace, or of some SKUs)
    over every standard window, at the costs saved now."""
    team_id = require_team_scope()
    where = ["team_id = %(team)s"]
    params: dict[str, Any] = {
        "team": team_id,
        "connection": connection_id,
        "marketplace": marketplace_id,
        "skus": list(skus or []),
    }
    if connection_id is not None:
        where.append("connection_id = %(connection)s")
    if marketplace_id is not None:
        where.append("marketplace_id = %(marketplace)s")
    if skus is not None:
        where.append("sku = ANY(%(skus)s)")
    condition = " AND ".join(where)
    sku_filter = "AND sku = ANY(%(skus)s)" if skus is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM procurement_skuwindowcost WHERE {condition}", params)  # noqa: S608 (fixed text)
        # Rows of one connection and marketplace share the day their windows end on.
        cursor.execute(
            f"SELECT DISTINCT connection_id, marketplace_id, as_of FROM ({sku_summary()}) s WHERE {condition}",  # noqa: S608
            params,
        )
        groups = cursor.fetchall()
        # Right after a bulk load the summary has no statistics yet and the planner, expecting a few
        # rows, nests loops over 10,000 SKUs x 36,000 cost records (measured: minutes). Hash joins
        # are right at any size here; the setting is put back before the ingest goes on.
        cursor.execute("SET LOCAL enable_nestloop = off")
        for group_connection, group_marketplace, as_of in groups:
            bounds: dict[str, Any] = {}
            for window in WINDOWS:
                bounds[f"first_{window}"], bounds[f"previous_first_{window}"] = window_bounds(
                    window, as_of
                )
            cursor.execute(
                _price(sku_filter),
                {
                    **params,
                    **bounds,
                    "connection": group_connection,
                    "marketplace": group_marketplace,
                    "last": as_of,
                },
            )
        cursor.execute("RESET enable_nestloop")
