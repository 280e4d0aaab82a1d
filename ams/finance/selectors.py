"""Reads of the money pages: transactions with their charges, the fee breakdown, and an order's
money (its transactions and the settlements that paid it out).

Dates are marketplace-local days, as everywhere in AMS: a transaction's day is its posted instant
in its marketplace's zone (UTC without a marketplace), the same rule the charges rollup uses for
its months, so a figure of the fee breakdown and the transactions it links to always agree.
Totals are per currency, never added across currencies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast

from ams.core.exchange_rates import rate_joins
from ams.core.marketplaces import DEFAULT_ZONE, TIME_ZONES
from ams.core.sorting import Sorting
from ams.finance.models import (
    Charge,
    ChargeSkuMonth,
    Reimbursement,
    Settlement,
    SettlementLine,
    Transaction,
)
from ams.teams.models import Team

# Amazon's fees, as the finances sync files them: Expenses / AmazonFees / <fee type>.
FEE_KIND = "AmazonFees"
# What the buyer paid for the goods: Sales / ProductCharges / Principal.
SALES = {"category": "Sales", "kind": "ProductCharges", "description": "Principal"}
# Filters that select charges (a transaction matches when one of its charges does).
CHARGE_FILTERS = ("category", "kind", "charge", "sku")


@dataclass(frozen=True)
class TransactionFilter:
    """The transactions page's filters (its query string's names); empty values filter nothing."""

    date_from: date | None = None
    date_to: date | None = None
    type: str = ""
    status: str = ""
    marketplace: str = ""
    currency: str = ""
    order: str = ""
    settlement: str = ""
    category: str = ""  # the charge filters: a transaction matches when one of its charges does
    kind: str = ""
    charge: str = ""
    sku: str = ""  # "-": charges of no single SKU
    sort: str = ""  # a key of TRANSACTION_SORTING, "-" first for descending; "" the default


@dataclass(frozen=True)
class FeeFilter:
    """The fee breakdown's filters; the months are whole local months (their first days)."""

    month_from: date | None = None
    month_to: date | None = None
    marketplace: str = ""
    currency: str = ""
    sort: str = ""  # the SKU table's: a key of FEE_SKU_SORTING, "-" first for descending


@dataclass(frozen=True)
class SettlementFilter:
    """The settlements page's filters; ``reconciliation`` is reconciled, mismatch or pending."""

    deposit_from: date | None = None
    deposit_to: date | None = None
    reconciliation: str = ""
    currency: str = ""
    sort: str = ""  # a key of SETTLEMENT_SORTING, "-" first for descending; "" the default


TRANSACTION_SORTING = Sorting(
    {
        "transaction": ("transaction_id",),
        "posted": ("posted_at",),
        "type": ("transaction_type",),
        "status": ("status",),
        "marketplace": ("marketplace_id",),
        "order": ("order_id",),
        "settlement": ("settlement_id",),
        "total": ("total_amount",),
    },
    default="-posted",
)
# The fee breakdown's SKU table: rows grouped by (currency, SKU), so no id to break ties with.
# By default per currency, largest fees first (fees are negative amounts).
FEE_SKU_SORTING = Sorting(
    {"sku": ("sku",), "currency": ("currency",), "total": ("total",)},
    default="total",
    tiebreak=("currency", "sku"),
    default_order=("currency", "total", "sku"),
)
# Newest deposit first, those not paid out yet last.
SETTLEMENT_SORTING = Sorting(
    {
        "settlement": ("settlement_id",),
        "period": ("starts_at",),
        "deposit": ("deposit_at",),
        "total": ("total_amount",),
        "lines": ("line_count",),
        "reconciliation": ("lines_reconciled", "transactions_reconciled"),
    },
    default="-deposit",
)
SETTLEMENT_LINE_SORTING = Sorting(
    {
        "line": ("line_number",),
        "type": ("transaction_type",),
        "order": ("order_id",),
        "sku": ("sku",),
        "amount_type": ("amount_type",),
        "description": ("amount_description",),
        "amount": ("amount",),
        "posted": ("posted_at",),
    },
    default="line",
)


