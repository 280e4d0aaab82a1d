"""Reads of the team's stock: the inventory page (stock per SKU with its days of cover), one
SKU's stock history, and the SKUs the stock names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    QuerySet,
    Sum,
    Value,
    When,
)

from ams.core.sorting import Sorting
from ams.inventory.models import (
    CustomerReturn,
    InventoryAdjustment,
    InventoryHealth,
    RestockAdvice,
    StockLevel,
    StockSnapshot,
)
from ams.inventory.stock_health import DEFAULT_LEAD_TIME_DAYS
from ams.teams.models import Team

LOW_COVER_DAYS = 30
# Fewest days of cover first (no sales: last), then by SKU and marketplace.
STOCK_SORTING = Sorting(
    {
        "sku": ("sku",),
        "marketplace": ("marketplace_id",),
        "channel": ("fulfillment_channel",),
        "fulfillable": ("fulfillable",),
        "inbound": ("inbound",),
        "reserved": ("reserved",),
        "unfulfillable": ("unfulfillable",),
        "researching": ("researching",),
        "total": ("total",),
        "sold": ("units_30d",),
        "cover": ("days_of_cover",),
    },
    default="cover",
    tiebreak=("sku", "marketplace_id", "connection_id", "id"),
)
# No per-SKU supplier lead time yet: one default for "at risk of stockout" (the overview's too).
STOCKOUT_LEAD_DAYS = DEFAULT_LEAD_TIME_DAYS


@dataclass(frozen=True)
class StockFilter:
    """The inventory page's filters (its query string's names); empty values filter nothing."""

    marketplace: str = ""
    channel: str = ""
    sku: str = ""  # SKUs containing it, any case
    sku_exact: str = ""  # one SKU (its stock history page)
    low: bool = False  # under LOW_COVER_DAYS of cover
    risk: bool = False  # at risk of stockout within the lead time
    excess: bool = False  # Amazon reports excess stock
    alert: str = ""  # Amazon's restock or health alert
    sort: str = ""  # a key of STOCK_SORTING, "-" first for descending; "" the default

    @property
    def on_cover(self) -> bool:
        """A filter on the days of cover: it needs the join with the SKU summary."""
        return self.low or self.risk


@dataclass(frozen=True)
class SkuCount:
    skus: int  # distinct SKUs, however many marketplaces stock each
    marketplaces: int


def stock_sku_count(team: Team, marketplace: str = "") -> SkuCount:
    """How many distinct SKUs the team stocks and in how many marketplaces: a stock row is a SKU
    in one marketplace, so counting rows would count a SKU once per marketplace."""
    rows = StockLevel.objects.filter(team=team)
    if marketplace:
        rows = rows.filter(marketplace_id=marketplace)
    counted = rows.aggregate(
        skus=Count("sku", distinct=True), marketplaces=Count("marketplace_id", distinct=True)
    )
    return SkuCount(counted["skus"], counted["marketplaces"])


def skus_containing(team: Team, text: str) -> QuerySet[StockLevel, str]:
    """The team's stocked SKUs that contain ``text``, any case."""
    return StockLevel.objects.filter(team=team, sku__icontains=text).values_list("sku", flat=True)


def _stock_rows(team: Team, filters: StockFilter) -> QuerySet[StockLevel]:
    """The stock rows the filters on their own columns keep, before any join."""
    qs = StockLevel.objects.filter(team=team)
    if filters.marketplace:
        qs = qs.filter(marketplace_id=filters.marketplace)
    if filters.channel:
        qs = qs.filter(fulfillment_channel=filters.channel)
    if filters.sku:
        qs = qs.filter(sku__icontains=filters.sku)
    if filters.sku_exact:
        qs = qs.filter(sku=filters.sku_exact)
    same_sku = {
        "team": team,
        "connection_id": OuterRef("connection_id"),
        "marketplace_id": OuterRef("marketplace_id"),
        "sku": OuterRef("sku"),
    }
    if filters.excess:
        qs = qs.filter(Exists(InventoryHealth.objects.filter(**same_sku, excess_quantity__gt=0)))
    if filters.alert:
        alert = filters.alert
        qs = qs.filter(
            Exists(RestockAdvice.objects.filter(**same_sku, alert=alert))
            | Exists(InventoryHealth.objects.filter(**same_sku, alert=alert))
        )
    return qs


def stock_levels(team: Team, filters: StockFilter) -> QuerySet[StockLevel] | None:
    """The rows ``stock`` lists, without its join, to count them; None when a filter is on the
    days of cover (then only the join can tell)."""
    if filters.on_cover:
        return None
    return _stock_rows(team, filters)


def stock(team: Team, filters: StockFilter) -> QuerySet[StockLevel]:
    """Stock per SKU and marketplace with the last 30 days' units (SKU summary) and days of cover.

    The units come from one join with the SKU summary (summed over its currencies), grouped per
    stock row: measured, a sub-select per stock row costs 5-10 times more at 10,000 SKUs, and the
    page sorts and filters on the days of cover of every row.
    """
    qs = (
        _stock_rows(team, filters)
        .annotate(
            units_30d=Sum("sku_summaries__units_30d"),
            inbound=F("inbound_working") + F("inbound_shipped") + F("inbound_receiving"),
        )
        .annotate(
            days_of_cover=Case(
                When(
                    units_30d__gt=0,
                    then=ExpressionWrapper(
                        F("fulfillable") * Value(Decimal(30)) / F("units_30d"),
                        output_field=DecimalField(max_digits=12, decimal_places=1),
                    ),
                ),
                default=None,
                output_field=DecimalField(max_digits=12, decimal_places=1),
            )
        )
    )
    if filters.low:
        qs = qs.filter(days_of_cover__lt=LOW_COVER_DAYS)
    if filters.risk:
        # The overview's "at risk of stockout": available and inbound cover fewer days than the lead time.
        lead = STOCKOUT_LEAD_DAYS
        qs = qs.alias(
            risk_gap=(F("fulfillable") + F("inbound")) * 30 - F("units_30d") * lead
        ).filter(units_30d__gt=0, risk_gap__lt=0)
    return STOCK_SORTING.apply(qs, filters.sort)


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
    rows = (
        qs.values("day")
        .annotate(
            f=Sum("fulfillable"),
            i=Sum("inbound"),
            r=Sum("reserved"),
            u=Sum("unfulfillable"),
            t=Sum("total"),
        )
        .order_by("day")
    )
    return [StockDay(r["day"], r["f"], r["i"], r["r"], r["u"], r["t"]) for r in rows]


