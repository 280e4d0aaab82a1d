"""Profit per SKU and marketplace for a period, estimated by order date: the units, sales and cost
of goods of the orders placed in the period (``ams.procurement.sku_profit``) beside the Amazon
fees and refunds posted in it (``ams.finance.sku_money``), in the sale's currency and in the
team's home currency at the ECB's rate of each day.

Both halves are aggregated in PostgreSQL (one statement each); here they are put side by side per
(marketplace, SKU, currency), and the ratios worked out. A figure that needs a missing cost or a
missing rate is None (shown as incomplete), never 0. The page sorts and exports these rows
(``ams.dashboard.profit_views``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from ams.billing.entitlements import history_months
from ams.core.export_jobs import export_register
from ams.core.exports import Cell, ExportSource
from ams.core.marketplaces import label as marketplace_label
from ams.core.marketplaces import zone_name
from ams.costing.relations import batch_cost_days
from ams.dashboard import overview as ov
from ams.dashboard.forms import OverviewFilterForm
from ams.dashboard.selectors import team_marketplaces
from ams.finance.sku_money import SkuMoney, sku_money
from ams.orders.selectors import home_currency, skus_sold_between
from ams.procurement.sku_profit import SkuSales, sku_sales
from ams.teams.models import Team

CENT = Decimal("0.01")
ZERO = Decimal(0)


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, ROUND_HALF_EVEN)


def _ratio(part: Decimal | None, whole: Decimal | int | None) -> Decimal | None:
    """part / whole as a percentage to one decimal; None when either is unknown or whole is 0."""
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


@dataclass(frozen=True)
class SkuProfit:
    marketplace_id: str
    sku: str
    currency: str
    orders: int
    units: int
    sales: Decimal
    refunds: Decimal
    refund_count: int
    fees: Decimal
    cost: Decimal | None  # None: some units sold have no cost valid on their day
    units_missing_cost: int
    sales_home: Decimal | None  # None: a day without a rate
    refunds_home: Decimal | None
    fees_home: Decimal | None
    cost_home: Decimal | None

    @property
    def marketplace(self) -> str:
        return marketplace_label(self.marketplace_id) if self.marketplace_id else ""

    @property
    def incomplete_cost(self) -> bool:
        return self.units_missing_cost > 0

    @property
    def profit(self) -> Decimal | None:
        if self.cost is None:
            return None
        return self.sales - self.refunds - self.fees - self.cost

    @property
    def profit_home(self) -> Decimal | None:
        parts = (self.sales_home, self.refunds_home, self.fees_home, self.cost_home)
        if self.cost is None or any(p is None for p in parts):
            return None
        sales, refunds, fees, cost = (p or ZERO for p in parts)
        return _cents(sales - refunds - fees - cost)

    @property
    def incomplete_home(self) -> bool:
        return self.profit_home is None

    @property
    def margin(self) -> Decimal | None:
        """Profit as a percentage of sales."""
        return _ratio(self.profit, self.sales)

    @property
    def roi(self) -> Decimal | None:
        """Profit as a percentage of the cost of goods."""
        return _ratio(self.profit, self.cost)

    @property
    def return_rate(self) -> Decimal | None:
        """Refunds posted in the period per order placed in it, as a percentage."""
        return _ratio(Decimal(self.refund_count), self.orders)


def _row(sold: SkuSales | None, money: SkuMoney | None, key: tuple[str, str, str]) -> SkuProfit:
    units = sold.units if sold else 0
    missing = sold.units_missing_cost if sold else 0
    cost: Decimal | None = ZERO
    cost_home: Decimal | None = ZERO
    if sold is not None:
        cost = None if missing else (sold.cost if sold.cost is not None else ZERO)
        cost_home = None if missing else sold.cost_home
    return SkuProfit(
        marketplace_id=key[0],
        sku=key[1],
        currency=key[2],
        orders=sold.orders if sold else 0,
        units=units,
        sales=sold.sales if sold else ZERO,
        refunds=money.refunds if money else ZERO,
        refund_count=money.refund_count if money else 0,
        fees=money.fees if money else ZERO,
        cost=_cents(cost),
        units_missing_cost=missing,
        sales_home=_cents(sold.sales_home) if sold else ZERO,
        refunds_home=_cents(money.refunds_home) if money else ZERO,
        fees_home=_cents(money.fees_home) if money else ZERO,
        cost_home=_cents(cost_home),
    )


def sku_profits(
    team: Team, *, first: date, last: date, home: str, marketplace: str = ""
) -> list[SkuProfit]:
    """Every SKU, marketplace and currency with orders, fees or refunds in the period."""
    sold = {
        (r.marketplace_id, r.sku, r.currency): r
        for r in sku_sales(
            team,
            first=first,
            last=last,
            home=home,
            marketplace=marketplace,
            # The units bought in batches cost what their batches say (ams.costing).
            batch_costs=batch_cost_days(first="%(first)s", last="%(last)s"),
        )
    }
    money = {
        (r.marketplace_id, r.sku, r.currency): r
        for r in sku_money(team, first=first, last=last, home=home, marketplace=marketplace)
    }
    return [_row(sold.get(k), money.get(k), k) for k in sold.keys() | money.keys()]


# --- Sorting ------------------------------------------------------------------------------------

# The columns the table sorts by (its query string's ``sort``, "-" first for descending).
SORTS: dict[str, Callable[[SkuProfit], Any]] = {
    "sku": lambda r: r.sku,
    "marketplace": lambda r: r.marketplace,
    "units": lambda r: r.units,
    "sales": lambda r: r.sales,
    "refunds": lambda r: r.refunds,
    "return_rate": lambda r: r.return_rate,
    "fees": lambda r: r.fees,
    "cost": lambda r: r.cost,
    "profit": lambda r: r.profit,
    "margin": lambda r: r.margin,
    "roi": lambda r: r.roi,
    "profit_home": lambda r: r.profit_home,
}
DEFAULT_SORT = "-profit_home"


def sort_key(asked: str) -> str:
    """The sort asked for, or the default one for an unknown column."""
    return asked if asked.removeprefix("-") in SORTS else DEFAULT_SORT


def sorted_rows(rows: Sequence[SkuProfit], sort: str) -> list[SkuProfit]:
    """Sorted by the column; an incomplete figure (None) sorts last either way, then by SKU."""
    column = sort_key(sort)
    descending = column.startswith("-")
    value = SORTS[column.removeprefix("-")]
    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]
    known.sort(key=lambda r: (r.sku, r.marketplace_id, r.currency))
    known.sort(key=value, reverse=descending)
    unknown.sort(key=lambda r: (r.sku, r.marketplace_id, r.currency))
    return known + unknown


# --- Totals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfitTotal:
    currency: str
    sales: Decimal | None
    profit: Decimal | None  # None when a row's profit is incomplete
    incomplete_rows: int


def totals(rows: Sequence[SkuProfit], home: str) -> tuple[list[ProfitTotal], ProfitTotal]:
    """Per sale currency, and everything in the home currency."""
    by_currency: dict[str, list[SkuProfit]] = {}
    for r in rows:
        by_currency.setdefault(r.currency, []).append(r)

    def add(values: list[Decimal | None]) -> Decimal | None:
        return None if any(v is None for v in values) else sum((v or ZERO for v in values), ZERO)

    per_currency = [
        ProfitTotal(
            currency,
            add([r.sales for r in group]),
            add([r.profit for r in group]),
            sum(1 for r in group if r.profit is None),
        )
        for currency, group in sorted(by_currency.items())
    ]
    home_total = ProfitTotal(
        home,
        add([r.sales_home for r in rows]),
        add([r.profit_home for r in rows]),
        sum(1 for r in rows if r.profit_home is None),
    )
    return per_currency, home_total


# --- Export -------------------------------------------------------------------------------------

EXPORT_HEADER = (
    "sku",
    "marketplace",
    "currency",
    "orders",
    "units",
    "sales",
    "refunds",
    "refund_count",
    "return_rate_pct",
    "amazon_fees",
    "cost_of_goods",
    "units_without_cost",
    "profit",
    "margin_pct",
    "roi_pct",
    "home_currency",
    "sales_home",
    "refunds_home",
    "amazon_fees_home",
    "cost_of_goods_home",
    "profit_home",
)


def export_rows(rows: Sequence[SkuProfit], home: str) -> Iterator[Sequence[Cell]]:
    """One line per row; an incomplete figure is an empty cell, never 0."""
    for r in rows:
        yield (
            r.sku,
            r.marketplace,
            r.currency,
            r.orders,
            r.units,
            r.sales,
            r.refunds,
            r.refund_count,
            r.return_rate,
            r.fees,
            r.cost,
            r.units_missing_cost,
            r.profit,
            r.margin,
            r.roi,
            home,
            r.sales_home,
            r.refunds_home,
            r.fees_home,
            r.cost_home,
            r.profit_home,
        )


def drill_params(row: SkuProfit, first: date, last: date) -> Mapping[str, str]:
    """The filters of the orders and transactions pages that list what is behind a row."""
    return {
        "sku": row.sku,
        "marketplace": row.marketplace_id,
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
    }


# --- The page's query, shared by the page and its export ----------------------------------------


@dataclass(frozen=True)
class ProfitQuery:
    first: date
    last: date
    preset: str
    marketplace: str
    home: str
    sort: str
    form: Any  # the bound OverviewFilterForm, showing the period in force
    kept: dict[str, str]  # the query string that gives this table again

    def rows(self, team: Team) -> list[SkuProfit]:
        return sorted_rows(
            sku_profits(
                team, first=self.first, last=self.last, home=self.home, marketplace=self.marketplace
            ),
            self.sort,
        )


def profit_query(team: Team, data: Mapping[str, Any]) -> ProfitQuery:
    """The period (a standard window or from/to, within the plan's history), the marketplace,
    the sort and the home currency the page is asked for; a bad value falls back to the default."""
    markets = team_marketplaces(team)
    values = OverviewFilterForm(data, marketplaces=markets).filters()
    # Today in the marketplace's zone; for all of them, in the zone they share, else in UTC.
    chosen = [values.marketplace] if values.marketplace else [m for m, _label in markets]
    zones = {zone_name(m) for m in chosen}
    moment = timezone.now()
    today = (
        moment.astimezone(ZoneInfo(zones.pop())).date()
        if len(zones) == 1
        else moment.astimezone(UTC).date()
    )
    period, preset = ov.chosen_period(values, today=today)
    clamped = ov.clamp(period, ov.plan_history_start(today, history_months(team)))
    if clamped != period:
        preset = "custom"
    shown = {k: str(v) for k, v in data.items() if k in ("marketplace", "sort")}
    shown["period"] = preset
    if preset == "custom":
        shown["date_from"], shown["date_to"] = clamped.first.isoformat(), clamped.last.isoformat()
    bound = OverviewFilterForm(shown, marketplaces=markets)
    bound.is_valid()
    sort = sort_key(str(data.get("sort", "")))
    kept = {k: v for k, v in shown.items() if v}
    kept["sort"] = sort
    return ProfitQuery(
        clamped.first,
        clamped.last,
        preset,
        values.marketplace,
        home_currency(team),
        sort,
        bound,
        kept,
    )


def sku_profit_export(team: Team, data: Mapping[str, Any]) -> ExportSource:
    """The table as the page sorts it, every row (not one page)."""
    query = profit_query(team, data)

    def rows() -> Iterator[Sequence[Cell]]:
        yield from export_rows(query.rows(team), query.home)

    return ExportSource(
        kind="sku_profit",
        table=f"profit-{query.first.isoformat()}-{query.last.isoformat()}",
        header=EXPORT_HEADER,
        rows=rows,
        counted=skus_sold_between(team, query.first, query.last),
        params=query.kept,
    )


def _export_for_job(team_id: int, params: Mapping[str, str]) -> ExportSource:
    return sku_profit_export(Team.objects.get(id=team_id), params)


def register() -> None:
    export_register("sku_profit", _export_for_job)
