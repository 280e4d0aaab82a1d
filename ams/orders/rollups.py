"""The orders read models, refreshed incrementally after each ingest.

Pages read these small tables, never the raw lines (docs/architecture.md, "Read models"): per marketplace
and local day (``OrderDay``), per marketplace, SKU and local day (``SkuDay``, for any period's
top SKUs and cost of goods) and per marketplace and SKU over the standard windows
(``SkuSummary``). ``OrderDay`` is brought up to date for the days a batch touched, in the
batch's transaction, so it never disagrees with the lines it summarises: a batch of new orders
is added to its days, any other batch has its days rebuilt. ``SkuDay``, nearly a row per
line on a long-tail catalogue, is rebuilt once per sync run for the days its batches noted
(``SkuDayBacklog``, noted in each batch's transaction), with ``SkuSummary``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from psycopg import sql

from ams.core.marketplaces import zone, zone_name
from ams.core.tenancy import require_team_scope

# The lines of one connection and marketplace purchased in [start, end), written as one range
# over the (team, connection, marketplace, purchased_at) index: the same rows as the equalities
# and the range, but the planner sees that this index alone holds them. With the equalities, a
# team the statistics do not know yet (a new seller, mid-backfill) is estimated at one row, and
# the planner as often scanned all the team's lines through the natural key, once per batch.
_LINES_PURCHASED_IN = """
(team_id, connection_id, marketplace_id, purchased_at) >= (%(team)s, %(connection)s, %(marketplace)s, %(start)s)
AND (team_id, connection_id, marketplace_id, purchased_at) < (%(team)s, %(connection)s, %(marketplace)s, %(end)s)
"""

_DAYS_DELETE = """
DELETE FROM orders_orderday
WHERE team_id = %(team)s AND connection_id = %(connection)s AND marketplace_id = %(marketplace)s
  AND day BETWEEN %(first_day)s AND %(last_day)s
"""

# An OrderDay row's figures from order lines (the table's or staged ones), after team and
# connection, grouped by marketplace, local day and currency.
_DAY_FIGURES = """marketplace_id, (purchased_at AT TIME ZONE %(zone)s)::date, currency,
    count(DISTINCT amazon_order_id),
    count(DISTINCT amazon_order_id) FILTER (WHERE status = 'cancelled'),
    sum(quantity),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)), 0),
    coalesce(sum(item_price), 0),
    coalesce(sum(shipping_price), 0),
    coalesce(sum(tax), 0),
    coalesce(sum(promotion_discount), 0)
"""

_DAYS_INSERT = (
    """
INSERT INTO orders_orderday (team_id, connection_id, marketplace_id, day, currency, orders,
    cancelled_orders, units, sales, item_price, shipping_price, tax, promotion_discount)
SELECT team_id, connection_id, """
    + _DAY_FIGURES
    + """
FROM orders_orderline
WHERE """
    + _LINES_PURCHASED_IN
    + """
GROUP BY team_id, connection_id, marketplace_id, 4, currency
"""
)

# The staged lines of one marketplace added to its days (see order_days_refresh_from_stage).
_DAYS_ADD = (
    """
INSERT INTO orders_orderday AS d (team_id, connection_id, marketplace_id, day, currency, orders,
    cancelled_orders, units, sales, item_price, shipping_price, tax, promotion_discount)
SELECT %(team)s, %(connection)s, """
    + _DAY_FIGURES
    + """
FROM {stage}
WHERE marketplace_id = %(marketplace)s
GROUP BY marketplace_id, 4, currency
ON CONFLICT (team_id, connection_id, marketplace_id, day, currency) DO UPDATE
SET orders = d.orders + excluded.orders, cancelled_orders = d.cancelled_orders + excluded.cancelled_orders,
    units = d.units + excluded.units, sales = d.sales + excluded.sales, item_price = d.item_price + excluded.item_price,
    shipping_price = d.shipping_price + excluded.shipping_price, tax = d.tax + excluded.tax,
    promotion_discount = d.promotion_discount + excluded.promotion_discount
"""
)

_SKU_DAYS_DELETE = """
DELETE FROM orders_skuday
WHERE team_id = %(team)s AND connection_id = %(connection)s AND marketplace_id = %(marketplace)s
  AND day BETWEEN %(first_day)s AND %(last_day)s
"""

# Cancelled lines are left out, as in SkuSummary: they sold nothing and cost no goods. That is
# every line of a cancelled order, and an item cancelled on its own (which has no units or
# amounts, but would count its order for its SKU).
_SKU_DAYS_INSERT = (
    """
INSERT INTO orders_skuday (team_id, connection_id, marketplace_id, day, sku, currency, orders, units, sales)
SELECT team_id, connection_id, marketplace_id, (purchased_at AT TIME ZONE %(zone)s)::date, sku, currency,
    count(DISTINCT amazon_order_id),
    sum(quantity),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)), 0)