# --- reimbursement evidence (ams.claims) ------------------------------------------------------

# The inventory ledger's adjustment reasons a warehouse claim rests on: lost (M), found (F),
# damaged in a fulfilment centre (E).
LEDGER_LOST = "M"
LEDGER_FOUND = "F"
LEDGER_DAMAGED = "E"


def warehouse_adjustments(team: Team, *, connection_id: int) -> QuerySet[InventoryAdjustment]:
    """The ledger's lost, found and damaged adjustments of a connection, oldest first."""
    return InventoryAdjustment.objects.filter(
        team=team,
        connection_id=connection_id,
        reason__in=(LEDGER_LOST, LEDGER_FOUND, LEDGER_DAMAGED),
    ).order_by("happened_at", "id")


def returned_units(
    team: Team, *, connection_id: int, order_ids: Iterable[str]
) -> dict[tuple[str, str], list[CustomerReturn]]:
    """The customer returns received for these orders, per (order id, SKU)."""
    result: dict[tuple[str, str], list[CustomerReturn]] = {}
    for row in CustomerReturn.objects.filter(
        team=team, connection_id=connection_id, order_id__in=list(order_ids)
    ).order_by("returned_at", "id"):
        result.setdefault((row.order_id, row.sku), []).append(row)
    return result


def fnskus(team: Team, *, connection_id: int) -> dict[tuple[str, str], str]:
    """Amazon's FNSKU of each FBA SKU, per (marketplace, SKU), as the stock levels give it."""
    return {
        (marketplace_id, sku): fnsku
        for marketplace_id, sku, fnsku in StockLevel.objects.filter(
            team=team, connection_id=connection_id, fulfillment_channel="AFN"
        )
        .exclude(fnsku="")
        .values_list("marketplace_id", "sku", "fnsku")
    }


def fulfillable_units(team: Team, skus: Iterable[str]) -> dict[tuple[str, str], int]:
    """Sellable units of these SKUs per (SKU, marketplace), over every connection."""
    rows = (
        StockLevel.objects.filter(team=team, sku__in=list(skus))
        .values("sku", "marketplace_id")
        .annotate(units=Sum("fulfillable"))
        .order_by()
    )
    return {(r["sku"], r["marketplace_id"]): int(r["units"] or 0) for r in rows}


@dataclass(frozen=True)
class FbaUnits:
    inbound: int  # in a shipment to Amazon: working, shipped or being received
    sellable: int
    reserved: int


def fba_units(team: Team, skus: Iterable[str]) -> dict[tuple[str, str], FbaUnits]:
    """Amazon's own counts of these SKUs' FBA units per (SKU, marketplace), over every connection
    (merchant-fulfilled SKUs are the seller's stock, counted where the seller keeps it)."""
    rows = (
        StockLevel.objects.filter(team=team, sku__in=list(skus), fulfillment_channel="AFN")
        .values("sku", "marketplace_id")
        .annotate(
            inbound=Sum(F("inbound_working") + F("inbound_shipped") + F("inbound_receiving")),
            sellable=Sum("fulfillable"),
            reserved=Sum("reserved"),
        )
        .order_by()
    )
    return {
        (r["sku"], r["marketplace_id"]): FbaUnits(
            int(r["inbound"] or 0), int(r["sellable"] or 0), int(r["reserved"] or 0)
        )
        for r in rows
    }


@dataclass(frozen=True)
class StockCoverage:
    """Which days of ``first`` to ``last`` a SKU's end-of-day stock tells about: the first day
    the stock history holds it, and the days it ended with nothing to sell."""

    first_day: date
    out_of_stock: frozenset[date]


def stock_coverage(
    team: Team, first: date, last: date
) -> dict[tuple[int, str, str], StockCoverage]:
    """Per (connection id, marketplace, SKU) of the daily stock history (``StockSnapshot``,
    UTC days) from ``first`` to ``last``: its first day there and the days it ended out of stock
    (no fulfillable unit). Two grouped reads, not a row per SKU and day."""
    snapshots = StockSnapshot.objects.filter(team=team, day__range=(first, last))
    firsts = snapshots.values_list("connection_id", "marketplace_id", "sku").annotate(
        first_day=Min("day")
    )
    empty: dict[tuple[int, str, str], set[date]] = {}
    for connection_id, marketplace_id, sku, day in snapshots.filter(fulfillable__lte=0).values_list(
        "connection_id", "marketplace_id", "sku", "day"
    ):
        empty.setdefault((connection_id, marketplace_id, sku), set()).add(day)
    return {
        (c, m, s): StockCoverage(first_day, frozenset(empty.get((c, m, s), ())))
        for c, m, s, first_day in firsts
    }
