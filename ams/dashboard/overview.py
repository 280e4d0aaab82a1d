"""Reads for the overview: a period's figures against the previous period of the same length,
per currency, with the rows behind each figure one link away.

Everything comes from read models, never from raw order lines or charges (docs/architecture.md,
"Read models"), through the selectors of the apps that own them: the order days for sales, units,
orders and promotions, the charge days for refunds, Amazon's fees and net proceeds, the SKU days
and SKU summary for top and falling SKUs and the cost of goods, the stock tables (one row per SKU)
for inventory health. This module chooses the periods, compares them and shapes the figures and
the chart. Amounts are never added across currencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ams.amazon import selectors as amazon
from ams.catalog import selectors as catalog
from ams.core.months import months_before
from ams.costing import selectors as costing
from ams.finance import selectors as finance
from ams.finance.selectors import ChargeDaySums, Payout
from ams.inventory import stock_health as inventory_health
from ams.inventory.stock_health import StockHealth
from ams.orders import selectors as orders
from ams.orders.selectors import DayFigures, SummaryState
from ams.procurement import period_costs
from ams.procurement import selectors as procurement
from ams.profit import selectors as profit_selectors
from ams.sync.coverage import Coverage
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


PRESETS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "mtd": "Month to date",
}
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


@dataclass(frozen=True)
class OverviewFilter:
    """The overview's filters (its query string's names): a standard window (``period``, a key of
    ``PRESETS``) or "custom" from ``date_from`` to ``date_to``, and a marketplace."""

    period: str = ""
    date_from: date | None = None
    date_to: date | None = None
    marketplace: str = ""


def chosen_period(values: OverviewFilter, *, today: date) -> tuple[Period, str]:
    """The period the filters ask for, and its preset ("custom" for from/to): a custom period
    needs both dates in order and at most two years; anything else is the default window."""
    preset = values.period or DEFAULT_PRESET
    if preset == "custom":
        first, last = values.date_from, values.date_to
        if first and last and first <= last and (last - first).days < LONGEST_PERIOD_DAYS:
            return Period(first, last), "custom"
        preset = DEFAULT_PRESET
    return preset_period(preset, today=today), preset


def plan_history_start(today: date, history_months: int) -> date:
    """The first day a plan that keeps ``history_months`` of history shows."""
    return months_before(today, history_months) + timedelta(days=1)


def clamp(period: Period, first_day: date | None) -> Period:
    """The period cut to start no earlier than ``first_day`` (never past its own last day)."""
    if first_day is None or period.first >= first_day:
        return period
    return Period(min(first_day, period.last), period.last)


# --- What the synced history holds -------------------------------------------------------------


def first_full_day(moment: datetime, zones: Iterable[ZoneInfo]) -> date:
    """The first local day that starts at or after ``moment`` in every one of ``zones``: the
    first day whose figures the history holds whole."""
    days = []
    for zone in zones:
        local = moment.astimezone(zone)
        days.append(local.date() if local.time() == time(0) else local.date() + timedelta(days=1))
    return max(days, default=moment.date() + timedelta(days=1))


@dataclass(frozen=True)
class FigureState:
    """What a group of figures can honestly show for the period and the previous one."""

    # In place of this period's figure (and the previous one's): "syncing…", "not synced yet".
    waiting: str = ""
    # In place of the previous period's figure when its history is shorter than the period.
    waiting_before: str = ""
    # The first day the history holds, when it falls after the start of the periods compared.
    starts: date | None = None


def _state(
    covered: list[Coverage], period: Period, zones: list[ZoneInfo], plan_from: date | None
) -> FigureState:
    starts = plan_from
    for c in covered:
        day = None if c.history_from is None else first_full_day(c.history_from, zones)
        # A first sync still under way: nothing to show, unless what is read already covers the
        # period (the orders backfill reads from the newest day back).
        if c.waiting and (day is None or day > period.first):
            return FigureState(c.waiting, c.waiting, day)
        if day is not None:
            starts = day if starts is None else max(starts, day)
    previous = period.previous()
    if starts is not None and starts > previous.first:
        return FigureState("", f"history starts {starts:%Y-%m-%d}", starts)
    return FigureState()


# The figures of each family: sales from the orders, money from the transactions, and profit from both.
ORDER_FIGURES = ("sales", "units", "orders", "average_price", "promotions", "cost_of_goods")
MONEY_FIGURES = ("refunds", "fees", "net_proceeds")


def figure_states(
    coverage: dict[str, Coverage],
    period: Period,
    zones: list[ZoneInfo],
    *,
    plan_from: date | None = None,
) -> dict[str, FigureState]:
    """Per figure key, what it can show: a figure of a family not synced yet says so instead of
    a zero, and a previous period that reaches before the history (synced, or the plan's) is not
    compared with."""
    orders_state = _state([coverage["orders"]], period, zones, plan_from)
    money_state = _state([coverage["finances"]], period, zones, plan_from)
    profit_state = _state([coverage["orders"], coverage["finances"]], period, zones, plan_from)
    states = dict.fromkeys(ORDER_FIGURES, orders_state)
    states.update(dict.fromkeys(MONEY_FIGURES, money_state))
    states["profit"] = profit_state
    return states


# The families whose first sync the overview waits for (the ledger feeds the claims page).
OVERVIEW_FAMILIES = ("orders", "finances", "inventory", "listings", "settlements")


def still_waiting(
    coverage: dict[str, Coverage], period: Period, zones: list[ZoneInfo]
) -> list[str]:
    """The families the overview of ``period`` still shows a first-sync placeholder for: its
    figures (``figure_states``) and everything else on it (``Coverage.waiting_recent``). Empty:
    the overview of the period is complete."""
    states = figure_states(coverage, period, zones)
    waiting = {f for f in OVERVIEW_FAMILIES if coverage[f].waiting_recent}
    if any(states[key].waiting for key in ORDER_FIGURES):
        waiting.add("orders")
    if any(states[key].waiting for key in MONEY_FIGURES):
        waiting.add("finances")
    return sorted(waiting)


def shown(figure: Figure, state: FigureState) -> Figure:
    """The figure with what its state forbids taken out, so no change is computed from it."""
    if state.waiting:
        return Figure(None, None)
    if state.waiting_before:
        return replace(figure, previous=None)
    return figure


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
    return Figure(
        value_now if value_now is not None else zero,
        value_before if value_before is not None else zero,
    )


# The order-day measures of the figures.
_DAY_MEASURES = ("orders", "units", "sales", "promotions")


def order_days(team: Team, period: Period, marketplace: str = "") -> list[DayFigures]:
    """Per currency and day of the period and the previous one, the order-day measures: the
    figures add them up and the chart draws them, from one query."""
    return orders.day_figures(team, period.previous().first, period.last, marketplace)


def _sales(period: Period, days: list[DayFigures]) -> dict[str, dict[str, Any]]:
    """Per currency, each measure of the period and of the previous period (``<name>_before``);
    None where no day of that period has a row, as a SQL sum of no rows."""
    result: dict[str, dict[str, Any]] = {}
    for r in days:
        sums = result.setdefault(r.currency, {})
        suffix = "" if r.day >= period.first else "_before"
        for name in _DAY_MEASURES:
            value = getattr(r, name)
            if value is not None:
                key = name + suffix
                sums[key] = value if sums.get(key) is None else sums[key] + value
    return result


def period_money(
    team: Team, period: Period, marketplace: str = "", *, home: str = ""
) -> finance.PeriodMoney:
    """The charges of the period and the previous one (for the figures), also in ``home``, and
    the last payout."""
    return finance.period_money(
        team,
        previous_first=period.previous().first,
        first=period.first,
        last=period.last,
        marketplace=marketplace,
        home=home,
    )


def _money(rows: list[ChargeDaySums]) -> dict[str, dict[str, Decimal]]:
    """Refunds, fees and net proceeds per currency, positive refunds and fees being money out."""
    result: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        sums = result.setdefault(
            r.currency,
            {
                k: Decimal(0)
                for k in (
                    "refunds",
                    "refunds_before",
                    "fees",
                    "fees_before",
                    "net",
                    "net_before",
                )
            },
        )
        for suffix, amount in (("", r.now or Decimal(0)), ("_before", r.before or Decimal(0))):
            sums["net" + suffix] += amount
            # Fees net of the fees Amazon gives back with a refund: what the seller paid.
            if r.kind == FEE_KIND:
                sums["fees" + suffix] -= amount
            # What went back to buyers: the sales side of refund transactions.
            if r.transaction_type == REFUND_TYPE and r.category == SALES_CATEGORY:
                sums["refunds" + suffix] -= amount
    return result


def _priced_windows(
    team: Team,
    period: Period,
    marketplace: str,
    window: str,
    *,
    summary: SummaryState | None = None,
) -> dict[tuple[str, bool], tuple[Decimal, int, int]] | None:
    """The standard window's cost of goods as priced ahead (``ams.procurement.window_costs``), or
    None unless every SKU summary row has its priced row for the window ending on the period's
    last day; otherwise (a summary not refreshed today, costs written around the services) the
    live pricing answers, with the same figures. ``summary``: the summary's state, when the
    caller has read it already."""
    rows = procurement.priced_windows(
        team, WINDOWS[window], last=period.last, marketplace=marketplace
    )
    if summary is None:
        summary = orders.summary_state(team, marketplace)
    if not rows or not all(r.fresh for r in rows) or sum(r.rows for r in rows) != summary.rows:
        return None
    result: dict[tuple[str, bool], tuple[Decimal, int, int]] = {}
    for r in rows:
        # As the live pricing: a side appears only when something was sold in it.
        if r.units:
            result[(r.currency, True)] = (
                Decimal(r.cost).quantize(CENT),
                r.skus_missing,
                r.units_missing,
            )
        if r.units_before:
            result[(r.currency, False)] = (
                Decimal(r.cost_before).quantize(CENT),
                r.skus_missing_before,
                r.units_missing_before,
            )
    return result


def _cost_of_goods(
    team: Team,
    period: Period,
    previous: Period,
    marketplace: str,
    window: str | None,
    *,
    summary: SummaryState | None = None,
) -> dict[tuple[str, bool], tuple[Decimal, int, int]]:
    """Per (currency, period or previous period): the cost of goods, and the SKUs and units sold
    without a cost. The standard windows read the prices kept ahead when they are current; a team
    whose sales take from cost batches (``ams.costing``) is read from the profit read model, which
    prices them by their batches, for every period."""
    by_rule_only = window is not None and not costing.has_batches(team)
    if (
        by_rule_only
        and window is not None
        and (priced := _priced_windows(team, period, marketplace, window, summary=summary))
        is not None
    ):
        return priced
    if by_rule_only and window is not None:
        rows = [
            (r.currency, r.now, r.cost, r.skus_missing, r.units_missing)
            for r in period_costs.cost_of_goods(
                team,
                first=period.first,
                last=period.last,
                previous_first=previous.first,
                marketplace=marketplace,
                window=WINDOWS[window],
            )
        ]
        return {
            (currency, now): ((cost or Decimal(0)).quantize(CENT), skus, units)
            for currency, now, cost, skus, units in rows
        }
    return live_cost_of_goods(team, period, previous, marketplace)[0]


def live_cost_of_goods(
    team: Team, period: Period, previous: Period, marketplace: str = ""
) -> tuple[
    dict[tuple[str, bool], tuple[Decimal, int, int]], dict[tuple[str, bool], Decimal | None]
]:
    """Any period's cost of goods as ``_cost_of_goods`` gives it, from the units already priced in
    the profit read model; and the same in the team's home currency (None without a day's rate)."""
    rows = profit_selectors.cost_of_goods(
        team,
        first=period.first,
        last=period.last,
        previous_first=previous.first,
        marketplace=marketplace,
    )
    return (
        {
            (r.currency, r.now): (r.cost.quantize(CENT), r.skus_missing, r.units_missing)
            for r in rows
        },
        {
            (r.currency, r.now): None if r.cost_home is None else r.cost_home.quantize(CENT)
            for r in rows
        },
    )


def figures(
    team: Team,
    period: Period,
    marketplace: str = "",
    *,
    window: str | None = None,
    days: list[DayFigures] | None = None,
    summary: SummaryState | None = None,
    money: finance.PeriodMoney | None = None,
    goods: dict[tuple[str, bool], tuple[Decimal, int, int]] | None = None,
) -> list[CurrencyFigures]:
    """The period's figures per currency. ``window`` names the standard window (a key of
    ``PRESETS``) the period is, so per-SKU figures can come from the SKU summary; ``days`` (the
    ``order_days``), ``summary`` (the ``summary_state``), ``money`` (the ``period_money``) and
    ``goods`` (the ``live_cost_of_goods``) of the period, when the caller has read them already."""
    previous = period.previous()
    sales = _sales(period, order_days(team, period, marketplace) if days is None else days)
    charges = _money((period_money(team, period, marketplace) if money is None else money).charges)
    if goods is None:
        goods = _cost_of_goods(team, period, previous, marketplace, window, summary=summary)
    result = []
    for currency in sorted(set(sales) | set(charges) | {c for c, _now in goods}):
        f = CurrencyFigures(currency)
        s = sales.get(currency, {})
        f.sales = _both(s.get("sales"), s.get("sales_before"), Decimal(0))
        f.units = _both(s.get("units"), s.get("units_before"), 0)
        f.orders = _both(s.get("orders"), s.get("orders_before"), 0)
        f.promotions = _both(s.get("promotions"), s.get("promotions_before"), Decimal(0))
        f.average_price = Figure(
            *(
                (Decimal(amount or 0) / units).quantize(CENT) if units else None
                for amount, units in (
                    (f.sales.current, f.units.current),
                    (f.sales.previous, f.units.previous),
                )
            )
        )
        m = charges.get(currency, {})
        f.refunds = _both(m.get("refunds"), m.get("refunds_before"), Decimal(0))
        f.fees = _both(m.get("fees"), m.get("fees_before"), Decimal(0))
        f.net_proceeds = _both(m.get("net"), m.get("net_before"), Decimal(0))
        now_goods = goods.get((currency, True), (Decimal(0), 0, 0))
        before_goods = goods.get((currency, False), (Decimal(0), 0, 0))
        f.cost_of_goods = Figure(now_goods[0], before_goods[0])
        f.skus_missing_cost = Figure(now_goods[1], before_goods[1])
        f.units_missing_cost = Figure(now_goods[2], before_goods[2])
        # Profit only where every unit sold has a cost: a missing cost is never a cost of zero.
        f.profit = Figure(
            *(
                (Decimal(net or 0) - cost) if not missing else None
                for net, (cost, missing, _units) in (
                    (f.net_proceeds.current, now_goods),
                    (f.net_proceeds.previous, before_goods),
                )
            )
        )
        result.append(f)
    return result


# --- Charts: sales and units by day -----------------------------------------------------------


def daily_series(
    team: Team, period: Period, marketplace: str = "", *, days: list[DayFigures] | None = None
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
        if (data := series.get(r.currency)) is None:
            data = series[r.currency] = {
                "days": [d.isoformat() for d in days_shown],
                "sales": [0.0] * period.days,
                "units": [0] * period.days,
                "previous_sales": [0.0] * period.days,
                "previous_units": [0] * period.days,
            }
        if r.day >= period.first:
            i, prefix = (r.day - period.first).days, ""
        else:
            i, prefix = (r.day - previous.first).days, "previous_"
        # Floats only for drawing: the figures above stay Decimal.
        data[prefix + "sales"][i] = float(r.sales or 0)
        data[prefix + "units"][i] = r.units or 0
    return dict(sorted(series.items()))


# --- Top and falling SKUs ---------------------------------------------------------------------


def sku_moves(
    team: Team,
    period: Period,
    marketplace: str = "",
    *,
    window: str | None = None,
    one_source: bool = False,
) -> dict[str, dict[str, list[orders.SkuMoveRow]]]:
    """Per currency: the period's best sellers by sales, and the SKUs whose units fell most
    against the previous period; from the SKU summary for a standard ``window``. ``one_source``:
    the summary's rows (under the marketplace filter) all come from one connection and
    marketplace (``summary_state``), so each row is a SKU's and needs no adding up."""
    rows = orders.sku_moves(
        team,
        first=period.first,
        last=period.last,
        previous_first=period.previous().first,
        marketplace=marketplace,
        window=None if window is None else WINDOWS[window],
        one_source=one_source,
        n=TOP_SKUS,
    )
    result: dict[str, dict[str, list[orders.SkuMoveRow]]] = {}
    for r in rows:
        lists = result.setdefault(r.currency, {"top": [], "falling": []})
        if r.top:
            lists["top"].append(r)
        if r.falling:
            lists["falling"].append(r)
    for lists in result.values():
        lists["top"].sort(key=lambda m: (-m.sales, -m.units, m.sku))
        lists["falling"].sort(key=lambda m: (m.units_change, m.sales - m.sales_before, m.sku))
    return dict(sorted(result.items()))


# --- Inventory health -------------------------------------------------------------------------


def stock_health(
    team: Team, marketplace: str = "", *, lead_time_days: int = DEFAULT_LEAD_TIME_DAYS
) -> StockHealth:
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
    return amazon.team_markets(team)


def team_currencies(markets: list[tuple[str, str]], marketplace: str = "") -> list[str]:
    return sorted({currency for m, currency in markets if not marketplace or m == marketplace})


@dataclass(frozen=True)
class Counts:
    suppressed: int  # listings Amazon suppressed
    payout: Payout | None  # the last settlement deposited


def counts(team: Team) -> Counts:
    """The page's small counts: each is an index probe or a count of a few rows."""
    return Counts(suppressed=catalog.suppressed_count(team), payout=finance.last_payout(team))


def summary_state(team: Team, marketplace: str = "") -> SummaryState:
    """The SKU summary's day (``as_of``, with the last orders sync) and whether it has one source."""
    return orders.summary_state(team, marketplace)