# --- local days -----------------------------------------------------------------------------------


def local_day() -> Func:
    """A row's posted day in its marketplace's zone (``posted_at`` and ``marketplace_id``)."""
    zone_of = Case(
        *(When(marketplace_id=m, then=Value(name)) for m, name in TIME_ZONES.items()),
        default=Value(DEFAULT_ZONE),
        output_field=CharField(),
    )
    # timezone(zone, timestamptz) is the wall-clock time there, whose date is the local day.
    return Cast(
        Func(zone_of, F("posted_at"), function="timezone", output_field=DateTimeField()),
        DateField(),
    )


def posted_on_days(
    qs: QuerySet[Transaction], first: date | None, last: date | None
) -> QuerySet[Transaction]:
    """Transactions posted on the local days ``first`` … ``last``.

    A UTC range a day wider on each side than any zone is away from UTC lets the index on
    ``posted_at`` narrow the rows; the local day then decides exactly.
    """
    if first is None and last is None:
        return qs
    qs = qs.alias(local_day=local_day())
    if first is not None:
        qs = qs.filter(
            posted_at__gte=datetime.combine(first - timedelta(days=1), time.min, tzinfo=UTC),
            local_day__gte=first,
        )
    if last is not None:
        qs = qs.filter(
            posted_at__lt=datetime.combine(last + timedelta(days=2), time.min, tzinfo=UTC),
            local_day__lte=last,
        )
    return qs


# --- transactions ---------------------------------------------------------------------------------


def _charge_condition(filters: TransactionFilter) -> Q | None:
    condition = Q()
    if filters.category:
        condition &= Q(category=filters.category)
    if filters.kind:
        condition &= Q(kind=filters.kind)
    if filters.charge:
        condition &= Q(description=filters.charge)
    if filters.sku:
        # "-" stands for charges of no single SKU (storage, subscription), which have an empty SKU.
        condition &= Q(sku="" if filters.sku == "-" else filters.sku)
    return condition if condition else None


def _matching_charges(team: Team, filters: TransactionFilter) -> QuerySet[Charge] | None:
    condition = _charge_condition(filters)
    if condition is None:
        return None
    charges = Charge.objects.filter(team=team).filter(condition)
    # Charges carry their transaction's posted instant: the same wide UTC range narrows them.
    if filters.date_from:
        charges = charges.filter(
            posted_at__gte=datetime.combine(
                filters.date_from - timedelta(days=1), time.min, tzinfo=UTC
            )
        )
    if filters.date_to:
        charges = charges.filter(
            posted_at__lt=datetime.combine(
                filters.date_to + timedelta(days=2), time.min, tzinfo=UTC
            )
        )
    return charges


def transactions(team: Team, filters: TransactionFilter) -> QuerySet[Transaction]:
    """The team's transactions for the filters, newest first (paginated on the posted index)."""
    qs = posted_on_days(Transaction.objects.filter(team=team), filters.date_from, filters.date_to)
    if filters.type:
        qs = qs.filter(transaction_type=filters.type)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.marketplace:
        qs = qs.filter(marketplace_id=filters.marketplace)
    if filters.currency:
        qs = qs.filter(currency=filters.currency.upper())
    if filters.order:
        qs = qs.filter(order_id=filters.order)
    if filters.settlement:
        qs = qs.filter(settlement_id=filters.settlement)
    charges = _matching_charges(team, filters)
    if charges is not None:
        qs = qs.filter(transaction_id__in=charges.values("transaction_id"))
    return TRANSACTION_SORTING.apply(qs, filters.sort)


def _amount(value: Decimal | None) -> Decimal:
    """A sum, with its cents (``or Decimal(0)`` would turn 0.00 into 0)."""
    return Decimal("0.00") if value is None else value


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    amount: Decimal


