"""The profit and loss statement of a period, per currency, against the period before it.

Amazon's money is counted as Amazon posted it (the charges' day rollup, ``finance_chargeday``), by
its own breakdown: sales, refunds, reimbursements, fees by kind, advertising, tax withheld. Cost of
goods is the units sold in the period at the cost valid on each order's day (the overview's rule),
and the seller's expenses are each charge of ``ams.expenses`` on its day. Net profit is known only
where every unit sold has a cost: a missing cost is never a cost of zero.

A month, quarter or year compares with the calendar one before it; a custom period with as many
days just before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ams.dashboard import overview as ov
from ams.expenses.selectors import expense_totals
from ams.finance.selectors import ChargeDaySums
from ams.orders.selectors import home_currency
from ams.teams.models import Team

ZERO = Decimal(0)


@dataclass(frozen=True)
class CalendarPeriod(ov.Period):
    """A month, quarter or year, whose previous period is the calendar one before it."""

    previous_first: date = date.min

    def previous(self) -> ov.Period:
        return ov.Period(self.previous_first, self.first - timedelta(days=1))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def calendar_period(kind: str, today: date, *, back: int = 0) -> CalendarPeriod:
    """This ("back" 0) or an earlier month, quarter or year, up to its last day or today."""
    if kind == "month":
        first = _months_back(today.replace(day=1), back)
        previous_first = _months_back(first, 1)
        following = _months_back(first, -1)
    elif kind == "quarter":
        start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        first = _months_back(start, 3 * back)
        previous_first = _months_back(first, 3)
        following = _months_back(first, -3)
    elif kind == "year":
        first = date(today.year - back, 1, 1)
        previous_first = date(first.year - 1, 1, 1)
        following = date(first.year + 1, 1, 1)
    else:
        raise ValueError(f"not a calendar period: {kind}")
    last = min(following - timedelta(days=1), today)
    return CalendarPeriod(first, last, previous_first=previous_first)


# Where each of Amazon's breakdowns goes, and what it is called.
REVENUE, AMAZON, GOODS, EXPENSES = "revenue", "amazon", "goods", "expenses"
SECTIONS = {
    REVENUE: "Sales and what Amazon gave back",
    AMAZON: "Amazon's charges",
    GOODS: "Cost of goods sold",
    EXPENSES: "Other expenses",
}
_KIND_LABELS = {
    "ProductCharges": "Product sales",
    "Promotion": "Promotions",
    "Shipping": "Shipping charged",
    "Tax": "Tax",
    "AmazonFees": "Amazon fees",
}
ADVERTISING_TYPES = frozenset({"ProductAdsPayment", "ServiceFee:Advertising"})


def line_of(r: ChargeDaySums) -> tuple[str, str, str]:
    """(section, key, label) of one rollup row."""
    refund = r.transaction_type == ov.REFUND_TYPE
    if r.transaction_type in ADVERTISING_TYPES or "Advertising" in r.kind:
        return AMAZON, "advertising", "Advertising (Amazon Ads)"
    if r.category == ov.SALES_CATEGORY:
        if refund:
            return REVENUE, "refunds", "Refunds to buyers"
        return REVENUE, f"sales:{r.kind}", _KIND_LABELS.get(r.kind, r.kind or "Sales")
    if r.category.startswith("Reimbursement"):
        return REVENUE, "reimbursements", "Reimbursements from Amazon"
    if r.kind == ov.FEE_KIND:
        if refund:
            return AMAZON, "fees_refunded", "Fees given back with refunds"
        return AMAZON, "fees", "Amazon fees"
    if r.kind == "Tax":
        return AMAZON, "tax_withheld", "Tax Amazon collects and pays"
    label = " / ".join(part for part in (r.category, r.kind) if part) or r.transaction_type
    return AMAZON, f"other:{r.category}:{r.kind}", label


def _zero() -> ov.Figure:
    return ov.Figure(ZERO, ZERO)


@dataclass
class Line:
    section: str
    key: str
    label: str
    figure: ov.Figure = field(default_factory=_zero)
    # The same in the team's home currency, each day at its ECB rate; None where a day had none.
    home: ov.Figure = field(default_factory=_zero)


@dataclass
class Statement:
    currency: str
    lines: list[Line]
    net_proceeds: ov.Figure
    cost_of_goods: ov.Figure
    expenses: ov.Figure
    net_profit: ov.Figure
    skus_missing_cost: ov.Figure
    home: str = ""
    net_proceeds_home: ov.Figure = field(default_factory=_zero)
    cost_of_goods_home: ov.Figure = field(default_factory=_zero)
    expenses_home: ov.Figure = field(default_factory=_zero)
    net_profit_home: ov.Figure = field(default_factory=_zero)


def _add(figure: ov.Figure, now: Decimal | int | None, before: Decimal | int | None) -> None:
    figure.current = Decimal(figure.current or 0) + Decimal(now or 0)
    figure.previous = Decimal(figure.previous or 0) + Decimal(before or 0)


def _plus(a: Decimal | int | None, b: Decimal | int | None) -> Decimal | None:
    """A sum that an unknown part leaves unknown: incomplete, never short."""
    return None if a is None or b is None else Decimal(a) + Decimal(b)


def _add_home(figure: ov.Figure, now: Decimal | int | None, before: Decimal | int | None) -> None:
    figure.current = _plus(figure.current, now)
    figure.previous = _plus(figure.previous, before)


def _charge_lines(rows: Iterable[ChargeDaySums]) -> dict[str, dict[str, Line]]:
    found: dict[str, dict[str, Line]] = {}
    for r in rows:
        section, key, label = line_of(r)
        line = found.setdefault(r.currency, {}).setdefault(key, Line(section, key, label))
        _add(line.figure, r.now, r.before)
        # A side with no row in the period adds nothing, in any currency.
        _add_home(
            line.home,
            r.now_home if r.now is not None else ZERO,
            r.before_home if r.before is not None else ZERO,
        )
    return found


def _net_profit(
    net: ov.Figure, goods: ov.Figure, spent: ov.Figure, missing: ov.Figure
) -> ov.Figure:
    """Net proceeds less cost of goods less other expenses; known only where every unit has a cost."""
    return ov.Figure(
        *(
            None
            if missing_skus or n is None or g is None or s is None
            else Decimal(n) - Decimal(g) - Decimal(s)
            for n, g, s, missing_skus in (
                (net.current, goods.current, spent.current, missing.current),
                (net.previous, goods.previous, spent.previous, missing.previous),
            )
        )
    )


def statements(team: Team, period: ov.Period) -> list[Statement]:
    """The period's statement of every currency the team was paid, sold or spent in, each line
    also in the team's home currency."""
    home = home_currency(team)
    previous = period.previous()
    money = ov.period_money(team, period, home=home)
    goods, goods_home = ov.live_cost_of_goods(team, period, previous)
    figures = {f.currency: f for f in ov.figures(team, period, money=money, goods=goods)}
    charges = _charge_lines(money.charges)
    spent_now = expense_totals(team, period.first, period.last, home=home)
    spent_before = expense_totals(team, previous.first, previous.last, home=home)
    expense_lines: dict[str, dict[str, Line]] = {}
    for totals, now in ((spent_now, True), (spent_before, False)):
        for t in totals:
            line = expense_lines.setdefault(t.currency, {}).setdefault(
                t.category, Line(EXPENSES, f"expense:{t.category}", t.label)
            )
            _add(line.figure, t.amount if now else 0, 0 if now else t.amount)
            _add_home(line.home, t.amount_home if now else ZERO, ZERO if now else t.amount_home)
    result = []
    for currency in sorted(set(figures) | set(charges) | set(expense_lines)):
        f = figures.get(currency) or ov.CurrencyFigures(currency)
        posted = sorted(charges.get(currency, {}).values(), key=_order)
        net, net_home = _zero(), _zero()
        for line in posted:
            _add(net, line.figure.current, line.figure.previous)
            _add_home(net_home, line.home.current, line.home.previous)
        cost = ov.Figure(f.cost_of_goods.current or ZERO, f.cost_of_goods.previous or ZERO)
        cost_home = ov.Figure(
            goods_home.get((currency, True), ZERO), goods_home.get((currency, False), ZERO)
        )
        spent_lines = sorted(expense_lines.get(currency, {}).values(), key=lambda x: x.label)
        spent, spent_home = _zero(), _zero()
        for line in spent_lines:
            _add(spent, line.figure.current, line.figure.previous)
            _add_home(spent_home, line.home.current, line.home.previous)
        missing = f.skus_missing_cost
        goods_line = Line(GOODS, "cost_of_goods", "Units sold at their cost", cost, cost_home)
        result.append(
            Statement(
                currency=currency,
                lines=[*posted, goods_line, *spent_lines],
                net_proceeds=net,
                cost_of_goods=cost,
                expenses=spent,
                net_profit=_net_profit(net, cost, spent, missing),
                skus_missing_cost=missing,
                home=home,
                net_proceeds_home=net_home,
                cost_of_goods_home=cost_home,
                expenses_home=spent_home,
                net_profit_home=_net_profit(net_home, cost_home, spent_home, missing),
            )
        )
    return result


