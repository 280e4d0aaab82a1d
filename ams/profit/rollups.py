"""Keeping the profit read model (``SkuProfitDay``, ``SkuProfitMonth``) equal to its sources.

Every refresh is a difference: the figures the chosen rows should have, less those they hold,
added to the day rows and to their months in one statement, so both grains move together and
only what changed is written. Then the rows left with nothing are deleted.

- ``sales_refresh``: the sales side (orders, units, sales, cost of goods) of the SKU days chosen,
  from ``orders.SkuDay`` priced by ``ams.profit.goods``. The sync calls it for the days an orders
  run rebuilt in ``SkuDay`` (``ams.sync.syncers.orders``), in the same transaction; a saved or
  deleted cost calls it for that SKU's days (``ams.profit.receivers``).
- ``MoneyRefresh``: the fees and refunds of one batch of transactions, taken out before the batch
  is merged (the charges its transactions had) and added back after it (the charges they have
  now), in the batch's transaction (``ams.sync.syncers.finances``). Only the batch's transactions
  are read, whatever their dates.
- ``reprice_since``: the figures from a month on, converted again once the ECB's rates of days
  that had none have arrived (``ams.profit.receivers``, after each load of the rates).
- ``team_rebuild``: everything of the team in scope, from all its SKU days and charges (the
  ``profit_rollup`` command that fills it for data held before it existed, and a change of home
  currency).

Home-currency figures are converted at the ECB's rate of each figure's own day into the team's
home currency at the time of the refresh (``ams.orders.selectors.home_currency``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection
from psycopg import sql

from ams.core.exchange_rates import rate_joins
from ams.core.tenancy import require_team_scope
from ams.finance.relations import sku_fee_and_refund_charges
from ams.orders.relations import sku_days
from ams.orders.selectors import home_currency
from ams.profit import goods
from ams.profit.models import ProfitMonth, SkuProfitDay, SkuProfitMonth
from ams.teams.models import Team

DAYS = SkuProfitDay._meta.db_table
MONTHS = SkuProfitMonth._meta.db_table
TOTALS = ProfitMonth._meta.db_table
KEY = ("connection_id", "marketplace_id", "sku", "currency")
SALES = (
    "orders",
    "units",
    "sales",
    "sales_home",
    "sales_unrated",
    "cost",
    "cost_home",
    "units_missing_cost",
)
MONEY = (
    "fees",
    "refunds",
    "refund_count",
    "fees_home",
    "refunds_home",
    "charges",
    "money_unrated",
)


def _to_home(currency: str, day: str, *, sale_rate: str, home_rate: str) -> str:
    return (
        f"CASE WHEN {currency} = %(home)s THEN 1::numeric "
        f"ELSE {home_rate}.per_eur / {sale_rate}.per_eur END"
    )


def _apply(columns: Sequence[str]) -> str:
    """The tail of a WITH whose ``changed`` relation holds differences per key and day: added to
    the day rows, to their months and to the months of all SKUs; returns the days and months
    touched."""
    names = ", ".join(columns)
    added = ", ".join(f"{c} = r.{c} + excluded.{c}" for c in columns)
    sums = ", ".join(f"sum({c})" for c in columns)
    key = ", ".join(KEY)
    return f"""