def transaction_totals(team: Team, filters: TransactionFilter) -> list[CurrencyTotal]:
    """Number and net amount of the filtered transactions, per currency."""
    rows = (
        transactions(team, filters)
        .order_by()
        .values("currency")
        .annotate(n=Count("id"), amount=Sum("total_amount"))
    )
    return [
        CurrencyTotal(r["currency"], r["n"], _amount(r["amount"]))
        for r in rows.order_by("currency")
    ]


def matching_charge_totals(team: Team, filters: TransactionFilter) -> list[CurrencyTotal] | None:
    """With a charge filter (type, SKU…): the matching charges of the filtered transactions, per
    currency. This is the figure the fee breakdown links from, so the two can be compared."""
    charges = _matching_charges(team, filters)
    if charges is None:
        return None
    matched = charges.filter(
        transaction_id__in=transactions(team, filters).values("transaction_id")
    )
    rows = (
        matched.order_by()
        .values("currency")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by("currency")
    )
    return [CurrencyTotal(r["currency"], r["n"], _amount(r["amount"])) for r in rows]


def charges_by_transaction(
    team: Team, page: Iterable[Transaction]
) -> dict[tuple[int, str], list[Charge]]:
    """The charges of a page of transactions, in one query."""
    keys = {(t.connection_id, t.transaction_id) for t in page}
    found: dict[tuple[int, str], list[Charge]] = defaultdict(list)
    if not keys:
        return found
    charges = Charge.objects.filter(
        team=team,
        connection_id__in={c for c, _t in keys},
        transaction_id__in=[t for _c, t in keys],
    ).order_by("transaction_id", "position")
    for charge in charges:
        key = (charge.connection_id, charge.transaction_id)
        if key in keys:
            found[key].append(charge)
    return found


def settlement_ids(team: Team, page: Iterable[Transaction]) -> dict[tuple[int, str], int]:
    """The AMS id of each settlement a page of transactions names, for the links."""
    wanted = {(t.connection_id, t.settlement_id) for t in page if t.settlement_id}
    if not wanted:
        return {}
    rows = Settlement.objects.filter(
        team=team, settlement_id__in={s for _c, s in wanted}
    ).values_list("connection_id", "settlement_id", "id")
    return {(c, s): pk for c, s, pk in rows if (c, s) in wanted}


# --- fee breakdown --------------------------------------------------------------------------------


@dataclass
class FeeType:
    currency: str
    category: str
    kind: str
    description: str
    amount: Decimal
    charges: int


@dataclass
class SkuFees:
    currency: str
    sku: str
    by_type: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal(0)
    sales: Decimal | None = None

    @property
    def share(self) -> Decimal | None:
        """Fees as a percentage of the product sales of the period (None without sales)."""
        if not self.sales:
            return None
        return (-self.total * 100 / self.sales).quantize(Decimal("0.1"))


@dataclass
class FeeBreakdown:
    first_month: date
    last_month: date
    totals: list[CurrencyTotal]
    sales: dict[str, Decimal]
    by_type: list[FeeType]
    sku_totals: QuerySet[ChargeSkuMonth, dict[str, Any]]
    types: list[str]  # the fee types of the period, largest first: the columns of the SKU table

    def share(self, currency: str) -> Decimal | None:
        sales = self.sales.get(currency)
        total = next((t.amount for t in self.totals if t.currency == currency), None)
        if not sales or total is None:
            return None
        return (-total * 100 / sales).quantize(Decimal("0.1"))


