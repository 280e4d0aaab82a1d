"""Reads for the overview: a period's figures against the previous period of the same length,
per currency, with the rows behind each figure one link away.

Everything comes from read models, never from raw order lines or charges (DESIGN.md, "Read
models"): ``OrderDay`` for sales, units, orders and promotions, ``ChargeDay`` for refunds, Amazon's
fees and net proceeds, ``SkuDay`` for top and falling SKUs and the cost of goods, the stock tables
(one row per SKU) for inventory health. Amounts are never added across currencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, Sum

from ams.amazon.models import ConnectionMarketplace
from ams.finance.models import ChargeDay
from ams.inventory import stock_health as inventory_health
from ams.inventory.stock_health import StockHealth
from ams.orders.models import OrderDay
from ams.sync.models import Family
from ams.teams.models import Team

CENT = Decimal("0.01")
# AMS has no per-SKU supplier lead time yet: a SKU is at risk when its stock (available and
# inbound) covers fewer days than this at the last 30 days' rate of sale.
DEFAULT_LEAD_TIME_DAYS = inventory_health.DEFAULT_LEAD_TIME_DAYS
TOP_SKUS = 10

# How the finances sync files Amazon's breakdown (see ams.sync.parsers.finance): category is the
# top of the tree (Sales, Expenses, Reimbursements), kind the level above the leaf.
FEE_KIND = "AmazonFees"
REFUND_TYPE = "Refund"
SALES_CATEGORY = "Sales"


# --- The period -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


PRESETS = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "mtd": "Month to date"}
# The SKU summary's column suffix of each standard window.
WINDOWS = {"7d": "7d", "30d": "30d", "90d": "90d", "mtd": "mtd"}
DEFAULT_PRESET = "30d"


def preset_period(preset: str, *, today: date) -> Period:
    """The standard windows end today, as the SKU summary's do: "last 7 days" includes today."""
    if preset == "mtd":
        return Period(today.replace(day=1), today)
    days = int(preset.removesuffix("d"))
    return Period(today - timedelta(days=days - 1), today)


# Two years and a day: the history a seller can have and a previous period to compare it with.
LONGEST_PERIOD_DAYS = 732


def chosen_period(values: dict[str, Any], *, today: date) -> tuple[Period, str]:
    """The period the filters ask for, and its preset ("custom" for from/to): a custom period
    needs both dates in order and at most two years; anything else is the default window."""
    preset = values.get("period") or DEFAULT_PRESET
    if preset == "custom":
        first, last = values.get("date_from"), values.get("date_to")
        if first and last and first <= last and (last - first).days < LONGEST_PERIOD_DAYS:
            return Period(first, last), "custom"
        preset = DEFAULT_PRESET
    return preset_period(preset, today=today), preset


# --- Figures ------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One number for the period and the previous period; None where it cannot be known."""

    current: Decimal | int | None = None
    previous: Decimal | int | None = None

    @property
    def change(self) -> Decimal | int | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        """Change in percent of the previous figure; None from nothing (no honest percentage)."""
        if self.change is None or not self.previous:
            return None
        return (Decimal(self.change) * 100 / abs(Decimal(self.previous))).quantize(Decimal("0.1"))


@dataclass
class CurrencyFigures:
    currency: str
    sales: Figure = field(default_factory=Figure)
    units: Figure = field(default_factory=Figure)
    orders: Figure = field(default_factory=Figure)
    average_price: Figure = field(default_factory=Figure)
    promotions: Figure = field(default_factory=Figure)
    refunds: Figure = field(default_factory=Figure)
    fees: Figure = field(default_factory=Figure)
    net_proceeds: Figure = field(default_factory=Figure)
    cost_of_goods: Figure = field(default_factory=Figure)
    profit: Figure = field(default_factory=Figure)
    # SKUs sold in the period without a cost valid on the day (or in another currency), and their units.
    skus_missing_cost: Figure = field(default_factory=Figure)
    units_missing_cost: Figure = field(default_factory=Figure)


def _both(value_now: Any, value_before: Any, zero: Decimal | int) -> Figure:
    return Figure(value_now if value_now is not None else zero, value_before if value_before is not None else zero)


# The order-day measures of the figures, by their names in the figures.
_DAY_MEASURES = {"orders": "orders", "units": "units", "sales": "sales", "promotions": "promotion_discount"}