FROM orders_orderline
WHERE """
    + _LINES_PURCHASED_IN
    + """ AND status <> 'cancelled' AND item_status <> 'cancelled'
GROUP BY team_id, connection_id, marketplace_id, 4, sku, currency
"""
)


def _day_params(
    connection_id: int, marketplace_id: str, first_day: date, last_day: date
) -> dict[str, Any]:
    tz = zone(marketplace_id)
    return {
        "team": require_team_scope(),
        "connection": connection_id,
        "marketplace": marketplace_id,
        "first_day": first_day,
        "last_day": last_day,
        "start": datetime.combine(first_day, time.min, tzinfo=tz).astimezone(UTC),
        "end": datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC),
        "zone": zone_name(marketplace_id),
    }


def _local_days(marketplace_id: str, first: datetime, last: datetime) -> tuple[date, date]:
    tz = zone(marketplace_id)
    return first.astimezone(tz).date(), last.astimezone(tz).date()


def order_days_refresh(
    *, connection_id: int, marketplace_id: str, first: datetime, last: datetime
) -> None:
    """Rebuild the local days (``OrderDay`` and ``SkuDay``) that contain the instants ``first`` … ``last``."""
    first_day, last_day = _local_days(marketplace_id, first, last)
    params = _day_params(connection_id, marketplace_id, first_day, last_day)
    with connection.cursor() as cursor:
        cursor.execute(_DAYS_DELETE, params)
        cursor.execute(_DAYS_INSERT, params)
        cursor.execute(_SKU_DAYS_DELETE, params)
        cursor.execute(_SKU_DAYS_INSERT, params)


_BACKLOG_WIDEN = """
INSERT INTO orders_skudaybacklog (team_id, connection_id, marketplace_id, first_day, last_day)
VALUES (%(team)s, %(connection)s, %(marketplace)s, %(first_day)s, %(last_day)s)
ON CONFLICT (team_id, connection_id, marketplace_id) DO UPDATE
SET first_day = least(orders_skudaybacklog.first_day, excluded.first_day),
    last_day = greatest(orders_skudaybacklog.last_day, excluded.last_day)
"""


def order_days_refresh_from_stage(
    *, connection_id: int, staged: str, added_only: bool = False
) -> None:
    """After an ingest batch (its staging table, of the order lines' columns): bring its days of
    ``OrderDay`` up to date, and note them for ``SkuDay``, which :func:`sku_days_catch_up`
    rebuilds at the end of the sync run.

    ``added_only`` (ams.core.bulk.Merged): the batch's orders were all new, and each staged
    line became a new line. Its figures are then added to its days, read from the staging table
    alone: an order counted on a day is one none of the day's earlier lines belonged to (its
    lines are all in this batch). A backfill goes this way, block after block; any other batch
    has its days summed again from all their lines."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT marketplace_id, min(purchased_at), max(purchased_at) FROM {} GROUP BY marketplace_id"
            )
            .format(sql.Identifier(staged))
            .as_string(cursor.cursor.connection)
        )
        ranges = cursor.fetchall()
    for marketplace_id, first, last in ranges:
        if first is None:
            continue
        first_day, last_day = _local_days(marketplace_id, first, last)
        if added_only:
            _add_staged_days(connection_id, marketplace_id, staged)
        else:
            _rebuild_staged_days(connection_id, marketplace_id, staged, first_day, last_day)
        _note_sku_days(connection_id, marketplace_id, first_day, last_day)


def _add_staged_days(connection_id: int, marketplace_id: str, staged: str) -> None:
    params: dict[str, Any] = {
        "team": require_team_scope(),
        "connection": connection_id,
        "marketplace": marketplace_id,
        "zone": zone_name(marketplace_id),
    }
    with connection.cursor() as cursor:
        statement = sql.SQL(_DAYS_ADD).format(stage=sql.Identifier(staged))
        cursor.execute(statement.as_string(cursor.cursor.connection), params)


def _rebuild_staged_days(
    connection_id: int, marketplace_id: str, staged: str, first_day: date, last_day: date
) -> None:
    runs = [(first_day, last_day)]
    if (last_day - first_day).days > SPREAD_DAYS:
        runs = _day_runs(_staged_days(staged, marketplace_id))
    for run_first, run_last in runs:
        params = _day_params(connection_id, marketplace_id, run_first, run_last)
        with connection.cursor() as cursor:
            cursor.execute(_DAYS_DELETE, params)
            cursor.execute(_DAYS_INSERT, params)


def _note_sku_days(
    connection_id: int, marketplace_id: str, first_day: date, last_day: date
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _BACKLOG_WIDEN, _day_params(connection_id, marketplace_id, first_day, last_day)
        )


# A batch whose lines span more days than this rebuilds only the days it has lines on: a
# report by last update mixes recent orders with a few old ones, and the days between them
# would otherwise be summed again from all their lines, batch after batch.
SPREAD_DAYS = 3