def month_end(month: date) -> date:
    """The last day of ``month``'s month."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _period(
    team: Team, filters: FeeFilter, first_month: date, last_month: date
) -> QuerySet[ChargeSkuMonth]:
    rollup = ChargeSkuMonth.objects.filter(team=team, month__gte=first_month, month__lte=last_month)
    if filters.marketplace:
        rollup = rollup.filter(marketplace_id=filters.marketplace)
    if filters.currency:
        rollup = rollup.filter(currency=filters.currency.upper())
    return rollup


def fee_breakdown(
    team: Team, filters: FeeFilter, *, first_month: date, last_month: date
) -> FeeBreakdown:
    """Amazon's fees over whole local months, by type, from the charges rollup; ``sku_totals`` is
    the per-SKU table to paginate in SQL (a long-tail catalogue has thousands of rows), whose
    page ``sku_fees`` then splits by type."""
    rollup = _period(team, filters, first_month, last_month)
    fees = rollup.filter(kind=FEE_KIND)
    by_type = [
        FeeType(
            r["currency"],
            r["category"],
            r["kind"],
            r["description"],
            _amount(r["amount"]),
            r["charges"] or 0,
        )
        for r in fees.values("currency", "category", "kind", "description")
        .annotate(amount=Sum("amount"), charges=Sum("charges"))
        .order_by("currency", "amount", "description")
    ]
    totals: dict[str, CurrencyTotal] = {}
    for t in by_type:
        before = totals.get(t.currency, CurrencyTotal(t.currency, 0, Decimal(0)))
        totals[t.currency] = CurrencyTotal(
            t.currency, before.count + t.charges, before.amount + t.amount
        )
    sales = {
        r["currency"]: _amount(r["amount"])
        for r in rollup.filter(**SALES).values("currency").annotate(amount=Sum("amount")).order_by()
    }
    type_totals: dict[str, Decimal] = defaultdict(Decimal)
    for t in by_type:
        type_totals[t.description] += abs(t.amount)
    return FeeBreakdown(
        first_month=first_month,
        last_month=last_month,
        totals=[totals[c] for c in sorted(totals)],
        sales=sales,
        by_type=by_type,
        sku_totals=FEE_SKU_SORTING.apply(
            fees.values("currency", "sku").annotate(total=Sum("amount")), filters.sort
        ),
        types=sorted(type_totals, key=lambda d: (-type_totals[d], d)),
    )


def sku_fees(
    team: Team,
    filters: FeeFilter,
    *,
    first_month: date,
    last_month: date,
    page: Iterable[dict[str, Any]],
) -> list[SkuFees]:
    """One page of the per-SKU table: each SKU's fees by type and its product sales."""
    rows = {
        (r["currency"], r["sku"]): SkuFees(r["currency"], r["sku"], total=_amount(r["total"]))
        for r in page
    }
    if not rows:
        return []
    rollup = _period(team, filters, first_month, last_month).filter(
        sku__in={sku for _c, sku in rows}
    )
    for r in (
        rollup.filter(kind=FEE_KIND)
        .values("currency", "sku", "description")
        .annotate(amount=Sum("amount"))
        .order_by()
    ):
        row = rows.get((r["currency"], r["sku"]))
        if row is not None:
            row.by_type[r["description"]] = _amount(r["amount"])
    for r in (
        rollup.filter(**SALES).values("currency", "sku").annotate(amount=Sum("amount")).order_by()
    ):
        row = rows.get((r["currency"], r["sku"]))
        if row is not None:
            row.sales = _amount(r["amount"])
    return list(rows.values())


def fee_rows(
    team: Team, filters: FeeFilter, *, first_month: date, last_month: date
) -> QuerySet[ChargeSkuMonth]:
    """The rollup rows of the fee breakdown, for its export (one row per month, type and SKU)."""
    qs = ChargeSkuMonth.objects.filter(
        team=team, month__gte=first_month, month__lte=last_month, kind=FEE_KIND
    )
    if filters.marketplace:
        qs = qs.filter(marketplace_id=filters.marketplace)
    if filters.currency:
        qs = qs.filter(currency=filters.currency.upper())
    return qs.order_by("month", "marketplace_id", "currency", "description", "sku")


# --- one order's money ----------------------------------------------------------------------------


@dataclass
class OrderSettlement:
    settlement: Settlement | None
    settlement_id: str
    currency: str
    amount: Decimal  # this order's lines in the settlement
    lines: int