def order_days(team: Team, period: Period, marketplace: str = "") -> list[dict[str, Any]]:
    """Per currency and day of the period and the previous one, the order-day measures: the
    figures add them up and the chart draws them, from one query."""
    previous = period.previous()
    qs = OrderDay.objects.filter(team=team, day__gte=previous.first, day__lte=period.last)
    if marketplace:
        qs = qs.filter(marketplace_id=marketplace)
    # Named apart from the columns: an annotation called "orders" would shadow the column.
    sums = {f"day_{name}": Sum(column) for name, column in _DAY_MEASURES.items()}
    return list(qs.values("currency", "day").annotate(**sums).order_by())


def _sales(period: Period, days: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per currency, each measure of the period and of the previous period (``<name>_before``);
    None where no day of that period has a row, as a SQL sum of no rows."""
    result: dict[str, dict[str, Any]] = {}
    for r in days:
        sums = result.setdefault(r["currency"], {})
        suffix = "" if r["day"] >= period.first else "_before"
        for name in _DAY_MEASURES:
            value = r[f"day_{name}"]
            if value is not None:
                key = name + suffix
                sums[key] = value if sums.get(key) is None else sums[key] + value
    return result


def _money(team: Team, period: Period, previous: Period, marketplace: str) -> dict[str, dict[str, Decimal]]:
    """Refunds, fees and net proceeds per currency, positive refunds and fees being money out."""
    qs = ChargeDay.objects.filter(team=team, day__gte=previous.first, day__lte=period.last)
    if marketplace:
        qs = qs.filter(marketplace_id=marketplace)
    rows = qs.values("currency", "transaction_type", "category", "kind").annotate(
        now=Sum("amount", filter=Q(day__gte=period.first)), before=Sum("amount", filter=Q(day__lte=previous.last))
    ).order_by()
    result: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        sums = result.setdefault(r["currency"], {k: Decimal(0) for k in (
            "refunds", "refunds_before", "fees", "fees_before", "net", "net_before",
        )})
        for suffix, amount in (("", r["now"] or Decimal(0)), ("_before", r["before"] or Decimal(0))):
            sums["net" + suffix] += amount
            # Fees net of the fees Amazon gives back with a refund: what the seller paid.
            if r["kind"] == FEE_KIND:
                sums["fees" + suffix] -= amount
            # What went back to buyers: the sales side of refund transactions.
            if r["transaction_type"] == REFUND_TYPE and r["category"] == SALES_CATEGORY:
                sums["refunds" + suffix] -= amount
    return result


# The rows of ``sold`` (a SKU's units on a day) with the unit cost valid that day, from ``costs``
# (each record with the day the next one takes over), by the rule of
# ams.procurement.selectors.costs_for (a marketplace's own records first, whatever their dates,
# then those for every marketplace; the newest on or before the day), as range joins: one pass
# over the SKU days instead of an index probe per (SKU, day). tests/dashboard/test_overview.py
# checks it against costs_for.
_PRICED_DAY_BY_DAY = """
    SELECT s.currency, s.sku, s.units, s.now,
        CASE WHEN own.sku IS NOT NULL THEN own.unit_cost ELSE every.unit_cost END AS unit_cost,
        CASE WHEN own.sku IS NOT NULL THEN own.currency ELSE every.currency END AS cost_currency
    FROM sold s
    LEFT JOIN costs own ON own.sku = s.sku AND own.marketplace_id = s.marketplace_id
        AND own.effective_from <= s.day AND (own.until IS NULL OR s.day < own.until)
    LEFT JOIN costs every ON every.sku = s.sku AND every.marketplace_id IS NULL
        AND every.effective_from <= s.day AND (every.until IS NULL OR s.day < every.until)
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
    SELECT marketplace_id, sku, currency, day, units, day >= %(first)s AS now
    FROM orders_skuday
    WHERE team_id = %(team)s AND day BETWEEN %(previous_first)s AND %(last)s AND units > 0 {marketplace}
), costs AS (
    SELECT sku, marketplace_id, currency, unit_cost, effective_from,
        lead(effective_from) OVER (PARTITION BY sku, marketplace_id ORDER BY effective_from) AS until
    FROM procurement_productcost
    WHERE team_id = %(team)s
), priced AS ("""
_COST_OF_GOODS = _SOLD_IN_BOTH_PERIODS + _PRICED_DAY_BY_DAY + _COST_TOTALS


# The standard windows read the SKU summary (one row per SKU) for every SKU whose cost held through
# both periods, priced at the cost valid on their first day; only the SKUs whose cost changed in
# between are priced day by day from the SKU days, as above. Measured at 10,000 SKUs and 1M order
# items: the (SKU, day) rollup of 60 days is ~56,000 rows and pricing it alone took ~0.5 s.
_WINDOWS_AND_CHANGED_SKUS = """
WITH changed AS (
    SELECT DISTINCT sku FROM procurement_productcost
    WHERE team_id = %(team)s AND effective_from > %(previous_first)s AND effective_from <= %(last)s
), held_from AS (
    SELECT sku, coalesce(marketplace_id, '') AS scope, max(effective_from) AS effective_from
    FROM procurement_productcost
    WHERE team_id = %(team)s AND effective_from <= %(previous_first)s
    GROUP BY sku, coalesce(marketplace_id, '')
), held AS (
    -- Grouped and joined by hash, not sorted: ordering 36,000 SKU texts was most of the query's time.
    SELECT c.sku, c.marketplace_id, c.unit_cost, c.currency
    FROM procurement_productcost c
    JOIN held_from h ON c.sku = h.sku AND coalesce(c.marketplace_id, '') = h.scope AND c.effective_from = h.effective_from
    WHERE c.team_id = %(team)s
), windows AS (
    SELECT w.currency, w.sku, w.units_{window} AS units_now, w.units_prev_{window} AS units_before,
        CASE WHEN own.sku IS NOT NULL THEN own.unit_cost ELSE every.unit_cost END AS unit_cost,
        CASE WHEN own.sku IS NOT NULL THEN own.currency ELSE every.currency END AS cost_currency
    FROM orders_skusummary w
    LEFT JOIN held own ON own.sku = w.sku AND own.marketplace_id = w.marketplace_id
    LEFT JOIN held every ON every.sku = w.sku AND every.marketplace_id IS NULL
    WHERE w.team_id = %(team)s {marketplace_w} AND w.sku NOT IN (SELECT sku FROM changed)
), sold AS (
    SELECT marketplace_id, sku, currency, day, units, day >= %(first)s AS now
    FROM orders_skuday
    WHERE team_id = %(team)s AND sku IN (SELECT sku FROM changed)
      AND day BETWEEN %(previous_first)s AND %(last)s AND units > 0 {marketplace}
), costs AS (
    SELECT sku, marketplace_id, currency, unit_cost, effective_from,
        lead(effective_from) OVER (PARTITION BY sku, marketplace_id ORDER BY effective_from) AS until
    FROM procurement_productcost
    WHERE team_id = %(team)s AND sku IN (SELECT sku FROM changed)
), priced AS (
    SELECT currency, sku, units_now AS units, true AS now, unit_cost, cost_currency FROM windows WHERE units_now > 0
    UNION ALL
    SELECT currency, sku, units_before, false, unit_cost, cost_currency FROM windows WHERE units_before > 0
    UNION ALL"""
_WINDOW_COST_OF_GOODS = _WINDOWS_AND_CHANGED_SKUS + _PRICED_DAY_BY_DAY + _COST_TOTALS


# The standard windows as priced ahead by ams.procurement.window_costs (one row per SKU summary
# row and window): sums of 10,000 numbers. Used only when every summary row has its priced row for
# the window ending on the period's last day; otherwise (a summary not refreshed today, costs
# written around the services) the live queries above answer, with the same figures. The rows are
# read twice rather than kept aside (NOT MATERIALIZED): measured, ~7 ms instead of ~12.
_PRICED_WINDOWS = """
WITH priced AS NOT MATERIALIZED (
    SELECT currency, sku, as_of, units_{window} AS units, units_prev_{window} AS units_before,
        cost_{window} AS cost, cost_prev_{window} AS cost_before,
        missing_{window} AS units_missing, missing_prev_{window} AS units_missing_before
    FROM procurement_skuwindowcost
    WHERE team_id = %(team)s {marketplace}
), totals AS (
    SELECT currency, sum(units) AS units, sum(units_before) AS units_before, sum(cost) AS cost,
        sum(cost_before) AS cost_before, sum(units_missing) AS missing, sum(units_missing_before) AS missing_before,
        bool_and(as_of = %(last)s) AS fresh, count(*) AS rows
    FROM priced
    GROUP BY currency
), missing AS (
    -- Apart from the totals: a DISTINCT count sorts its rows, here only those without a cost.
    SELECT currency, count(DISTINCT sku) FILTER (WHERE units_missing > 0) AS skus,
        count(DISTINCT sku) FILTER (WHERE units_missing_before > 0) AS skus_before
    FROM priced WHERE units_missing > 0 OR units_missing_before > 0
    GROUP BY currency
)
SELECT t.currency, t.units, t.units_before, t.cost, t.cost_before, t.missing, t.missing_before,
    coalesce(m.skus, 0), coalesce(m.skus_before, 0), t.fresh, t.rows,
    (SELECT count(*) FROM orders_skusummary WHERE team_id = %(team)s {marketplace})
FROM totals t LEFT JOIN missing m ON m.currency = t.currency
"""


def _priced_windows(
    team: Team, period: Period, marketplace: str, window: str
) -> dict[tuple[str, bool], tuple[Decimal, int, int]] | None:
    """The window's cost of goods from the read model, or None when it was not priced for it."""
    where = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    params: dict[str, Any] = {"team": team.id, "last": period.last, "marketplace": marketplace}
    with connection.cursor() as cursor:
        cursor.execute(_PRICED_WINDOWS.format(marketplace=where, window=WINDOWS[window]), params)
        rows = cursor.fetchall()
    if not rows or not all(r[9] for r in rows) or sum(r[10] for r in rows) != rows[0][11]:
        return None
    result: dict[tuple[str, bool], tuple[Decimal, int, int]] = {}
    for currency, units, units_before, cost, cost_before, missing, missing_before, skus, skus_before, *_check in rows:
        # As the live query: a side appears only when something was sold in it.
        if units:
            result[(currency, True)] = (Decimal(cost).quantize(CENT), skus, missing)
        if units_before:
            result[(currency, False)] = (Decimal(cost_before).quantize(CENT), skus_before, missing_before)
    return result


def _cost_of_goods(
    team: Team, period: Period, previous: Period, marketplace: str, window: str | None
) -> dict[tuple[str, bool], tuple[Decimal, int, int]]:
    if window is not None and (priced := _priced_windows(team, period, marketplace, window)) is not None:
        return priced
    params: dict[str, Any] = {
        "team": team.id, "first": period.first, "last": period.last, "previous_first": previous.first,
        "marketplace": marketplace,
    }
    where = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    if window is None:
        query = _COST_OF_GOODS.format(marketplace=where)
    else:
        query = _WINDOW_COST_OF_GOODS.format(
            window=WINDOWS[window], marketplace=where, marketplace_w=where.replace("marketplace_id", "w.marketplace_id")
        )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {
            (currency, now): ((cost or Decimal(0)).quantize(CENT), missing_skus, missing_units)
            for currency, now, cost, missing_skus, missing_units in cursor.fetchall()
        }


def figures(
    team: Team, period: Period, marketplace: str = "", *, window: str | None = None,
    days: list[dict[str, Any]] | None = None,
) -> list[CurrencyFigures]:
    """The period's figures per currency. ``window`` names the standard window (a key of
    ``PRESETS``) the period is, so per-SKU figures can come from the SKU summary; ``days`` are
    the ``order_days`` of the period when the caller has read them already."""
    previous = period.previous()
    sales = _sales(period, order_days(team, period, marketplace) if days is None else days)
    money = _money(team, period, previous, marketplace)
    goods = _cost_of_goods(team, period, previous, marketplace, window)
    result = []
    for currency in sorted(set(sales) | set(money) | {c for c, _now in goods}):
        f = CurrencyFigures(currency)
        s = sales.get(currency, {})
        f.sales = _both(s.get("sales"), s.get("sales_before"), Decimal(0))
        f.units = _both(s.get("units"), s.get("units_before"), 0)
        f.orders = _both(s.get("orders"), s.get("orders_before"), 0)
        f.promotions = _both(s.get("promotions"), s.get("promotions_before"), Decimal(0))
        f.average_price = Figure(*(
            (Decimal(amount or 0) / units).quantize(CENT) if units else None
            for amount, units in ((f.sales.current, f.units.current), (f.sales.previous, f.units.previous))
        ))
        m = money.get(currency, {})
        f.refunds = _both(m.get("refunds"), m.get("refunds_before"), Decimal(0))
        f.fees = _both(m.get("fees"), m.get("fees_before"), Decimal(0))
        f.net_proceeds = _both(m.get("net"), m.get("net_before"), Decimal(0))
        now_goods = goods.get((currency, True), (Decimal(0), 0, 0))
        before_goods = goods.get((currency, False), (Decimal(0), 0, 0))
        f.cost_of_goods = Figure(now_goods[0], before_goods[0])
        f.skus_missing_cost = Figure(now_goods[1], before_goods[1])
        f.units_missing_cost = Figure(now_goods[2], before_goods[2])
        # Profit only where every unit sold has a cost: a missing cost is never a cost of zero.
        f.profit = Figure(*(
            (Decimal(net or 0) - cost) if not missing else None
            for net, (cost, missing, _units) in ((f.net_proceeds.current, now_goods), (f.net_proceeds.previous, before_goods))
        ))
        result.append(f)
    return result


# --- Charts: sales and units by day -----------------------------------------------------------


def daily_series(
    team: Team, period: Period, marketplace: str = "", *, days: list[dict[str, Any]] | None = None
) -> dict[str, dict[str, list[Any]]]:
    """Per currency: the period's days, their sales and units, and the previous period's, aligned
    day by day (the first day against the first day of the previous period). ``days``: the
    period's ``order_days``, when the caller has read them already."""
    previous = period.previous()
    rows = order_days(team, period, marketplace) if days is None else days
    days_shown = [period.first + timedelta(days=i) for i in range(period.days)]
    series: dict[str, dict[str, list[Any]]] = {}
    for r in rows:
        # Made once per currency, not per row: setdefault would build its default for every day.
        if (data := series.get(r["currency"])) is None:
            data = series[r["currency"]] = {
                "days": [d.isoformat() for d in days_shown],
                "sales": [0.0] * period.days, "units": [0] * period.days,
                "previous_sales": [0.0] * period.days, "previous_units": [0] * period.days,
            }
        if r["day"] >= period.first:
            i, prefix = (r["day"] - period.first).days, ""
        else:
            i, prefix = (r["day"] - previous.first).days, "previous_"
        # Floats only for drawing: the figures above stay Decimal.
        data[prefix + "sales"][i] = float(r["day_sales"] or 0)
        data[prefix + "units"][i] = r["day_units"] or 0
    return dict(sorted(series.items()))


# --- Top and falling SKUs ---------------------------------------------------------------------


@dataclass(frozen=True)
class SkuMove:
    sku: str
    currency: str
    units: int
    units_before: int
    sales: Decimal
    sales_before: Decimal

    @property
    def units_change(self) -> int:
        return self.units - self.units_before


# Both lists in one pass, ranked per currency in the database, over ``per_sku``: each SKU's units
# and sales in the period and the one before, from the SKU days (``_SKU_DAYS_ADDED``) or, for a
# standard window, from the SKU summary's window and previous-window columns (10,000 rows at
# most). The summary has a row per connection, marketplace, SKU and currency, so a SKU's rows are
# added up (``_SKU_ROWS_ADDED``); ``_SKU_ROWS`` ranks the rows as they are when they all come from
# one connection and marketplace (a seller with one marketplace, or the filter on one): measured
# at 10,000 SKUs, grouping them was ~15-25 ms of the ~30 ms this query took.
_SKU_MOVES = """
WITH per_sku AS ({per_sku}), currencies AS (
    SELECT DISTINCT currency FROM per_sku
)
-- The first few per currency by a bounded sort each, rather than ranking every SKU twice.
SELECT top.sku, top.currency, top.units, top.units_before, top.sales, top.sales_before, true, false
FROM currencies c, LATERAL (
    SELECT * FROM per_sku p WHERE p.currency = c.currency AND p.units > 0
    ORDER BY p.sales DESC, p.units DESC, p.sku COLLATE "C" LIMIT %(n)s
) top
UNION ALL
SELECT fall.sku, fall.currency, fall.units, fall.units_before, fall.sales, fall.sales_before, false, true
FROM currencies c, LATERAL (
    SELECT * FROM per_sku p WHERE p.currency = c.currency AND p.units < p.units_before
    ORDER BY p.units - p.units_before, p.sales - p.sales_before, p.sku COLLATE "C" LIMIT %(n)s
) fall
"""
_SKU_DAYS_ADDED = """
    SELECT sku, currency,
        coalesce(sum(units) FILTER (WHERE day >= %(first)s), 0) AS units,
        coalesce(sum(units) FILTER (WHERE day < %(first)s), 0) AS units_before,
        coalesce(sum(sales) FILTER (WHERE day >= %(first)s), 0) AS sales,
        coalesce(sum(sales) FILTER (WHERE day < %(first)s), 0) AS sales_before
    FROM orders_skuday
    WHERE team_id = %(team)s AND day BETWEEN %(previous_first)s AND %(last)s {marketplace}
    GROUP BY sku, currency
"""
_SKU_ROWS_ADDED = """
    SELECT sku, currency, sum(units_{window}) AS units, sum(units_prev_{window}) AS units_before,
        sum(sales_{window}) AS sales, sum(sales_prev_{window}) AS sales_before
    FROM orders_skusummary
    WHERE team_id = %(team)s {marketplace}
    GROUP BY sku, currency
"""
_SKU_ROWS = """
    SELECT sku, currency, units_{window}::bigint AS units, units_prev_{window}::bigint AS units_before,
        sales_{window} AS sales, sales_prev_{window} AS sales_before
    FROM orders_skusummary
    WHERE team_id = %(team)s {marketplace}
"""


def sku_moves(
    team: Team, period: Period, marketplace: str = "", *, window: str | None = None, one_source: bool = False
) -> dict[str, dict[str, list[SkuMove]]]:
    """Per currency: the period's best sellers by sales, and the SKUs whose units fell most
    against the previous period; from the SKU summary for a standard ``window``. ``one_source``:
    the summary's rows (under the marketplace filter) all come from one connection and
    marketplace (``summary_state``), so each row is a SKU's and needs no adding up."""
    previous = period.previous()
    params: dict[str, Any] = {
        "team": team.id, "first": period.first, "last": period.last, "previous_first": previous.first,
        "marketplace": marketplace, "n": TOP_SKUS,
    }
    where = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    if window is None:
        per_sku = _SKU_DAYS_ADDED.format(marketplace=where)
    else:
        per_sku = (_SKU_ROWS if one_source else _SKU_ROWS_ADDED).format(window=WINDOWS[window], marketplace=where)
    query = _SKU_MOVES.format(per_sku=per_sku)
    result: dict[str, dict[str, list[SkuMove]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for sku, currency, units, units_before, sales, sales_before, top, falling in cursor.fetchall():
            move = SkuMove(sku, currency, units, units_before, sales, sales_before)
            lists = result.setdefault(currency, {"top": [], "falling": []})
            if top:
                lists["top"].append(move)
            if falling:
                lists["falling"].append(move)
    for lists in result.values():
        lists["top"].sort(key=lambda m: (-m.sales, -m.units, m.sku))
        lists["falling"].sort(key=lambda m: (m.units_change, m.sales - m.sales_before, m.sku))
    return dict(sorted(result.items()))


# --- Inventory health -------------------------------------------------------------------------


def stock_health(team: Team, marketplace: str = "", *, lead_time_days: int = DEFAULT_LEAD_TIME_DAYS) -> StockHealth:
    """Stock at a glance (ams.inventory.stock_health): the read model at the default lead time,
    computed from the SKU rows for another lead time or before a sync has built it."""
    if lead_time_days == DEFAULT_LEAD_TIME_DAYS:
        kept = inventory_health.stock_health(team.id, marketplace)
        if kept is not None:
            return kept
    return inventory_health.stock_health_live(team.id, marketplace, lead_time_days=lead_time_days)


def team_markets(team: Team) -> list[tuple[str, str]]:
    """(marketplace id, currency) of the team's connected marketplaces: the filter's choices and
    the currencies the page shows, from one query."""
    return sorted(set(ConnectionMarketplace.objects.filter(team=team).values_list("marketplace_id", "currency")))


def team_currencies(markets: list[tuple[str, str]], marketplace: str = "") -> list[str]:
    return sorted({currency for m, currency in markets if not marketplace or m == marketplace})


@dataclass(frozen=True)
class Payout:
    id: int
    total_amount: Decimal
    currency: str
    deposit_at: datetime
    not_adding_up: int  # the team's settlements that do not reconcile


@dataclass(frozen=True)
class Counts:
    suppressed: int  # listings Amazon suppressed
    payout: Payout | None  # the last settlement deposited


# The page's small counts in one round trip: each is an index probe or a count of a few rows.
_COUNTS = """
SELECT
    (SELECT count(*) FROM catalog_listing WHERE team_id = %(team)s AND status = 'suppressed'),
    p.id, p.total_amount, p.currency, p.deposit_at,
    (SELECT count(*) FROM finance_settlement
     WHERE team_id = %(team)s AND (NOT lines_reconciled OR NOT transactions_reconciled))
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT id, total_amount, currency, deposit_at FROM finance_settlement
    WHERE team_id = %(team)s AND deposit_at IS NOT NULL ORDER BY deposit_at DESC LIMIT 1
) p ON true
"""


def counts(team: Team) -> Counts:
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS, {"team": team.id})
        row = cursor.fetchone()
    assert row is not None
    suppressed, payout_id, total, currency, deposit_at, not_adding_up = row
    payout = Payout(payout_id, total, currency, deposit_at, not_adding_up) if payout_id is not None else None
    return Counts(suppressed=suppressed, payout=payout)


@dataclass(frozen=True)
class SummaryState:
    as_of: date | None  # the day the SKU summary's windows end on (its last refresh)
    one_source: bool  # every row from one connection and marketplace: a row per SKU and currency


# The summary's (connection, marketplace) pairs by skipping along its unique index, which leads
# with them: two probes answer "one or more", where a DISTINCT would read every row.
_SUMMARY_STATE = """
WITH RECURSIVE sources AS (
    (SELECT connection_id, marketplace_id FROM orders_skusummary
     WHERE team_id = %(team)s {marketplace} ORDER BY connection_id, marketplace_id LIMIT 1)
    UNION ALL
    SELECT n.connection_id, n.marketplace_id FROM sources s, LATERAL (
        SELECT connection_id, marketplace_id FROM orders_skusummary
        WHERE team_id = %(team)s {marketplace} AND (connection_id, marketplace_id) > (s.connection_id, s.marketplace_id)
        ORDER BY connection_id, marketplace_id LIMIT 1
    ) n
)
SELECT (SELECT max(as_of) FROM orders_skusummary WHERE team_id = %(team)s {marketplace}),
    (SELECT count(*) FROM (SELECT 1 FROM sources LIMIT 2) two) <= 1
"""


def summary_state(team: Team, marketplace: str = "") -> SummaryState:
    """The SKU summary's day (``as_of``, with the last orders sync) and whether it has one source."""
    where = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    with connection.cursor() as cursor:
        cursor.execute(_SUMMARY_STATE.format(marketplace=where), {"team": team.id, "marketplace": marketplace})
        row = cursor.fetchone()
    assert row is not None
    return SummaryState(as_of=row[0], one_source=bool(row[1]))


# The team's live connections with their sync states: a connection without a state for a family
# has never completed it.
_FRESHNESS = """
SELECT c.id, s.family, s.last_completed_at
FROM amazon_sellerconnection c
LEFT JOIN sync_syncstate s ON s.connection_id = c.id AND s.team_id = %(team)s
WHERE c.team_id = %(team)s AND c.disconnected_at IS NULL
"""


def freshness(team: Team) -> dict[str, datetime | None]:
    """``ams.sync.selectors.last_synced`` of every data family in one query instead of ten:
    per family, the oldest completion over the team's live connections, None if one never completed."""
    live: set[int] = set()
    moments: dict[str, dict[int, datetime | None]] = {family.value: {} for family in Family}
    with connection.cursor() as cursor:
        cursor.execute(_FRESHNESS, {"team": team.id})
        for connection_id, family, completed in cursor.fetchall():
            live.add(connection_id)
            if family is not None:
                moments.setdefault(family, {})[connection_id] = completed
    result: dict[str, datetime | None] = {}
    for family, by_connection in moments.items():
        found = [by_connection.get(c) for c in live]
        result[family] = min(m for m in found if m is not None) if live and all(m is not None for m in found) else None
    return result