def _staged_days(staged: str, marketplace_id: str) -> list[date]:
    """The local days of ``marketplace_id`` the staged rows were purchased on, in order."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT DISTINCT (purchased_at AT TIME ZONE %s)::date FROM {} WHERE marketplace_id = %s ORDER BY 1"
            )
            .format(sql.Identifier(staged))
            .as_string(cursor.cursor.connection),
            [zone_name(marketplace_id), marketplace_id],
        )
        return [row[0] for row in cursor.fetchall()]


def _day_runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days: [(first, last), …]."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def sku_days_catch_up(*, connection_id: int) -> list[tuple[str, date, date]]:
    """Rebuild the ``SkuDay`` days the ingest noted for ``connection_id`` and clear the note, in
    the caller's transaction (the note's row stays locked until it ends). Returns the days
    rebuilt: (marketplace, first day, last day) of each marketplace."""
    with connection.cursor() as cursor:
        # A backfill's catch-up groups every line of the run at once: sort them in memory.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            "DELETE FROM orders_skudaybacklog WHERE team_id = %s AND connection_id = %s "
            "RETURNING marketplace_id, first_day, last_day",
            [require_team_scope(), connection_id],
        )
        backlog = cursor.fetchall()
    for marketplace_id, first_day, last_day in backlog:
        params = _day_params(connection_id, marketplace_id, first_day, last_day)
        with connection.cursor() as cursor:
            cursor.execute(_SKU_DAYS_DELETE, params)
            cursor.execute(_SKU_DAYS_INSERT, params)
    return [(m, first, last) for m, first, last in backlog]


_SUMMARY_DELETE = "DELETE FROM orders_skusummary WHERE team_id = %(team)s AND connection_id = %(connection)s AND marketplace_id = %(marketplace)s"

_SUMMARY_INSERT = (
    """
INSERT INTO orders_skusummary (team_id, connection_id, marketplace_id, sku, currency, as_of,
    units_7d, units_30d, units_90d, units_mtd, sales_7d, sales_30d, sales_90d, sales_mtd,
    units_prev_7d, units_prev_30d, units_prev_90d, units_prev_mtd,
    sales_prev_7d, sales_prev_30d, sales_prev_90d, sales_prev_mtd)
SELECT team_id, connection_id, marketplace_id, sku, currency, %(today)s,
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(d7)s), 0),
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(d30)s), 0),
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(d90)s), 0),
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(mtd)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(d7)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(d30)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(d90)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(mtd)s), 0),
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(p7)s AND purchased_at < %(d7)s), 0),
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(p30)s AND purchased_at < %(d30)s), 0),
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(p90)s AND purchased_at < %(d90)s), 0),
    coalesce(sum(quantity) FILTER (WHERE purchased_at >= %(pmtd)s AND purchased_at < %(mtd)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(p7)s AND purchased_at < %(d7)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(p30)s AND purchased_at < %(d30)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(p90)s AND purchased_at < %(d90)s), 0),
    coalesce(sum(item_price - coalesce(promotion_discount, 0)) FILTER (WHERE purchased_at >= %(pmtd)s AND purchased_at < %(mtd)s), 0)
FROM orders_orderline
WHERE """
    + _LINES_PURCHASED_IN
    + """ AND status <> 'cancelled' AND item_status <> 'cancelled'
GROUP BY team_id, connection_id, marketplace_id, sku, currency
"""
)


def sku_summaries_refresh(*, connection_id: int, marketplace_id: str, now: datetime) -> None:
    """Rebuild one marketplace's SKU windows: the last 7/30/90 local days including today, and
    the month to date, each with the window of the same length just before it. Cancelled lines
    (a cancelled order's, an item cancelled on its own) are left out; pending ones count as units. The rows' cost of goods is priced by the caller
    in the same transaction (``ams.sync.syncers.orders.sku_summary_refresh``)."""
    team_id = require_team_scope()
    tz = zone(marketplace_id)
    today: date = now.astimezone(tz).date()

    def day_start(d: date) -> datetime:
        return datetime.combine(d, time.min, tzinfo=tz).astimezone(UTC)

    month_start = today.replace(day=1)
    params: dict[str, Any] = {
        "team": team_id,
        "connection": connection_id,
        "marketplace": marketplace_id,
        "today": today,
        "d7": day_start(today - timedelta(days=6)),
        "d30": day_start(today - timedelta(days=29)),
        "d90": day_start(today - timedelta(days=89)),
        "mtd": day_start(month_start),
        "p7": day_start(today - timedelta(days=13)),
        "p30": day_start(today - timedelta(days=59)),
        "p90": day_start(today - timedelta(days=179)),
        "pmtd": day_start(month_start - timedelta(days=today.day)),
    }
    # Every line from the earliest window on (p90: the 90 days before the last 90).
    params.update(start=params["p90"], end=datetime.max.replace(tzinfo=UTC))
    with connection.cursor() as cursor:
        cursor.execute(_SUMMARY_DELETE, params)
        cursor.execute(_SUMMARY_INSERT, params)