@dataclass
class OrderMoney:
    transactions: list[Transaction]
    charges: dict[tuple[int, str], list[Charge]]
    settlements: list[OrderSettlement]

    @property
    def shipments(self) -> list[Transaction]:
        return [t for t in self.transactions if t.transaction_type == "Shipment"]

    @property
    def refunds(self) -> list[Transaction]:
        return [t for t in self.transactions if t.transaction_type == "Refund"]

    def charges_of(self, kinds: Iterable[Transaction]) -> list[Charge]:
        return [c for t in kinds for c in self.charges.get((t.connection_id, t.transaction_id), [])]

    def fees_by_sku(self, kinds: Iterable[Transaction]) -> dict[str, Decimal]:
        """Amazon's fees in the charges of these transactions, per SKU, as positive amounts."""
        fees: dict[str, Decimal] = {}
        for c in self.charges_of(kinds):
            if c.kind == FEE_KIND:
                fees[c.sku] = fees.get(c.sku, Decimal(0)) - c.amount
        return fees

    def net(self) -> dict[str, Decimal]:
        """What Amazon paid (or took) for this order, per currency: every transaction's total."""
        result: dict[str, Decimal] = defaultdict(Decimal)
        for t in self.transactions:
            result[t.currency] += t.total_amount
        return dict(result)


def _paid_out_order(found: OrderSettlement) -> tuple[bool, float, str]:
    deposit = found.settlement.deposit_at if found.settlement is not None else None
    return (
        deposit is None,
        deposit.timestamp() if deposit is not None else 0.0,
        found.settlement_id,
    )


def order_money(team: Team, *, connection_id: int, amazon_order_id: str) -> OrderMoney:
    posted = list(
        Transaction.objects.filter(
            team=team, connection_id=connection_id, order_id=amazon_order_id
        ).order_by("posted_at", "id")
    )
    lines = (
        SettlementLine.objects.filter(
            team=team, connection_id=connection_id, order_id=amazon_order_id
        )
        .values("settlement_id", "currency")
        .annotate(amount=Sum("amount"), lines=Count("id"))
        .order_by("settlement_id")
    )
    found = {(r["settlement_id"], r["currency"]): r for r in lines}
    # A transaction names its settlement once the settlement is closed, before its report is read.
    for t in posted:
        if t.settlement_id and not any(s == t.settlement_id for s, _c in found):
            found[(t.settlement_id, t.currency)] = {"amount": None, "lines": 0}
    known = {
        s.settlement_id: s
        for s in Settlement.objects.filter(
            team=team, connection_id=connection_id, settlement_id__in={s for s, _c in found}
        )
    }
    settlements = [
        OrderSettlement(
            known.get(s), s, c, r["amount"] if r["amount"] is not None else Decimal(0), r["lines"]
        )
        for (s, c), r in found.items()
    ]
    # In the order the money was paid out; settlements not read yet last.
    settlements.sort(key=_paid_out_order)
    return OrderMoney(posted, charges_by_transaction(team, posted), settlements)


# --- settlements ------------------------------------------------------------------------------------


def settlements(team: Team, filters: SettlementFilter) -> QuerySet[Settlement]:
    qs = Settlement.objects.filter(team=team)
    if filters.deposit_from:
        qs = qs.filter(deposit_at__gte=datetime.combine(filters.deposit_from, time.min, tzinfo=UTC))
    if filters.deposit_to:
        qs = qs.filter(
            deposit_at__lt=datetime.combine(
                filters.deposit_to + timedelta(days=1), time.min, tzinfo=UTC
            )
        )
    if filters.currency:
        qs = qs.filter(currency=filters.currency.upper())
    if filters.reconciliation == "reconciled":
        qs = qs.filter(lines_reconciled=True, transactions_reconciled=True)
    elif filters.reconciliation == "mismatch":
        qs = qs.filter(Q(lines_reconciled=False) | Q(transactions_reconciled=False))
    elif filters.reconciliation == "pending":
        qs = qs.filter(lines_reconciled=True, transactions_reconciled__isnull=True)
    return SETTLEMENT_SORTING.apply(qs, filters.sort)


