"""Reads for the data pages: filtered querysets over the synced tables and their read models.

Each page lists one table, filtered and paginated on indexed columns; summaries come from the
read models (``OrderDay``, ``SkuSummary``), never from summing raw lines. The same filtered
querysets feed the CSV/XLSX exports, so a download holds exactly what the page shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from ams.amazon.models import ConnectionMarketplace
from ams.catalog.models import Listing
from ams.core import marketplaces
from ams.core.marketplaces import zone
from ams.finance.models import Charge, Settlement, SettlementLine, Transaction
from ams.inventory.models import InventoryHealth, RestockAdvice, StockLevel, StockSnapshot
from ams.inventory.stock_health import DEFAULT_LEAD_TIME_DAYS
from ams.orders.models import Order, OrderDay, OrderLine, SkuSummary
from ams.procurement.profit import OrderProfit, line_profit, order_profit
from ams.procurement.selectors import CostKey, costs_for
from ams.teams.models import Team


def team_marketplaces(team: Team) -> list[tuple[str, str]]:
    """(marketplace id, label) of the team's connected marketplaces, for the filters."""
    return marketplaces.labelled(ConnectionMarketplace.objects.filter(team=team).values_list("marketplace_id", flat=True))


# --- Orders ---------------------------------------------------------------------------------------


def _local_days(marketplace_ids: Iterable[str], first: date | None, last: date | None) -> Q:
    """purchased_at within [first, last] as local days of each marketplace (DESIGN: local days)."""
    condition = Q()
    for marketplace_id in marketplace_ids:
        tz = zone(marketplace_id)
        bounds = Q(marketplace_id=marketplace_id)
        if first:
            bounds &= Q(purchased_at__gte=datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC))
        if last:
            bounds &= Q(purchased_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC))
        condition |= bounds
    return condition


def _order_marketplaces(team: Team, filters: dict[str, Any]) -> list[str]:
    if filters.get("marketplace"):
        return [filters["marketplace"]]
    # The day rollup is small; the marketplaces a team has orders in are the ones it holds.
    return list(OrderDay.objects.filter(team=team).values_list("marketplace_id", flat=True).distinct())


def matching_skus(team: Team, text: str) -> list[str]:
    """The team's SKUs that contain ``text`` in any case, plus ``text`` itself.

    Resolved against the small tables that name the team's SKUs (the SKU summary, the listings,
    the stock), so the order lines are then read by ``sku IN (…)`` through their (team, SKU)
    index instead of a case-insensitive scan of every line. ``text`` itself is kept so a SKU found
    in none of them (delisted, out of stock and unsold for 90 days) is still found by its exact name.
    """
    sources = [
        model.objects.filter(team=team, sku__icontains=text).values_list("sku", flat=True)
        for model in (SkuSummary, Listing, StockLevel)
    ]
    found: set[str] = set(sources[0].union(*sources[1:]))
    return sorted(found | {text})


