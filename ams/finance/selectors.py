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
from typing import Any

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

from ams.core.marketplaces import DEFAULT_ZONE, TIME_ZONES
from ams.finance.models import Charge, ChargeSkuMonth, Settlement, SettlementLine, Transaction
from ams.teams.models import Team

# Amazon's fees, as the finances sync files them: Expenses / AmazonFees / <fee type>.
FEE_KIND = "AmazonFees"
# What the buyer paid for the goods: Sales / ProductCharges / Principal.
SALES = {"category": "Sales", "kind": "ProductCharges", "description": "Principal"}
# Filters that select charges (a transaction matches when one of its charges does).
CHARGE_FILTERS = ("category", "kind", "charge", "sku")


# --- local days -----------------------------------------------------------------------------------


def local_day() -> Func:
    """A row's posted day in its marketplace's zone (``posted_at`` and ``marketplace_id``)."""
    zone_of = Case(
        *(When(marketplace_id=m, then=Value(name)) for m, name in TIME_ZONES.items()),
        default=Value(DEFAULT_ZONE),
        output_field=CharField(),
    )
    # timezone(zone, timestamptz) is the wall-clock time there, whose date is the local day.
    return Cast(Func(zone_of, F("posted_at"), function="timezone", output_field=DateTimeField()), DateField())


def posted_on_days(qs: QuerySet[Transaction], first: date | None, last: date | None) -> QuerySet[Transaction]:
    """Transactions posted on the local days ``first`` … ``last``.

    A UTC range a day wider on each side than any zone is away from UTC lets the index on
    ``posted_at`` narrow the rows; the local day then decides exactly.
    """
    if first is None and last is None:
        return qs
    qs = qs.alias(local_day=local_day())
    if first is not None:
        qs = qs.filter(posted_at__gte=datetime.combine(first - timedelta(days=1), time.min, tzinfo=UTC), local_day__gte=first)
    if last is not None:
        qs = qs.filter(posted_at__lt=datetime.combine(last + timedelta(days=2), time.min, tzinfo=UTC), local_day__lte=last)
    return qs


# --- transactions ---------------------------------------------------------------------------------


def _charge_condition(filters: dict[str, Any]) -> Q | None:
    condition = Q()
    if filters.get("category"):
        condition &= Q(category=filters["category"])
    if filters.get("kind"):
        condition &= Q(kind=filters["kind"])
    if filters.get("charge"):
        condition &= Q(description=filters["charge"])
    if "sku" in filters:
        # "-" stands for charges of no single SKU (storage, subscription), which have an empty SKU.
        condition &= Q(sku="" if filters["sku"] == "-" else filters["sku"])
    return condition if condition else None


def _matching_charges(team: Team, filters: dict[str, Any]) -> QuerySet[Charge] | None:
    condition = _charge_condition(filters)
    if condition is None:
        return None
    charges = Charge.objects.filter(team=team).filter(condition)
    # Charges carry their transaction's posted instant: the same wide UTC range narrows them.
    if filters.get("date_from"):
        charges = charges.filter(posted_at__gte=datetime.combine(filters["date_from"] - timedelta(days=1), time.min, tzinfo=UTC))
    if filters.get("date_to"):
        charges = charges.filter(posted_at__lt=datetime.combine(filters["date_to"] + timedelta(days=2), time.min, tzinfo=UTC))
    return charges