def settlement_held(team_id: int, *, connection_id: int, settlement_id: str) -> Settlement | None:
    """The settlement AMS holds for a connection under Amazon's id, whatever brought it."""
    return Settlement.objects.filter(
        team_id=team_id, connection_id=connection_id, settlement_id=settlement_id
    ).first()


def access_settlement(team: Team, settlement_pk: int) -> Settlement | None:
    """The team's settlement, or None for a missing one and for another team's alike."""
    return Settlement.objects.filter(team=team, id=settlement_pk).first()


def settlement_lines(
    team: Team, settlement: Settlement, *, sort: str = ""
) -> QuerySet[SettlementLine]:
    """A settlement's lines, in line order or ``sort``'s (a key of SETTLEMENT_LINE_SORTING)."""
    return SETTLEMENT_LINE_SORTING.apply(
        SettlementLine.objects.filter(
            team=team,
            connection_id=settlement.connection_id,
            settlement_id=settlement.settlement_id,
        ),
        sort,
    )


def settlement_line_summary(team: Team, settlement: Settlement) -> list[dict[str, Any]]:
    """The settlement's amounts by transaction and amount type: what the money was for."""
    return list(
        settlement_lines(team, settlement)
        .values("transaction_type", "amount_type")
        .annotate(lines=Count("id"), amount=Sum("amount"))
        .order_by("transaction_type", "amount_type")
    )


@dataclass(frozen=True)
class Deposit:
    id: int
    total_amount: Decimal
    currency: str
    deposit_at: datetime


@dataclass(frozen=True)
class Payout:
    # Every settlement deposited on the day (UTC) of the last deposit: a seller selling in several
    # currencies is paid one settlement per currency, often on the same day.
    deposits: list[Deposit]
    not_adding_up: int  # the team's settlements that do not reconcile

    @property
    def deposit_at(self) -> datetime:
        return max(d.deposit_at for d in self.deposits)


# The last payout day's deposits (an index probe for the day, then its few rows) and the
# settlements that do not add up (a count of a few rows).
_LAST_PAYOUT = """
SELECT p.ids, p.totals, p.currencies, p.deposits,
    (SELECT count(*) FROM finance_settlement
     WHERE team_id = %(team)s AND (NOT lines_reconciled OR NOT transactions_reconciled)) AS not_adding_up
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT array_agg(id ORDER BY currency, deposit_at DESC, id) AS ids,
        array_agg(total_amount ORDER BY currency, deposit_at DESC, id) AS totals,
        array_agg(currency ORDER BY currency, deposit_at DESC, id) AS currencies,
        array_agg(deposit_at ORDER BY currency, deposit_at DESC, id) AS deposits
    FROM finance_settlement
    WHERE team_id = %(team)s AND deposit_at >= (
        SELECT date_trunc('day', max(deposit_at), 'UTC') FROM finance_settlement
        WHERE team_id = %(team)s AND deposit_at IS NOT NULL
    )
) p ON true
"""


def _payout(
    ids: list[int] | None,
    totals: list[Decimal] | None,
    currencies: list[str] | None,
    deposits: list[datetime] | None,
    not_adding_up: int,
) -> Payout | None:
    if not ids or totals is None or currencies is None or deposits is None:
        return None
    return Payout(
        [Deposit(*row) for row in zip(ids, totals, currencies, deposits, strict=True)],
        not_adding_up,
    )


def last_payout(team: Team) -> Payout | None:
    """The last payout day's settlements, with how many of the team's settlements do not add up."""
    with connection.cursor() as cursor:
        cursor.execute(_LAST_PAYOUT, {"team": team.id})
        row = cursor.fetchone()
    assert row is not None
    return _payout(*row)


# --- the day rollup of charges --------------------------------------------------------------------