def _filter_orders(team: Team, qs: QuerySet[Any], filters: dict[str, Any], *, lines: bool) -> QuerySet[Any]:
    if filters.get("date_from") or filters.get("date_to"):
        qs = qs.filter(_local_days(_order_marketplaces(team, filters), filters.get("date_from"), filters.get("date_to")))
    elif filters.get("marketplace"):
        qs = qs.filter(marketplace_id=filters["marketplace"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("channel"):
        qs = qs.filter(fulfillment_channel=filters["channel"])
    if filters.get("sku"):
        if lines:
            qs = qs.filter(sku__in=matching_skus(team, filters["sku"]))
        else:
            # One pass over the lines (a hashed semi-join), not a probe per order: measured, a
            # correlated EXISTS turns into a nested loop over both tables on a large seller.
            matching = _filter_orders(team, OrderLine.objects.filter(team=team), filters, lines=True)
            qs = qs.filter(amazon_order_id__in=matching.values("amazon_order_id"))
    return qs


def orders(team: Team, filters: dict[str, Any]) -> QuerySet[Order]:
    return _filter_orders(team, Order.objects.filter(team=team), filters, lines=False).order_by("-purchased_at", "-id")


def order_lines(team: Team, filters: dict[str, Any]) -> QuerySet[OrderLine]:
    """The lines of the filtered orders (a SKU filter keeps only the matching lines), for export."""
    return _filter_orders(team, OrderLine.objects.filter(team=team), filters, lines=True).order_by("-purchased_at", "amazon_order_id", "sku")


@dataclass
class OrderRow:
    order: Order
    lines: list[OrderLine] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def sales(self) -> Decimal | None:
        """Item price less promotions, tax excluded (as the day rollup counts it); None while unpriced."""
        priced = [line for line in self.lines if line.item_price is not None]
        if not priced:
            return None
        return sum((line.item_price - (line.promotion_discount or 0) for line in priced if line.item_price is not None), Decimal(0))

    @property
    def local_day(self) -> date:
        return self.order.purchased_at.astimezone(zone(self.order.marketplace_id)).date()


def order_rows(team: Team, page: Iterable[Order]) -> list[OrderRow]:
    """One page of orders with their lines, in one query for all the lines."""
    rows = [OrderRow(order) for order in page]
    if not rows:
        return rows
    by_key = {(r.order.connection_id, r.order.amazon_order_id): r for r in rows}
    lines = OrderLine.objects.filter(
        team=team,
        connection_id__in={r.order.connection_id for r in rows},
        amazon_order_id__in=[r.order.amazon_order_id for r in rows],
    ).order_by("sku")
    for line in lines:
        row = by_key.get((line.connection_id, line.amazon_order_id))
        if row is not None:
            row.lines.append(line)
    return rows


@dataclass(frozen=True)
class SalesTotal:
    currency: str
    orders: int
    units: int
    sales: Decimal


def _order_days(team: Team, filters: dict[str, Any]) -> QuerySet[OrderDay]:
    qs = OrderDay.objects.filter(team=team)
    if filters.get("marketplace"):
        qs = qs.filter(marketplace_id=filters["marketplace"])
    if filters.get("date_from"):
        qs = qs.filter(day__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(day__lte=filters["date_to"])
    return qs


def order_count(team: Team, filters: dict[str, Any]) -> int | None:
    """How many orders ``orders(team, filters)`` lists, from the day rollup; None when it can't say.

    The rollup counts the distinct orders of each (connection, marketplace, local day, currency),
    and an order's lines share its marketplace and purchase time, so for the date and marketplace
    filters the sum is exact: unless a day has rows in two currencies, where an order priced in
    both would be counted twice. Then, and for the status, channel and SKU filters the rollup does
    not split by, the caller counts the rows itself.
    """
    if filters.get("status") or filters.get("channel") or filters.get("sku"):
        return None
    days = _order_days(team, filters)
    split = days.values("connection_id", "marketplace_id", "day").annotate(currencies=Count("id")).filter(currencies__gt=1)
    if split.exists():
        return None
    return int(days.aggregate(orders=Sum("orders"))["orders"] or 0)


def order_totals(team: Team, filters: dict[str, Any]) -> list[SalesTotal] | None:
    """Totals per currency from the day rollup, for the date and marketplace filters.

    None when a status, channel or SKU filter is set: the rollup does not split by them, and a
    page must not sum raw lines to fake it.
    """
    if filters.get("status") or filters.get("channel") or filters.get("sku"):
        return None
    qs = _order_days(team, filters)
    return [
        SalesTotal(r["currency"], r["orders"] or 0, r["units"] or 0, r["sales"] or Decimal(0))
        for r in qs.values("currency").annotate(orders=Sum("orders"), units=Sum("units"), sales=Sum("sales")).order_by("currency")
    ]


# --- Inventory --------------------------------------------------------------------------------------

LOW_COVER_DAYS = 30
# No per-SKU supplier lead time yet: one default for "at risk of stockout" (the overview's too).
STOCKOUT_LEAD_DAYS = DEFAULT_LEAD_TIME_DAYS


# The inventory filters on the days of cover: they need the join with the SKU summary.
COVER_FILTERS = ("low", "risk")


def _stock_rows(team: Team, filters: dict[str, Any]) -> QuerySet[StockLevel]:
    """The stock rows the filters on their own columns keep, before any join."""
    qs = StockLevel.objects.filter(team=team)
    if filters.get("marketplace"):
        qs = qs.filter(marketplace_id=filters["marketplace"])
    if filters.get("channel"):
        qs = qs.filter(fulfillment_channel=filters["channel"])
    if filters.get("sku"):
        qs = qs.filter(sku__icontains=filters["sku"])
    if filters.get("sku_exact"):
        qs = qs.filter(sku=filters["sku_exact"])
    same_sku = {"team": team, "connection_id": OuterRef("connection_id"), "marketplace_id": OuterRef("marketplace_id"), "sku": OuterRef("sku")}
    if filters.get("excess"):
        qs = qs.filter(Exists(InventoryHealth.objects.filter(**same_sku, excess_quantity__gt=0)))
    if filters.get("alert"):
        alert = filters["alert"]
        qs = qs.filter(
            Exists(RestockAdvice.objects.filter(**same_sku, alert=alert)) | Exists(InventoryHealth.objects.filter(**same_sku, alert=alert))
        )
    return qs


def stock_levels(team: Team, filters: dict[str, Any]) -> QuerySet[StockLevel] | None:
    """The rows ``stock`` lists, without its join, to count them; None when a filter is on the
    days of cover (then only the join can tell)."""
    if any(filters.get(name) for name in COVER_FILTERS):
        return None
    return _stock_rows(team, filters)


def stock(team: Team, filters: dict[str, Any]) -> QuerySet[StockLevel]:
    """Stock per SKU and marketplace with the last 30 days' units (SKU summary) and days of cover.

    The units come from one join with the SKU summary (summed over its currencies), grouped per
    stock row: measured, a sub-select per stock row costs 5-10 times more at 10,000 SKUs, and the
    page sorts and filters on the days of cover of every row.
    """
    qs = _stock_rows(team, filters).annotate(
        units_30d=Sum("sku_summaries__units_30d"),
        inbound=F("inbound_working") + F("inbound_shipped") + F("inbound_receiving"),
    ).annotate(
        days_of_cover=Case(
            When(units_30d__gt=0, then=ExpressionWrapper(
                F("fulfillable") * Value(Decimal(30)) / F("units_30d"), output_field=DecimalField(max_digits=12, decimal_places=1)
            )),
            default=None,
            output_field=DecimalField(max_digits=12, decimal_places=1),
        )
    )
    if filters.get("low"):
        qs = qs.filter(days_of_cover__lt=LOW_COVER_DAYS)
    if filters.get("risk"):
        # The overview's "at risk of stockout": available and inbound cover fewer days than the lead time.
        lead = STOCKOUT_LEAD_DAYS
        qs = qs.alias(risk_gap=(F("fulfillable") + F("inbound")) * 30 - F("units_30d") * lead).filter(
            units_30d__gt=0, risk_gap__lt=0
        )
    return qs.order_by(F("days_of_cover").asc(nulls_last=True), "sku", "marketplace_id")


@dataclass(frozen=True)
class StockDay:
    day: date
    fulfillable: int
    inbound: int
    reserved: int
    unfulfillable: int
    total: int


def stock_history(team: Team, sku: str, marketplace: str, *, since: date) -> list[StockDay]:
    """The SKU's end-of-day stock since ``since``; with no marketplace given, the marketplaces'
    stock added per day (units, not money: they add up)."""
    qs = StockSnapshot.objects.filter(team=team, sku=sku, day__gte=since)
    if marketplace:
        qs = qs.filter(marketplace_id=marketplace)
    rows = qs.values("day").annotate(
        f=Sum("fulfillable"), i=Sum("inbound"), r=Sum("reserved"), u=Sum("unfulfillable"), t=Sum("total")
    ).order_by("day")
    return [StockDay(r["day"], r["f"], r["i"], r["r"], r["u"], r["t"]) for r in rows]


# --- Listings ---------------------------------------------------------------------------------------


def listings(team: Team, filters: dict[str, Any]) -> QuerySet[Listing]:
    qs = Listing.objects.filter(team=team)
    if filters.get("q"):
        text = filters["q"]
        qs = qs.filter(Q(sku__icontains=text) | Q(asin__iexact=text) | Q(title__icontains=text))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("marketplace"):
        qs = qs.filter(marketplace_id=filters["marketplace"])
    if filters.get("channel"):
        qs = qs.filter(fulfillment_channel=filters["channel"])
    # Problems first: suppressed and incomplete listings are what a seller has to act on.
    problem_first = Case(When(status__in=["suppressed", "incomplete"], then=Value(0)), default=Value(1))
    return qs.order_by(problem_first, "sku", "marketplace_id")


def listing_status_counts(team: Team) -> dict[str, int]:
    return {r["status"]: r["n"] for r in Listing.objects.filter(team=team).values("status").annotate(n=Count("id")).order_by()}


# --- Settlements ------------------------------------------------------------------------------------


def settlements(team: Team, filters: dict[str, Any]) -> QuerySet[Settlement]:
    qs = Settlement.objects.filter(team=team)
    if filters.get("deposit_from"):
        qs = qs.filter(deposit_at__gte=datetime.combine(filters["deposit_from"], time.min, tzinfo=UTC))
    if filters.get("deposit_to"):
        qs = qs.filter(deposit_at__lt=datetime.combine(filters["deposit_to"] + timedelta(days=1), time.min, tzinfo=UTC))
    if filters.get("currency"):
        qs = qs.filter(currency=filters["currency"].upper())
    state = filters.get("reconciliation")
    if state == "reconciled":
        qs = qs.filter(lines_reconciled=True, transactions_reconciled=True)
    elif state == "mismatch":
        qs = qs.filter(Q(lines_reconciled=False) | Q(transactions_reconciled=False))
    elif state == "pending":
        qs = qs.filter(lines_reconciled=True, transactions_reconciled__isnull=True)
    return qs.order_by(F("deposit_at").desc(nulls_last=True), "-id")


def access_settlement(team: Team, settlement_pk: int) -> Settlement | None:
    """The team's settlement, or None for a missing one and for another team's alike."""
    return Settlement.objects.filter(team=team, id=settlement_pk).first()


def settlement_lines(team: Team, settlement: Settlement) -> QuerySet[SettlementLine]:
    return SettlementLine.objects.filter(
        team=team, connection_id=settlement.connection_id, settlement_id=settlement.settlement_id
    ).order_by("line_number")


def settlement_line_summary(team: Team, settlement: Settlement) -> list[dict[str, Any]]:
    """The settlement's amounts by transaction and amount type: what the money was for."""
    return list(
        settlement_lines(team, settlement)
        .values("transaction_type", "amount_type")
        .annotate(lines=Count("id"), amount=Sum("amount"))
        .order_by("transaction_type", "amount_type")
    )


# --- Profit per order -----------------------------------------------------------------------------

# Amazon's fees, as the finances sync files them: Expenses / AmazonFees / <fee>.
FEE_KIND = "AmazonFees"


def _posted_fees(team: Team, order_ids: list[str]) -> dict[str, Decimal]:
    """Amazon's posted fees per order (a positive amount), from the shipment transactions."""
    order_of = dict(
        Transaction.objects.filter(team=team, order_id__in=order_ids, transaction_type="Shipment").values_list(
            "transaction_id", "order_id"
        )
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


def _estimated_fees(team: Team, rows: list[OrderRow]) -> dict[tuple[str, str], Decimal]:
    """Amazon's per-unit fee estimate of each (marketplace, SKU) listing."""
    skus = {line.sku for row in rows for line in row.lines}
    listed = Listing.objects.filter(team=team, sku__in=skus, estimated_fees__isnull=False)
    return {
        (marketplace_id, sku): fee
        for marketplace_id, sku, fee in listed.values_list("marketplace_id", "sku", "estimated_fees")
        if fee is not None
    }


def order_profits(team: Team, rows: list[OrderRow]) -> dict[int, OrderProfit]:
    """Profit of each priced, not cancelled order on the page, with the cost valid on its local day."""
    priced = [
        r for r in rows
        if r.order.status != "cancelled" and r.lines and all(line.item_price is not None for line in r.lines)
    ]
    if not priced:
        return {}
    costs = costs_for(team, [
        CostKey(line.sku, r.order.marketplace_id, r.local_day, line.currency) for r in priced for line in r.lines
    ])
    posted = _posted_fees(team, [r.order.amazon_order_id for r in priced])
    estimates = _estimated_fees(team, priced)
    result: dict[int, OrderProfit] = {}
    for r in priced:
        lines = [
            line_profit(
                sku=line.sku, currency=line.currency, units=line.quantity,
                proceeds=(line.item_price or Decimal(0)) + (line.shipping_price or Decimal(0)),
                fees=Decimal(0), promotions=line.promotion_discount or Decimal(0),
                unit_cost=costs[CostKey(line.sku, r.order.marketplace_id, r.local_day, line.currency)],
            )
            for line in r.lines
        ]
        fees: Decimal | None = posted.get(r.order.amazon_order_id)
        estimated = False
        if fees is None:
            per_unit = [estimates.get((r.order.marketplace_id, line.sku)) for line in r.lines]
            if all(fee is not None for fee in per_unit):
                fees = sum((fee * line.quantity for fee, line in zip(per_unit, r.lines, strict=True) if fee is not None), Decimal(0))
                estimated = True
        result[r.order.id] = order_profit(lines, currency=r.order.currency, fees=fees, fees_estimated=estimated)
    return result
