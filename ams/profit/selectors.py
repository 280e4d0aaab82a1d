"""Reads of the profit read model: per SKU, marketplace and currency over any period, sorted and
paged in PostgreSQL, with the table's totals, in one statement.

A period reads its whole calendar months from ``SkuProfitMonth`` and only the days at its edges
from ``SkuProfitDay``: a year is twelve rows per SKU and at most two partial months of days.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

from django.db import connection
from psycopg.types.json import set_json_loads

from ams.core.marketplaces import TIME_ZONES
from ams.core.marketplaces import label as marketplace_label
from ams.profit.models import ProfitMonth, SkuProfitDay, SkuProfitMonth
from ams.teams.models import Team

CENT = Decimal("0.01")
_FIGURES = (
    "orders",
    "units",
    "sales",
    "sales_home",
    "sales_unrated",
    "cost",
    "cost_home",
    "units_missing_cost",
    "fees",
    "refunds",
    "refund_count",
    "fees_home",
    "refunds_home",
    "money_unrated",
)


class SkuFigures(NamedTuple):
    """A SKU's sums over the period, unrounded; a home figure is None where a day had no rate."""

    marketplace_id: str
    sku: str
    currency: str
    orders: int
    units: int
    sales: Decimal
    refunds: Decimal
    refund_count: int
    fees: Decimal
    cost: Decimal  # of the units with a cost
    units_missing_cost: int
    sales_home: Decimal | None
    refunds_home: Decimal | None
    fees_home: Decimal | None
    cost_home: Decimal | None


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    sales: Decimal | None
    profit: Decimal | None  # None when a row's profit is incomplete
    incomplete_rows: int


@dataclass(frozen=True)
class SkuTable:
    rows: list[SkuFigures]
    count: int  # rows in the whole table, not only the page
    per_currency: list[CurrencyTotal]
    home: CurrencyTotal


# What the table sorts by, as SQL over the summed row (the figures a page shows, rounded to the
# cent as shown; NULL for an incomplete one, which sorts last either way).
_COST = "CASE WHEN units_missing_cost = 0 THEN round(cost, 2) END"
_PROFIT = f"sales - refunds - fees - {_COST}"
_HOME_KNOWN = "units_missing_cost = 0 AND sales_unrated = 0 AND money_unrated = 0"
_PROFIT_HOME = (
    f"CASE WHEN {_HOME_KNOWN} THEN round(sales_home, 2) - round(refunds_home, 2)"
    " - round(fees_home, 2) - round(cost_home, 2) END"
)
SORTS: dict[str, str] = {
    "sku": "sku",
    "marketplace": "marketplace_label",
    "units": "units",
    "sales": "sales",
    "refunds": "refunds",
    "return_rate": "round(refund_count * 100.0 / nullif(orders, 0), 1)",
    "fees": "fees",
    "cost": _COST,
    "profit": _PROFIT,
    "margin": f"round(({_PROFIT}) * 100 / nullif(sales, 0), 1)",
    "roi": f"round(({_PROFIT}) * 100 / nullif({_COST}, 0), 1)",
    "profit_home": _PROFIT_HOME,
}
DEFAULT_SORT = "-profit_home"


def sort_key(asked: str) -> str:
    """The sort asked for, or the default one for an unknown column."""
    return asked if asked.removeprefix("-") in SORTS else DEFAULT_SORT


def _parts(marketplace: str) -> str:
    narrowed = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    columns = ", ".join(_FIGURES)
    return f"""
    SELECT marketplace_id, sku, currency, {columns} FROM {SkuProfitMonth._meta.db_table}
    WHERE team_id = %(team)s AND month >= %(months_from)s AND month < %(months_to)s {narrowed}
    UNION ALL
    SELECT marketplace_id, sku, currency, {columns} FROM {SkuProfitDay._meta.db_table}
    WHERE team_id = %(team)s AND day BETWEEN %(first)s AND %(last)s
      AND NOT (day >= %(months_from)s AND day < %(months_to)s) {narrowed}"""  # noqa: S608 (fixed text)