class ChargeDaySums(NamedTuple):
    """One currency's charges of one transaction type and category/kind, added over the days of
    a period (``now``) and of the period before it (``before``); None where no day has a row."""

    currency: str
    transaction_type: str
    category: str
    kind: str
    now: Decimal | None
    before: Decimal | None
    # In the home currency asked for, each day at its ECB rate; None where a day had no rate.
    now_home: Decimal | None = None
    before_home: Decimal | None = None


@dataclass(frozen=True)
class PeriodMoney:
    charges: list[ChargeDaySums]
    last_payout: Payout | None


# The charges rollup added up over two periods, with the last payout beside it: the overview asks
# for both, in one round trip (every row repeats the payout; one row with no sums when none).
_TO_HOME = (
    "CASE WHEN d.currency = %(home)s THEN 1::numeric ELSE home_rate.per_eur / day_rate.per_eur END"
)
_PERIOD_MONEY = f"""
WITH rated AS (
    SELECT d.currency, d.transaction_type, d.category, d.kind, d.day, d.amount,
        d.amount * {_TO_HOME} AS home
    FROM finance_chargeday d
    {rate_joins(alias="day_rate", currency="d.currency", day="d.day")}
    {rate_joins(alias="home_rate", currency="%(home)s", day="d.day")}
    WHERE d.team_id = %(team)s AND d.day >= %(previous_first)s AND d.day <= %(last)s {{marketplace}}
), sums AS (
    SELECT currency, transaction_type, category, kind,
        sum(amount) FILTER (WHERE day >= %(first)s) AS now, sum(amount) FILTER (WHERE day < %(first)s) AS before,
        CASE WHEN bool_and(home IS NOT NULL) FILTER (WHERE day >= %(first)s)
            THEN sum(home) FILTER (WHERE day >= %(first)s) END AS now_home,
        CASE WHEN bool_and(home IS NOT NULL) FILTER (WHERE day < %(first)s)
            THEN sum(home) FILTER (WHERE day < %(first)s) END AS before_home
    FROM rated
    GROUP BY currency, transaction_type, category, kind
)
SELECT payout.*, sums.* FROM ({{payout}}) AS payout LEFT JOIN sums ON true
"""  # noqa: S608 (fixed text)


def period_money(
    team: Team,
    *,
    previous_first: date,
    first: date,
    last: date,
    marketplace: str = "",
    home: str = "",
) -> PeriodMoney:
    """The charges rollup added up from ``first`` to ``last`` and from ``previous_first`` to the
    day before ``first``, per currency, transaction type, category and kind, also in ``home`` at
    the ECB's rate of each (marketplace-local) day; and ``last_payout``."""
    where = "AND d.marketplace_id = %(marketplace)s" if marketplace else ""
    params: dict[str, Any] = {
        "team": team.id,
        "previous_first": previous_first,
        "first": first,
        "last": last,
        "marketplace": marketplace,
        "home": home,
    }
    with connection.cursor() as cursor:
        cursor.execute(_PERIOD_MONEY.format(marketplace=where, payout=_LAST_PAYOUT), params)
        rows = cursor.fetchall()
    return PeriodMoney(
        charges=[ChargeDaySums(*row[5:]) for row in rows if row[5] is not None],
        last_payout=_payout(*rows[0][:5]),
    )


# --- an order's posted fees -----------------------------------------------------------------------