, days AS (
    INSERT INTO {DAYS} AS r (team_id, {key}, day, {names})
    SELECT %(team)s, {key}, day, {names} FROM changed
    ON CONFLICT (team_id, connection_id, marketplace_id, sku, day, currency) DO UPDATE SET {added}
), months AS (
    INSERT INTO {MONTHS} AS r (team_id, {key}, month, {names})
    SELECT %(team)s, {key}, date_trunc('month', day)::date, {sums} FROM changed
    GROUP BY {key}, date_trunc('month', day)
    ON CONFLICT (team_id, connection_id, marketplace_id, sku, month, currency) DO UPDATE SET {added}
), totals AS (
    INSERT INTO {TOTALS} AS r (team_id, connection_id, marketplace_id, currency, month, {names})
    SELECT %(team)s, connection_id, marketplace_id, currency, date_trunc('month', day)::date, {sums}
    FROM changed
    GROUP BY connection_id, marketplace_id, currency, date_trunc('month', day)
    ON CONFLICT (team_id, connection_id, marketplace_id, month, currency) DO UPDATE SET {added}
)
SELECT array_agg(DISTINCT day), array_agg(DISTINCT date_trunc('month', day)::date) FROM changed
"""  # noqa: S608 (fixed text: the models' tables)


_SALES_TO_HOME = _to_home("s.currency", "s.day", sale_rate="sale_rate", home_rate="home_rate")
_COST_JOINS, _COST = goods.priced(lines="s", to_home=_SALES_TO_HOME)
_SALES_REFRESH = f"""
WITH sold AS (
    SELECT connection_id, marketplace_id, sku, currency, day, orders, units, sales
    FROM ({sku_days()}) d
    WHERE units > 0 AND {{selected}}
), {goods.costs_cte(sold="sold")},
fresh AS (
    SELECT s.connection_id, s.marketplace_id, s.sku, s.currency, s.day, s.orders, s.units, s.sales,
        coalesce(s.sales * {_SALES_TO_HOME}, 0) AS sales_home,
        ({_SALES_TO_HOME} IS NULL)::int AS sales_unrated,
        {_COST["cost"]} AS cost, {_COST["cost_home"]} AS cost_home,
        {_COST["units_missing_cost"]} AS units_missing_cost
    FROM sold s {_COST_JOINS}
    {rate_joins(alias="sale_rate", currency="s.currency", day="s.day")}
    {rate_joins(alias="home_rate", currency="%(home)s", day="s.day")}
), held AS (
    SELECT {", ".join(KEY)}, day, {", ".join(SALES)}
    FROM {DAYS}
    WHERE team_id = %(team)s AND {{selected}}
), delta AS (
    SELECT {", ".join(KEY)}, day,
        {", ".join(f"coalesce(f.{c}, 0) - coalesce(h.{c}, 0) AS {c}" for c in SALES)}
    FROM fresh f FULL JOIN held h USING ({", ".join(KEY)}, day)
), changed AS (
    SELECT * FROM delta WHERE {" OR ".join(f"{c} <> 0" for c in SALES)}
)""" + _apply(SALES)  # noqa: S608 (fixed text: the models' tables)

_MONEY_TO_HOME = _to_home("ch.currency", "ch.day", sale_rate="charge_rate", home_rate="home_rate")
_MONEY_REFRESH = f"""
WITH charged AS ({sku_fee_and_refund_charges(selected="{selected}")}
), rated AS (
    SELECT ch.*, {_MONEY_TO_HOME} AS to_home
    FROM charged ch
    {rate_joins(alias="charge_rate", currency="ch.currency", day="ch.day")}
    {rate_joins(alias="home_rate", currency="%(home)s", day="ch.day")}
), changed AS (
    SELECT {", ".join(KEY)}, day,
        {{sign}} * coalesce(-sum(amount) FILTER (WHERE is_fee), 0) AS fees,
        {{sign}} * coalesce(-sum(amount) FILTER (WHERE NOT is_fee), 0) AS refunds,
        {{sign}} * count(DISTINCT transaction_id) FILTER (WHERE is_refund) AS refund_count,
        {{sign}} * coalesce(-sum(amount * to_home) FILTER (WHERE is_fee), 0) AS fees_home,
        {{sign}} * coalesce(-sum(amount * to_home) FILTER (WHERE NOT is_fee), 0) AS refunds_home,
        {{sign}} * count(*) AS charges,
        {{sign}} * count(*) FILTER (WHERE to_home IS NULL) AS money_unrated
    FROM rated
    GROUP BY {", ".join(KEY)}, day
)""" + _apply(MONEY)  # noqa: S608 (fixed text: the models' tables)

# Rows that no longer count anything: no order, no unit, no charge.
_EMPTY = "orders = 0 AND units = 0 AND charges = 0"


def _params() -> dict[str, Any]:
    team_id = require_team_scope()
    return {"team": team_id, "home": home_currency(Team.objects.get(id=team_id))}


def _run(statement: str, params: dict[str, Any], raw_params: dict[str, Any]) -> None:
    """Run a refresh, then delete the day and month rows it touched that hold nothing now."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        days, months = cursor.fetchone()
        if not days:
            return
        cursor.execute(
            f"DELETE FROM {DAYS} WHERE team_id = %(team)s AND day = ANY(%(days)s) AND {_EMPTY}",  # noqa: S608 (fixed text)
            {**raw_params, "days": days},
        )
        for table in (MONTHS, TOTALS):
            cursor.execute(
                f"DELETE FROM {table} WHERE team_id = %(team)s AND month = ANY(%(months)s) AND {_EMPTY}",  # noqa: S608 (fixed text)
                {**raw_params, "months": months},
            )