def _statement(sort: str, marketplace: str) -> str:
    column = sort_key(sort)
    direction = "DESC" if column.startswith("-") else "ASC"
    order = (
        f"{SORTS[column.removeprefix('-')]} {direction} NULLS LAST, sku, marketplace_id, currency"
    )
    sums = ", ".join(f"sum({c}) AS {c}" for c in _FIGURES)
    return f"""
WITH summed AS MATERIALIZED (
    SELECT marketplace_id, sku, currency, {sums} FROM ({_parts(marketplace)}) p
    GROUP BY marketplace_id, sku, currency
), valued AS MATERIALIZED (
    SELECT s.*, coalesce(m.label, s.marketplace_id) AS marketplace_label,
        {_PROFIT} AS profit, {_PROFIT_HOME} AS profit_home
    FROM summed s
    LEFT JOIN unnest(%(marketplace_ids)s::text[], %(marketplace_labels)s::text[]) AS m(id, label)
        ON m.id = s.marketplace_id
), page AS (
    SELECT * FROM valued ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s
), totals AS (
    SELECT (SELECT count(*) FROM valued) AS count,
        (SELECT coalesce(json_agg(json_build_array(currency, sales, profit, incomplete)), '[]')
         FROM (SELECT currency, sum(sales) AS sales,
                 CASE WHEN bool_and(profit IS NOT NULL) THEN sum(profit) END AS profit,
                 count(*) FILTER (WHERE profit IS NULL) AS incomplete
               FROM valued GROUP BY currency ORDER BY currency) c) AS per_currency,
        (SELECT json_build_array(
             CASE WHEN bool_and(sales_unrated = 0) THEN sum(round(sales_home, 2)) END,
             CASE WHEN bool_and(profit_home IS NOT NULL) THEN sum(profit_home) END,
             count(*) FILTER (WHERE profit_home IS NULL))
         FROM valued) AS home
)
SELECT t.count, t.per_currency, t.home, p.marketplace_id, p.sku, p.currency,
    {", ".join(f"p.{c}" for c in _FIGURES)}
FROM totals t LEFT JOIN page p ON true
ORDER BY {order}
"""  # noqa: S608 (fixed text: the sort is one of SORTS)


def _calendar_months(first: date, last: date) -> tuple[date, date]:
    """[from, to) of the whole calendar months inside first … last (empty: from == to)."""
    months_from = (
        first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    )
    after = last + timedelta(days=1)
    months_to = after.replace(day=1)
    if months_to <= months_from:
        return first, first
    return months_from, months_to


def _figures(row: Sequence[Any]) -> SkuFigures:
    values = dict(zip(_FIGURES, row[3:], strict=True))
    home_sales = values["sales_unrated"] == 0
    home_money = values["money_unrated"] == 0
    return SkuFigures(
        marketplace_id=row[0],
        sku=row[1],
        currency=row[2],
        orders=values["orders"],
        units=values["units"],
        sales=_cents(values["sales"]),
        refunds=_cents(values["refunds"]),
        refund_count=values["refund_count"],
        fees=_cents(values["fees"]),
        cost=values["cost"],
        units_missing_cost=values["units_missing_cost"],
        sales_home=values["sales_home"] if home_sales else None,
        refunds_home=values["refunds_home"] if home_money else None,
        fees_home=values["fees_home"] if home_money else None,
        cost_home=values["cost_home"] if home_sales else None,
    )


def _cents(value: Decimal) -> Decimal:
    # Sales, fees and refunds are sums of amounts in cents: exact, only their scale is wider.
    return value.quantize(CENT)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT, ROUND_HALF_EVEN)


def sku_table(
    team: Team,
    *,
    first: date,
    last: date,
    home: str,
    marketplace: str = "",
    sort: str = DEFAULT_SORT,
    limit: int | None = None,
    offset: int = 0,
) -> SkuTable:
    """The rows ``offset`` … ``offset + limit`` (every row without a limit) of the period's table
    in the order of ``sort``, the number of rows, and the totals of the whole table: per sale
    currency, and in the home currency (``home``, the currency the read model converted into)."""
    months_from, months_to = _calendar_months(first, last)
    params: dict[str, Any] = {
        "team": team.id,
        "first": first,
        "last": last,
        "months_from": months_from,
        "months_to": months_to,
        "marketplace": marketplace,
        "marketplace_ids": list(TIME_ZONES),
        "marketplace_labels": [marketplace_label(m) for m in TIME_ZONES],
        "limit": limit,
        "offset": offset,
    }
    with connection.cursor() as cursor:
        # Totals come back as JSON: their numbers are read as Decimal, never as floats.
        set_json_loads(lambda text: json.loads(text, parse_float=Decimal), cursor.cursor)
        # A year of 10,000 SKUs is grouped in memory, not spilled to disk in batches.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(_statement(sort, marketplace), params)
        fetched = cursor.fetchall()
    count, per_currency, home_sums = fetched[0][:3]
    rows = [_figures(row[3:]) for row in fetched if row[4] is not None]
    return SkuTable(
        rows=rows,
        count=count,
        per_currency=[
            CurrencyTotal(c, _decimal(sales), _decimal(profit), incomplete)
            for c, sales, profit, incomplete in per_currency
        ],
        home=CurrencyTotal(home, _decimal(home_sums[0]), _decimal(home_sums[1]), home_sums[2]),
    )