def posted_fees(team: Team, order_ids: list[str]) -> dict[str, Decimal]:
    """Amazon's posted fees per order (a positive amount), from the shipment transactions."""
    order_of = dict(
        Transaction.objects.filter(
            team=team, order_id__in=order_ids, transaction_type="Shipment"
        ).values_list("transaction_id", "order_id")
    )
    fees: dict[str, Decimal] = {}
    charges = (
        Charge.objects.filter(team=team, transaction_id__in=list(order_of), kind=FEE_KIND)
        .values("transaction_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for charge in charges:
        order_id = order_of[charge["transaction_id"]]
        fees[order_id] = fees.get(order_id, Decimal(0)) - (charge["total"] or Decimal(0))
    return fees


# --- reimbursement evidence (ams.claims) ------------------------------------------------------


def reimbursements(team: Team, *, connection_id: int) -> QuerySet[Reimbursement]:
    """Every reimbursement Amazon reported for a connection, oldest first."""
    return Reimbursement.objects.filter(team=team, connection_id=connection_id).order_by(
        "approved_at", "id"
    )


@dataclass
class RefundedLine:
    """What Amazon refunded on one SKU of an order, over all the order's refund transactions:
    the sales refunded (principal, tax, shipping, less promotions), and the product price alone
    (principal less promotions). Positive amounts."""

    order_id: str
    sku: str
    marketplace_id: str
    currency: str
    first_refund_at: datetime
    sales: Decimal = Decimal(0)
    principal: Decimal = Decimal(0)
    transaction_ids: list[str] = field(default_factory=list)


def refunded_lines(team: Team, *, connection_id: int) -> list[RefundedLine]:
    """Every refunded order line of a connection, from its Refund transactions' Sales charges."""
    refunds = {
        t.transaction_id: t
        for t in Transaction.objects.filter(
            team=team, connection_id=connection_id, transaction_type="Refund"
        )
        .exclude(order_id="")
        .only("transaction_id", "order_id", "posted_at", "marketplace_id", "currency")
    }
    lines: dict[tuple[str, str], RefundedLine] = {}
    charges = (
        Charge.objects.filter(
            team=team,
            connection_id=connection_id,
            transaction_id__in=list(refunds),
            category=SALES["category"],
        )
        .exclude(sku="")
        .order_by("posted_at", "transaction_id", "position")
    )
    for charge in charges:
        refund = refunds[charge.transaction_id]
        line = lines.get((refund.order_id, charge.sku))
        if line is None:
            line = lines[(refund.order_id, charge.sku)] = RefundedLine(
                refund.order_id,
                charge.sku,
                refund.marketplace_id,
                refund.currency,
                refund.posted_at,
            )
        line.sales -= charge.amount
        if charge.description == SALES["description"]:
            line.principal -= charge.amount
        if charge.transaction_id not in line.transaction_ids:
            line.transaction_ids.append(charge.transaction_id)
    return list(lines.values())


# Amazon's FBA fulfilment fee per unit, as the finances sync files it.
FBA_FEE = "FBAPerUnitFulfillmentFee"


class FeeCharge(NamedTuple):
    """The FBA fulfilment fee of one SKU on one shipment (positive: what Amazon charged)."""

    marketplace_id: str
    sku: str
    order_id: str
    posted_at: datetime
    currency: str
    amount: Decimal


def fulfilment_fees(team: Team, *, connection_id: int, since: datetime) -> list[FeeCharge]:
    """The FBA fulfilment fees of the shipments posted since ``since``, one per order and SKU,
    oldest first."""
    # Plain tuples, not model instances: a seller ships hundreds of thousands of orders a year.
    shipments = {
        transaction_id: (marketplace_id, order_id, posted_at, currency)
        for transaction_id, marketplace_id, order_id, posted_at, currency in Transaction.objects.filter(
            team=team,
            connection_id=connection_id,
            transaction_type="Shipment",
            posted_at__gte=since,
        ).values_list("transaction_id", "marketplace_id", "order_id", "posted_at", "currency")
    }
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for transaction_id, sku, amount in (
        Charge.objects.filter(
            team=team,
            connection_id=connection_id,
            kind=FEE_KIND,
            description=FBA_FEE,
            posted_at__gte=since,
        )
        .exclude(sku="")
        .values_list("transaction_id", "sku", "amount")
    ):
        if transaction_id in shipments:
            totals[(transaction_id, sku)] -= amount
    fees = []
    for (transaction_id, sku), amount in totals.items():
        marketplace_id, order_id, posted_at, currency = shipments[transaction_id]
        fees.append(FeeCharge(marketplace_id, sku, order_id, posted_at, currency, amount))
    fees.sort(key=lambda f: (f.posted_at, f.order_id, f.sku))
    return fees