def sales_refresh(
    *,
    connection_id: int | None = None,
    marketplace_id: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    skus: Sequence[str] | None = None,
) -> None:
    """Bring the sales side of the chosen SKU days (of a connection, a marketplace, a range of
    local days, some SKUs; all of the team's by default) up to date with ``SkuDay`` and the costs."""
    conditions = ["true"]
    params = _params()
    if connection_id is not None:
        conditions.append("connection_id = %(connection)s")
        params["connection"] = connection_id
    if marketplace_id is not None:
        conditions.append("marketplace_id = %(marketplace)s")
        params["marketplace"] = marketplace_id
    if first_day is not None:
        conditions.append("day >= %(first_day)s")
        params["first_day"] = first_day
    if last_day is not None:
        conditions.append("day <= %(last_day)s")
        params["last_day"] = last_day
    if skus is not None:
        conditions.append("sku = ANY(%(skus)s)")
        params["skus"] = list(skus)
    _run(_SALES_REFRESH.format(selected=" AND ".join(conditions)), params, params)


def _money(selected: str, sign: int, params: dict[str, Any]) -> None:
    _run(_MONEY_REFRESH.format(selected=selected, sign=sign), params, params)


class MoneyRefresh:
    """The two halves of one transactions batch's refresh: ``retract`` before the merge and
    ``add`` after it (``ams.sync.syncers.finances`` adds them to finance's writer)."""

    def __init__(self, *, connection_id: int) -> None:
        self.connection_id = connection_id

    def _selected(self, staged: str) -> str:
        with connection.cursor() as cursor:
            staged_sql = (
                sql.Identifier(staged).as_string(cursor.cursor.connection).replace("%", "%%")
            )
        ids = f"SELECT DISTINCT transaction_id FROM {staged_sql}"  # noqa: S608 (a quoted identifier)
        return f"t.connection_id = %(connection)s AND t.transaction_id IN ({ids})"

    def retract(self, staged: str) -> None:
        _money(self._selected(staged), -1, {**_params(), "connection": self.connection_id})

    def add(self, staged: str) -> None:
        _money(self._selected(staged), 1, {**_params(), "connection": self.connection_id})


def reprice_since(first_day: date) -> None:
    """Every figure of the team in scope from the month of ``first_day`` on converted again at
    the rates held now (the ECB's rates of days that had none when they were stored)."""
    params = {**_params(), "since": first_day.replace(day=1)}
    sales_refresh(first_day=params["since"])
    # The fees and refunds are rebuilt, not corrected by difference: what they hold was converted
    # at the rates of their time, which a difference at today's rates would not take back.
    zeroed = ", ".join(f"{c} = 0" for c in MONEY)
    with connection.cursor() as cursor:
        for table, column in ((DAYS, "day"), (MONTHS, "month"), (TOTALS, "month")):
            cursor.execute(
                f"UPDATE {table} SET {zeroed} WHERE team_id = %(team)s AND {column} >= %(since)s",  # noqa: S608 (fixed text)
                params,
            )
    _money("t.posted_at >= %(since)s", 1, params)
    with connection.cursor() as cursor:
        for table, column in ((DAYS, "day"), (MONTHS, "month"), (TOTALS, "month")):
            cursor.execute(
                f"DELETE FROM {table} WHERE team_id = %(team)s AND {column} >= %(since)s AND {_EMPTY}",  # noqa: S608 (fixed text)
                params,
            )


def unrated_since(first_day: date) -> bool:
    """Whether the team in scope holds a figure from ``first_day`` on that had no rate, or units
    whose cost had none."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT FROM {DAYS} WHERE team_id = %(team)s AND day >= %(since)s"  # noqa: S608 (fixed text)
            " AND (sales_unrated > 0 OR money_unrated > 0 OR units_missing_cost > 0))",
            {"team": require_team_scope(), "since": first_day},
        )
        (found,) = cursor.fetchone()
    return bool(found)


def team_rebuild() -> None:
    """The team's rows built again from all its SKU days and charges."""
    params = _params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DAYS} WHERE team_id = %(team)s", params)  # noqa: S608 (fixed text)
        cursor.execute(f"DELETE FROM {MONTHS} WHERE team_id = %(team)s", params)  # noqa: S608 (fixed text)
        cursor.execute(f"DELETE FROM {TOTALS} WHERE team_id = %(team)s", params)  # noqa: S608 (fixed text)
    sales_refresh()
    _money("true", 1, params)