class GoodsCost(NamedTuple):
    """One currency's cost of goods over a period (``now``) or the one before it."""

    currency: str
    now: bool
    cost: Decimal  # of the units with a cost
    skus_missing: int  # SKUs with units sold without a cost
    units_missing: int
    cost_home: Decimal | None  # None where a day sold had no rate into the home currency


def _period_parts(
    name: str, columns: str, marketplace: str, *, months: str, where: str = ""
) -> str:
    """The rows of ``months`` (a table of month rows) and the day rows at the edges of the period
    whose parameters are suffixed ``_{name}``; ``where`` narrows both."""
    narrowed = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    return f"""
    SELECT {columns} FROM {months}
    WHERE team_id = %(team)s AND month >= %(months_from_{name})s AND month < %(months_to_{name})s
      {narrowed} {where}
    UNION ALL
    SELECT {columns} FROM {SkuProfitDay._meta.db_table}
    WHERE team_id = %(team)s AND day BETWEEN %(first_{name})s AND %(last_{name})s
      AND NOT (day >= %(months_from_{name})s AND day < %(months_to_{name})s) {narrowed} {where}"""  # noqa: S608 (fixed text)


def _goods_statement(marketplace: str) -> str:
    sums = "currency, cost, cost_home, units_missing_cost, sales_unrated"
    totals = ProfitMonth._meta.db_table
    skus = SkuProfitMonth._meta.db_table
    missing = "AND units_missing_cost > 0"
    return f"""
WITH sums AS (
    SELECT currency, now, sum(cost) AS cost, sum(units_missing_cost) AS units,
        sum(cost_home) AS cost_home, sum(sales_unrated) AS unrated
    FROM (
        SELECT true AS now, * FROM ({_period_parts("now", sums, marketplace, months=totals)}) n
        UNION ALL
        SELECT false, * FROM ({_period_parts("before", sums, marketplace, months=totals)}) b
    ) p
    GROUP BY currency, now
), missing AS (
    -- The SKUs sold without a cost, from the SKU rows that have such units only; made distinct
    -- by hashing (count(DISTINCT …) would sort every row).
    SELECT currency, now, count(*) AS skus
    FROM (
        SELECT DISTINCT currency, now, sku FROM (
            SELECT true AS now, * FROM ({_period_parts("now", "currency, sku", marketplace, months=skus, where=missing)}) n
            UNION ALL
            SELECT false, * FROM ({_period_parts("before", "currency, sku", marketplace, months=skus, where=missing)}) b
        ) p
    ) d
    GROUP BY currency, now
)
SELECT s.currency, s.now, s.cost, coalesce(m.skus, 0), s.units, s.cost_home, s.unrated
FROM sums s LEFT JOIN missing m ON m.currency = s.currency AND m.now = s.now
"""  # noqa: S608 (fixed text)


def cost_of_goods(
    team: Team, *, first: date, last: date, previous_first: date, marketplace: str = ""
) -> list[GoodsCost]:
    """The cost of goods sold from ``first`` to ``last`` and from ``previous_first`` to the day
    before ``first``, per currency: each unit at its cost on its day (``ams.profit.goods``), from
    the read model's months and days. Only the currencies sold in."""
    params: dict[str, Any] = {"team": team.id, "marketplace": marketplace}
    for name, (a, b) in {
        "now": (first, last),
        "before": (previous_first, first - timedelta(days=1)),
    }.items():
        months_from, months_to = _calendar_months(a, b)
        params |= {
            f"first_{name}": a,
            f"last_{name}": b,
            f"months_from_{name}": months_from,
            f"months_to_{name}": months_to,
        }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(_goods_statement(marketplace), params)
        rows = cursor.fetchall()
    return [
        GoodsCost(currency, now, cost, skus, units, None if unrated else cost_home)
        for currency, now, cost, skus, units, cost_home, unrated in rows
    ]