def home_statement(found: list[Statement]) -> Statement | None:
    """Every currency's statement together in the home currency, line by line: a line with a
    day that has no rate is incomplete (None), never counted as 0. None without statements."""
    if not found:
        return None
    home = found[0].home
    lines: dict[str, Line] = {}
    for statement in found:
        for line in statement.lines:
            combined = lines.setdefault(line.key, Line(line.section, line.key, line.label))
            _add_home(combined.figure, line.home.current, line.home.previous)
    missing = ov.Figure(
        sum(int(s.skus_missing_cost.current or 0) for s in found),
        sum(int(s.skus_missing_cost.previous or 0) for s in found),
    )
    totals = []
    for name in ("net_proceeds_home", "cost_of_goods_home", "expenses_home"):
        total = _zero()
        for s in found:
            part: ov.Figure = getattr(s, name)
            _add_home(total, part.current, part.previous)
        totals.append(total)
    net, cost, spent = totals
    ordered = sorted(lines.values(), key=_order)
    for line in ordered:
        line.home = line.figure
    return Statement(
        currency=home,
        lines=ordered,
        net_proceeds=net,
        cost_of_goods=cost,
        expenses=spent,
        net_profit=_net_profit(net, cost, spent, missing),
        skus_missing_cost=missing,
        home=home,
        net_proceeds_home=net,
        cost_of_goods_home=cost,
        expenses_home=spent,
        net_profit_home=_net_profit(net, cost, spent, missing),
    )


_SECTION_ORDER = {REVENUE: 0, AMAZON: 1, GOODS: 2, EXPENSES: 3}
_KEY_ORDER = {"sales:ProductCharges": 0, "sales:Promotion": 1, "refunds": 8, "reimbursements": 9}


def _order(line: Line) -> tuple[int, int, str]:
    return (_SECTION_ORDER[line.section], _KEY_ORDER.get(line.key, 5), line.label)