def transactions(team: Team, filters: dict[str, Any]) -> QuerySet[Transaction]:
    """The team's transactions for the filters, newest first (paginated on the posted index)."""
    qs = posted_on_days(Transaction.objects.filter(team=team), filters.get("date_from"), filters.get("date_to"))
    if filters.get("type"):
        qs = qs.filter(transaction_type=filters["type"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("marketplace"):
        qs = qs.filter(marketplace_id=filters["marketplace"])
    if filters.get("currency"):
        qs = qs.filter(currency=filters["currency"].upper())
    if filters.get("order"):
        qs = qs.filter(order_id=filters["order"])
    if filters.get("settlement"):
        qs = qs.filter(settlement_id=filters["settlement"])
    charges = _matching_charges(team, filters)
    if charges is not None:
        qs = qs.filter(transaction_id__in=charges.values("transaction_id"))
    return qs.order_by("-posted_at", "-id")


def _amount(value: Decimal | None) -> Decimal:
    """A sum, with its cents (``or Decimal(0)`` would turn 0.00 into 0)."""
    return Decimal("0.00") if value is None else value


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    amount: Decimal


def transaction_totals(team: Team, filters: dict[str, Any]) -> list[CurrencyTotal]:
    """Number and net amount of the filtered transactions, per currency."""
    rows = transactions(team, filters).order_by().values("currency").annotate(n=Count("id"), amount=Sum("total_amount"))
    return [CurrencyTotal(r["currency"], r["n"], _amount(r["amount"])) for r in rows.order_by("currency")]


def matching_charge_totals(team: Team, filters: dict[str, Any]) -> list[CurrencyTotal] | None:
    """With a charge filter (type, SKU…): the matching charges of the filtered transactions, per
    currency. This is the figure the fee breakdown links from, so the two can be compared."""
    charges = _matching_charges(team, filters)
    if charges is None:
        return None
    matched = charges.filter(transaction_id__in=transactions(team, filters).values("transaction_id"))
    rows = matched.order_by().values("currency").annotate(n=Count("id"), amount=Sum("amount")).order_by("currency")
    return [CurrencyTotal(r["currency"], r["n"], _amount(r["amount"])) for r in rows]


def charges_by_transaction(team: Team, page: Iterable[Transaction]) -> dict[tuple[int, str], list[Charge]]:
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


def _period(team: Team, filters: dict[str, Any], first_month: date, last_month: date) -> QuerySet[ChargeSkuMonth]:
    rollup = ChargeSkuMonth.objects.filter(team=team, month__gte=first_month, month__lte=last_month)
    if filters.get("marketplace"):
        rollup = rollup.filter(marketplace_id=filters["marketplace"])
    if filters.get("currency"):
        rollup = rollup.filter(currency=filters["currency"].upper())
    return rollup


def fee_breakdown(team: Team, filters: dict[str, Any], *, first_month: date, last_month: date) -> FeeBreakdown:
    """Amazon's fees over whole local months, by type, from the charges rollup; ``sku_totals`` is
    the per-SKU table to paginate in SQL (a long-tail catalogue has thousands of rows), whose
    page ``sku_fees`` then splits by type."""
    rollup = _period(team, filters, first_month, last_month)
    fees = rollup.filter(kind=FEE_KIND)
    by_type = [
        FeeType(r["currency"], r["category"], r["kind"], r["description"], _amount(r["amount"]), r["charges"] or 0)
        for r in fees.values("currency", "category", "kind", "description")
        .annotate(amount=Sum("amount"), charges=Sum("charges"))
        .order_by("currency", "amount", "description")
    ]
    totals: dict[str, CurrencyTotal] = {}
    for t in by_type:
        before = totals.get(t.currency, CurrencyTotal(t.currency, 0, Decimal(0)))
        totals[t.currency] = CurrencyTotal(t.currency, before.count + t.charges, before.amount + t.amount)
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
        # Largest fees first (fees are negative amounts).
        sku_totals=fees.values("currency", "sku").annotate(total=Sum("amount")).order_by("currency", "total", "sku"),
        types=sorted(type_totals, key=lambda d: (-type_totals[d], d)),
    )


def sku_fees(
    team: Team, filters: dict[str, Any], *, first_month: date, last_month: date, page: Iterable[dict[str, Any]]
) -> list[SkuFees]:
    """One page of the per-SKU table: each SKU's fees by type and its product sales."""
    rows = {(r["currency"], r["sku"]): SkuFees(r["currency"], r["sku"], total=_amount(r["total"])) for r in page}
    if not rows:
        return []
    rollup = _period(team, filters, first_month, last_month).filter(sku__in={sku for _c, sku in rows})
    for r in rollup.filter(kind=FEE_KIND).values("currency", "sku", "description").annotate(amount=Sum("amount")).order_by():
        row = rows.get((r["currency"], r["sku"]))
        if row is not None:
            row.by_type[r["description"]] = _amount(r["amount"])
    for r in rollup.filter(**SALES).values("currency", "sku").annotate(amount=Sum("amount")).order_by():
        row = rows.get((r["currency"], r["sku"]))
        if row is not None:
            row.sales = _amount(r["amount"])
    return list(rows.values())


def fee_rows(team: Team, filters: dict[str, Any], *, first_month: date, last_month: date) -> QuerySet[ChargeSkuMonth]:
    """The rollup rows of the fee breakdown, for its export (one row per month, type and SKU)."""
    qs = ChargeSkuMonth.objects.filter(team=team, month__gte=first_month, month__lte=last_month, kind=FEE_KIND)
    if filters.get("marketplace"):
        qs = qs.filter(marketplace_id=filters["marketplace"])
    if filters.get("currency"):
        qs = qs.filter(currency=filters["currency"].upper())
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

    def net(self) -> dict[str, Decimal]:
        """What Amazon paid (or took) for this order, per currency: every transaction's total."""
        result: dict[str, Decimal] = defaultdict(Decimal)
        for t in self.transactions:
            result[t.currency] += t.total_amount
        return dict(result)


def _paid_out_order(found: OrderSettlement) -> tuple[bool, float, str]:
    deposit = found.settlement.deposit_at if found.settlement is not None else None
    return (deposit is None, deposit.timestamp() if deposit is not None else 0.0, found.settlement_id)


def order_money(team: Team, *, connection_id: int, amazon_order_id: str) -> OrderMoney:
    posted = list(
        Transaction.objects.filter(team=team, connection_id=connection_id, order_id=amazon_order_id).order_by("posted_at", "id")
    )
    lines = (
        SettlementLine.objects.filter(team=team, connection_id=connection_id, order_id=amazon_order_id)
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
        OrderSettlement(known.get(s), s, c, r["amount"] if r["amount"] is not None else Decimal(0), r["lines"])
        for (s, c), r in found.items()
    ]
    # In the order the money was paid out; settlements not read yet last.
    settlements.sort(key=_paid_out_order)
    return OrderMoney(posted, charges_by_transaction(team, posted), settlements)
