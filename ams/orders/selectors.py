"""Reads of orders, their lines and their read models (``OrderDay``, ``SkuDay``, ``SkuSummary``).

The orders page lists one table, filtered and paginated on indexed columns; its summaries come
from the day rollup, never from summing raw lines. The overview's top and falling SKUs read the
SKU days and the SKU summary. Orders knows nothing of costs: the cost of goods is priced by
``ams.procurement``, over the SQL of ``ams.orders.relations``. Dates are marketplace-local days
(docs/architecture.md, "Read models").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from ams.core.marketplaces import zone
from ams.core.sorting import Sorting
from ams.orders.models import Order, OrderDay, OrderLine, SkuDay, SkuSummary
from ams.teams.models import Team


@dataclass(frozen=True)
class OrderFilter:
    """The orders page's filters (its query string's names); empty values filter nothing."""

    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    marketplace: str = ""
    channel: str = ""
    sku: str = ""  # any SKU containing this text, in any case
    order_id: str = ""  # an Amazon order id, or its beginning
    sort: str = ""  # a key of ORDER_SORTING, "-" first for descending; "" the default

    @property
    def rollup_can_answer(self) -> bool:
        """The day rollup splits by date and marketplace only."""
        return not (self.status or self.channel or self.sku or self.order_id)


# The orders page and its export sort by the order's own columns: its lines carry the same values,
# so the export lists the lines in the page's order of orders (then by SKU). The tie-break is the
# order's natural key, the same on both; units, sales and profit are worked out per page and are
# not sortable.
ORDER_COLUMNS = {
    "order": ("amazon_order_id",),
    "purchased": ("purchased_at",),
    "marketplace": ("marketplace_id",),
    "status": ("status",),
    "channel": ("fulfillment_channel",),
}
ORDER_SORTING = Sorting(
    ORDER_COLUMNS, default="-purchased", tiebreak=("amazon_order_id", "connection_id")
)
ORDER_LINE_SORTING = Sorting(
    ORDER_COLUMNS,
    default="-purchased",
    tiebreak=("amazon_order_id", "connection_id"),
    then=("sku", "id"),
)


def order_marketplaces(team: Team) -> list[str]:
    # The day rollup is small; the marketplaces a team has orders in are the ones it holds.
    return list(
        OrderDay.objects.filter(team=team).values_list("marketplace_id", flat=True).distinct()
    )


def sold_skus(team: Team) -> set[str]:
    """Every SKU the team sold in the last 180 days (the SKU summary's windows)."""
    return set(SkuSummary.objects.filter(team=team).values_list("sku", flat=True).distinct())


def main_currency(team: Team) -> str | None:
    """The currency most of the team's SKU summary rows sell in, None before any sale."""
    sold = (
        SkuSummary.objects.filter(team=team)
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return str(sold["currency"]) if sold else None


def home_currency(team: Team) -> str:
    """The currency the team reads its figures in: its choice, else its main marketplace's, else USD."""
    return team.home_currency or main_currency(team) or "USD"


def skus_sold_between(team: Team, first: date, last: date) -> QuerySet[SkuDay, Any]:
    """The (marketplace, SKU, currency) sold from ``first`` to ``last``: what a per-SKU table of
    the period holds, to count before building it."""
    return (
        SkuDay.objects.filter(team=team, day__range=(first, last))
        .values("marketplace_id", "sku", "currency")
        .distinct()
    )


def skus_containing(team: Team, text: str) -> QuerySet[SkuSummary, str]:
    """The SKUs the team sold in the last 90 days (SKU summary) that contain ``text``, any case."""
    return SkuSummary.objects.filter(team=team, sku__icontains=text).values_list("sku", flat=True)


def _local_days(marketplace_ids: Iterable[str], first: date | None, last: date | None) -> Q:
    """purchased_at within [first, last] as local days of each marketplace."""
    condition = Q()
    for marketplace_id in marketplace_ids:
        tz = zone(marketplace_id)
        bounds = Q(marketplace_id=marketplace_id)
        if first:
            bounds &= Q(
                purchased_at__gte=datetime.combine(first, time.min, tzinfo=tz).astimezone(UTC)
            )
        if last:
            bounds &= Q(
                purchased_at__lt=datetime.combine(
                    last + timedelta(days=1), time.min, tzinfo=tz
                ).astimezone(UTC)
            )
        condition |= bounds
    return condition


def _filter_orders(
    team: Team,
    qs: QuerySet[Any],
    filters: OrderFilter,
    sku_matches: Collection[str],
    *,
    lines: bool,
) -> QuerySet[Any]:
    if filters.date_from or filters.date_to:
        marketplace_ids = [filters.marketplace] if filters.marketplace else order_marketplaces(team)
        qs = qs.filter(_local_days(marketplace_ids, filters.date_from, filters.date_to))
    elif filters.marketplace:
        qs = qs.filter(marketplace_id=filters.marketplace)
    if filters.order_id:
        qs = qs.filter(amazon_order_id__startswith=filters.order_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.channel:
        qs = qs.filter(fulfillment_channel=filters.channel)
    if filters.sku:
        if lines:
            qs = qs.filter(sku__in=sorted(sku_matches or {filters.sku}))
        else:
            # One pass over the lines (a hashed semi-join), not a probe per order: measured, a
            # correlated EXISTS turns into a nested loop over both tables on a large seller.
            matching = _filter_orders(
                team, OrderLine.objects.filter(team=team), filters, sku_matches, lines=True
            )
            qs = qs.filter(amazon_order_id__in=matching.values("amazon_order_id"))
    return qs


def orders(
    team: Team, filters: OrderFilter, *, sku_matches: Collection[str] = ()
) -> QuerySet[Order]:
    """The filtered orders, newest first or in ``filters.sort``'s order. ``sku_matches``: the SKUs ``filters.sku`` stands for,
    resolved by the caller against every table that names the team's SKUs (the lines are then
    read through their (team, SKU) index); without them, the text itself."""
    qs = _filter_orders(team, Order.objects.filter(team=team), filters, sku_matches, lines=False)
    return ORDER_SORTING.apply(qs, filters.sort)


def order_lines(
    team: Team, filters: OrderFilter, *, sku_matches: Collection[str] = ()
) -> QuerySet[OrderLine]:
    """The lines of the filtered orders (a SKU filter keeps only the matching lines), for export:
    in the order ``orders`` lists their orders, an order's lines by SKU."""
    qs = _filter_orders(team, OrderLine.objects.filter(team=team), filters, sku_matches, lines=True)
    return ORDER_LINE_SORTING.apply(qs, filters.sort)


def access_order(team: Team, amazon_order_id: str) -> Order | None:
    """The team's order with this Amazon id, or None for a missing one and another team's alike."""
    return (
        Order.objects.filter(team=team, amazon_order_id=amazon_order_id[:40]).order_by("id").first()
    )


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
        return sum(
            (
                line.item_price - (line.promotion_discount or 0)
                for line in priced
                if line.item_price is not None
            ),
            Decimal(0),
        )

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


# --- Totals from the day rollup -------------------------------------------------------------------


@dataclass(frozen=True)
class SalesTotal:
    currency: str
    orders: int
    units: int
    sales: Decimal


def _order_days(team: Team, filters: OrderFilter) -> QuerySet[OrderDay]:
    qs = OrderDay.objects.filter(team=team)
    if filters.marketplace:
        qs = qs.filter(marketplace_id=filters.marketplace)
    if filters.date_from:
        qs = qs.filter(day__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(day__lte=filters.date_to)
    return qs


def order_count(team: Team, filters: OrderFilter) -> int | None:
    """How many orders ``orders(team, filters)`` lists, from the day rollup; None when it can't say.

    The rollup counts the distinct orders of each (connection, marketplace, local day, currency),
    and an order's lines share its marketplace and purchase time, so for the date and marketplace
    filters the sum is exact: unless a day has rows in two currencies, where an order priced in
    both would be counted twice. Then, and for the status, channel and SKU filters the rollup does
    not split by, the caller counts the rows itself.
    """
    if not filters.rollup_can_answer:
        return None
    days = _order_days(team, filters)
    split = (
        days.values("connection_id", "marketplace_id", "day")
        .annotate(currencies=Count("id"))
        .filter(currencies__gt=1)
    )
    if split.exists():
        return None
    return int(days.aggregate(orders=Sum("orders"))["orders"] or 0)


def order_totals(team: Team, filters: OrderFilter) -> list[SalesTotal] | None:
    """Totals per currency from the day rollup, for the date and marketplace filters.

    None when a status, channel or SKU filter is set: the rollup does not split by them, and a
    page must not sum raw lines to fake it.
    """
    if not filters.rollup_can_answer:
        return None
    qs = _order_days(team, filters)
    return [
        SalesTotal(r["currency"], r["orders"] or 0, r["units"] or 0, r["sales"] or Decimal(0))
        for r in qs.values("currency")
        .annotate(orders=Sum("orders"), units=Sum("units"), sales=Sum("sales"))
        .order_by("currency")
    ]


class DayFigures(NamedTuple):
    """One currency's order-day measures of one day, added over connections and marketplaces."""

    currency: str
    day: date
    orders: int | None
    units: int | None
    sales: Decimal | None
    promotions: Decimal | None


def day_figures(team: Team, first: date, last: date, marketplace: str = "") -> list[DayFigures]:
    """Per currency and day from ``first`` to ``last``, the order-day measures (one query)."""
    qs = OrderDay.objects.filter(team=team, day__gte=first, day__lte=last)
    if marketplace:
        qs = qs.filter(marketplace_id=marketplace)
    # Named apart from the columns: an annotation called "orders" would shadow the column.
    rows = (
        qs.values("currency", "day")
        .annotate(
            day_orders=Sum("orders"),
            day_units=Sum("units"),
            day_sales=Sum("sales"),
            day_promotions=Sum("promotion_discount"),
        )
        .order_by()
    )
    return [
        DayFigures(
            r["currency"],
            r["day"],
            r["day_orders"],
            r["day_units"],
            r["day_sales"],
            r["day_promotions"],
        )
        for r in rows
    ]


# --- The SKU summary ------------------------------------------------------------------------------

# The summary's column suffix of each standard window.
WINDOWS = ("7d", "30d", "90d", "mtd")


@dataclass(frozen=True)
class SummaryState:
    as_of: date | None  # the day the SKU summary's windows end on (its last refresh)
    one_source: bool  # every row from one connection and marketplace: a row per SKU and currency
    rows: int = 0  # the summary's rows (under the marketplace filter)


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
SELECT summary.as_of, (SELECT count(*) FROM (SELECT 1 FROM sources LIMIT 2) two) <= 1, summary.rows
FROM (SELECT max(as_of) AS as_of, count(*) AS rows FROM orders_skusummary WHERE team_id = %(team)s {marketplace}) summary
"""


def _marketplace_condition(marketplace: str, alias: str = "") -> str:
    return f"AND {alias}marketplace_id = %(marketplace)s" if marketplace else ""


def summary_state(team: Team, marketplace: str = "") -> SummaryState:
    """The SKU summary's day (``as_of``, with the last orders sync), whether it has one source,
    and how many rows it has."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SUMMARY_STATE.format(marketplace=_marketplace_condition(marketplace)),
            {"team": team.id, "marketplace": marketplace},
        )
        row = cursor.fetchone()
    assert row is not None
    return SummaryState(as_of=row[0], one_source=bool(row[1]), rows=int(row[2]))


# --- Top and falling SKUs -------------------------------------------------------------------------


class SkuMoveRow(NamedTuple):
    sku: str
    currency: str
    units: int
    units_before: int
    sales: Decimal
    sales_before: Decimal
    top: bool  # among the period's best sellers by sales
    falling: bool  # among the SKUs whose units fell most

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
    team: Team,
    *,
    first: date,
    last: date,
    previous_first: date,
    marketplace: str = "",
    window: str | None = None,
    one_source: bool = False,
    n: int,
) -> list[SkuMoveRow]:
    """The ``n`` best sellers by sales of each currency from ``first`` to ``last``, and the ``n``
    SKUs whose units fell most against the days from ``previous_first``; from the SKU summary's
    columns of a standard ``window`` (one of ``WINDOWS``), else from the SKU days. ``one_source``:
    the summary's rows (under the marketplace filter) all come from one connection and
    marketplace (``summary_state``), so each row is a SKU's and needs no adding up."""
    params: dict[str, Any] = {
        "team": team.id,
        "first": first,
        "last": last,
        "previous_first": previous_first,
        "marketplace": marketplace,
        "n": n,
    }
    where = _marketplace_condition(marketplace)
    if window is None:
        per_sku = _SKU_DAYS_ADDED.format(marketplace=where)
    else:
        per_sku = (_SKU_ROWS if one_source else _SKU_ROWS_ADDED).format(
            window=window, marketplace=where
        )
    with connection.cursor() as cursor:
        cursor.execute(_SKU_MOVES.format(per_sku=per_sku), params)
        return [SkuMoveRow(*row) for row in cursor.fetchall()]


# --- reimbursement evidence (ams.claims) ------------------------------------------------------


def lines_of_orders(
    team: Team, *, connection_id: int, order_ids: Iterable[str]
) -> dict[tuple[str, str], OrderLine]:
    """The lines of these orders, per (order id, SKU)."""
    return {
        (line.amazon_order_id, line.sku): line
        for line in OrderLine.objects.filter(
            team=team, connection_id=connection_id, amazon_order_id__in=list(order_ids)
        )
    }


def units_of_orders(
    team: Team, *, connection_id: int, order_ids: Iterable[str]
) -> dict[tuple[str, str], int]:
    """The units of each line of these orders, per (order id, SKU)."""
    return {
        (order_id, sku): quantity
        for order_id, sku, quantity in OrderLine.objects.filter(
            team=team, connection_id=connection_id, amazon_order_id__in=list(order_ids)
        ).values_list("amazon_order_id", "sku", "quantity")
    }


def average_unit_prices(
    team: Team, *, connection_id: int, skus: Iterable[str], since: datetime
) -> dict[tuple[str, str, str], Decimal]:
    """Each SKU's average price per unit sold since ``since``, per (marketplace, SKU, currency),
    over the priced, not cancelled lines."""
    rows = (
        OrderLine.objects.filter(
            team=team,
            connection_id=connection_id,
            sku__in=list(skus),
            purchased_at__gte=since,
            item_price__isnull=False,
            quantity__gt=0,
        )
        .exclude(status="cancelled")
        .values("marketplace_id", "sku", "currency")
        .annotate(price=Sum("item_price"), units=Sum("quantity"))
        .order_by()
    )
    return {
        (r["marketplace_id"], r["sku"], r["currency"]): (r["price"] / r["units"]).quantize(
            Decimal("0.01")
        )
        for r in rows
        if r["units"]
    }


# --- Today, yesterday, this month -----------------------------------------------------------------


class LocalDayTotals(NamedTuple):
    marketplace_id: str
    currency: str
    day: date
    orders: int
    units: int
    sales: Decimal


def recent_local_days(team: Team, first_days: dict[str, date]) -> list[LocalDayTotals]:
    """Per marketplace, currency and local day from that marketplace's first day on, the day
    rollup's measures (one query): each marketplace has its own today."""
    if not first_days:
        return []
    condition = Q()
    for marketplace_id, first in first_days.items():
        condition |= Q(marketplace_id=marketplace_id, day__gte=first)
    rows = (
        OrderDay.objects.filter(condition, team=team)
        .values("marketplace_id", "currency", "day")
        .annotate(day_orders=Sum("orders"), day_units=Sum("units"), day_sales=Sum("sales"))
        .order_by()
    )
    return [
        LocalDayTotals(
            r["marketplace_id"],
            r["currency"],
            r["day"],
            r["day_orders"],
            r["day_units"],
            r["day_sales"],
        )
        for r in rows
    ]


class SkuUnitsDay(NamedTuple):
    connection_id: int
    marketplace_id: str
    sku: str
    day: date
    units: int


def sku_units_by_day(team: Team, first: date, last: date) -> list[SkuUnitsDay]:
    """Units sold per connection, marketplace, SKU and marketplace-local day from ``first`` to
    ``last`` (every currency together; cancelled lines left out, as in ``SkuDay``): the demand
    history's known days. Days without a sale are absent."""
    rows = (
        SkuDay.objects.filter(team=team, day__range=(first, last))
        .values_list("connection_id", "marketplace_id", "sku", "day")
        .annotate(total=Sum("units"))
        .order_by("connection_id", "marketplace_id", "sku", "day")
    )
    return [SkuUnitsDay(*row) for row in rows]
