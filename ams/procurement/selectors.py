"""Reads of product costs: the cost valid on a day, the list page, the SKUs a team sells, and the
standard windows priced ahead (``SkuWindowCost``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, F, QuerySet
from psycopg import sql

from ams.catalog import selectors as catalog
from ams.catalog.relations import listings
from ams.core.sorting import Sorting
from ams.orders import selectors as orders
from ams.orders.relations import sku_days, sku_summary
from ams.procurement.cost_rule import cost_on_day, dated_costs
from ams.procurement.models import CostImport, ProductCost
from ams.procurement.window_costs import WINDOWS
from ams.teams.models import Team


class CostKey(NamedTuple):
    """What a cost is looked up for: a SKU sold in a marketplace on a (marketplace-local) day.

    With ``currency`` set, a cost in another currency is converted into it at the ECB's rate of
    the day (ams.core.exchange_rates), and counts as missing where there is no rate.
    """

    sku: str
    marketplace_id: str | None
    day: date
    currency: str | None = None


@dataclass(frozen=True)
class CostLookup:
    key: CostKey
    unit_cost: Decimal | None = None
    currency: str | None = None
    effective_from: date | None = None
    cost_id: int | None = None
    # Why there is no usable cost; empty when there is one.
    missing_reason: str = ""
    # The record's own currency when ``unit_cost`` was converted from it at the day's rate.
    converted_from: str = ""

    @property
    def missing(self) -> bool:
        return self.unit_cost is None


NO_COST = "no cost on or before this day"


def cost_for(
    team: Team, sku: str, marketplace_id: str | None, day: date, *, currency: str | None = None
) -> CostLookup:
    """The unit cost of ``sku`` valid on ``day`` in the marketplace, or a missing one with the reason."""
    key = CostKey(sku, marketplace_id, day, currency)
    return costs_for(team, [key])[key]


# Each key (a row of ``k``) priced by the cost rule over the records of the keys' SKUs.
_LOOKUP_TEMPLATE = """
WITH costs AS ({costs})
SELECT k.i, {id}, {unit_cost}, {currency}, {effective_from}, {record_currency}
FROM unnest(%(skus)s::text[], %(marketplaces)s::text[], %(days)s::date[], %(currencies)s::text[])
     WITH ORDINALITY AS k(sku, marketplace_id, day, sale_currency, i)
{joins}
"""
_APPLIED = cost_on_day(lines="k", day="k.day", costs="costs", sale_currency="k.sale_currency")
_LOOKUP = _LOOKUP_TEMPLATE.format(
    costs=dated_costs(skus="sku = ANY(%(skus)s)"),
    joins=_APPLIED.joins,
    record_currency=_APPLIED.record("currency"),
    **{name: _APPLIED.column(name) for name in ("id", "unit_cost", "currency", "effective_from")},
)


def costs_for(team: Team, keys: Iterable[CostKey]) -> dict[CostKey, CostLookup]:
    """The cost valid for each key by the rule of ``ams.procurement.cost_rule``, in one query
    over the records of the keys' SKUs."""
    unique = list(dict.fromkeys(keys))
    if not unique:
        return {}
    params: dict[str, Any] = {
        "team": team.id,
        "skus": [k.sku for k in unique],
        "marketplaces": [k.marketplace_id for k in unique],
        "days": [k.day for k in unique],
        "currencies": [k.currency for k in unique],
    }
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP, params)
        found = {int(row[0]): row[1:] for row in cursor.fetchall()}
    result: dict[CostKey, CostLookup] = {}
    for i, key in enumerate(unique, start=1):
        cost_id, unit_cost, currency, effective_from, own_currency = found.get(
            i, (None, None, None, None, None)
        )
        if cost_id is None:
            result[key] = CostLookup(key, missing_reason=NO_COST)
        elif key.currency is not None and currency != key.currency:
            result[key] = CostLookup(
                key,
                currency=currency,
                effective_from=effective_from,
                cost_id=cost_id,
                missing_reason=(
                    f"the cost is in {currency}, the sale in {key.currency}, "
                    "and the ECB has no rate between them for this day"
                ),
            )
        else:
            converted = own_currency if own_currency != currency else ""
            result[key] = CostLookup(
                key, unit_cost, currency, effective_from, cost_id, converted_from=converted
            )
    return result


# --- Which SKUs the team sells ------------------------------------------------------------------


def synced_skus(team: Team) -> set[str] | None:
    """The SKUs Amazon knows for the team (listed, or sold in the SKU summary's windows), or None
    when nothing is synced yet (nothing to check against)."""
    return (catalog.listed_skus(team) | orders.sold_skus(team)) or None


def costed_skus(team: Team) -> set[str]:
    return set(ProductCost.objects.filter(team=team).values_list("sku", flat=True).distinct())


def known_skus(team: Team) -> set[str]:
    """Every SKU the team has: synced from Amazon, or given a cost by hand."""
    return (synced_skus(team) or set()) | costed_skus(team)


def default_currency(team: Team) -> str:
    """The currency a new cost most likely has: the one the team's costs use most, else its sales'."""
    counted = (
        ProductCost.objects.filter(team=team)
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
        .first()
    )
    if counted:
        return str(counted["currency"])
    return orders.main_currency(team) or "USD"


def skus_without_cost(team: Team) -> list[str]:
    return sorted((synced_skus(team) or set()) - costed_skus(team))


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def skus_without_cost_page(
    team: Team, *, sku_contains: str = "", limit: int = 100
) -> tuple[int, list[str]]:
    """How many synced SKUs (containing ``sku_contains``, any case) have no cost, and the first
    ``limit`` of them in SKU order.

    One anti-join in the database: measured at 10,000 SKUs, reading the synced and the costed
    SKUs into Python sets (three DISTINCT queries) took most of the cost page's time.
    """
    # The listings and the SKU summary, through the SQL their apps hand out.
    synced = sql.SQL(" UNION ").join(
        sql.SQL("SELECT sku FROM ({}) AS {}").format(sql.SQL(relation), sql.Identifier(alias))
        for alias, relation in (("l", listings()), ("s", sku_summary()))
    )
    contains = sql.SQL("AND s.sku ILIKE %(pattern)s") if sku_contains else sql.SQL("")
    query = sql.SQL("""
        SELECT s.sku, count(*) OVER ()
        FROM ({synced}) AS s(sku)
        WHERE NOT EXISTS (SELECT 1 FROM procurement_productcost c WHERE c.team_id = %(team)s AND c.sku = s.sku)
          {contains}
        ORDER BY s.sku
        LIMIT %(limit)s
    """).format(synced=synced, contains=contains)
    with connection.cursor() as cursor:
        cursor.execute(
            query.as_string(cursor.cursor.connection),
            {"team": team.id, "pattern": _like_pattern(sku_contains), "limit": limit},
        )
        rows = cursor.fetchall()
    return (int(rows[0][1]) if rows else 0), [str(row[0]) for row in rows]


# --- The cost list ------------------------------------------------------------------------------

# The list is one group of records per SKU: it sorts by SKU, either way; inside a SKU, by
# marketplace, the newest record first. The export lists the records in the same order.
COST_SORTING = Sorting(
    {"sku": ("sku",)},
    default="sku",
    tiebreak=(),
    # Newest first, the undated record (all history before the first dated one) last.
    then=("marketplace_id", F("effective_from").desc(nulls_last=True), "id"),
)


def cost_records(
    team: Team, *, sku_contains: str = "", marketplace_id: str = "", sort: str = ""
) -> QuerySet[ProductCost]:
    """Every dated record that matches the filters, as the export writes them (``sort``: a key
    of ``COST_SORTING``)."""
    qs = ProductCost.objects.filter(team=team)
    if sku_contains:
        qs = qs.filter(sku__icontains=sku_contains)
    if marketplace_id == "all":
        qs = qs.filter(marketplace_id__isnull=True)
    elif marketplace_id:
        qs = qs.filter(marketplace_id=marketplace_id)
    return COST_SORTING.apply(qs.select_related("created_by"), sort)


@dataclass
class SkuCosts:
    """One SKU on the list page: the record in force per marketplace today, and the full history."""

    sku: str
    current: list[ProductCost] = field(default_factory=list)
    upcoming: list[ProductCost] = field(default_factory=list)
    history: list[ProductCost] = field(default_factory=list)


def sku_costs(records: Iterable[ProductCost], *, today: date) -> list[SkuCosts]:
    """Group records (ordered by SKU, marketplace, newest first) per SKU."""
    by_sku: dict[str, SkuCosts] = {}
    seen_scope: set[tuple[str, str | None]] = set()
    for record in records:
        entry = by_sku.setdefault(record.sku, SkuCosts(record.sku))
        entry.history.append(record)
        if record.effective_from is not None and record.effective_from > today:
            entry.upcoming.append(record)
        elif (record.sku, record.marketplace_id) not in seen_scope:
            seen_scope.add((record.sku, record.marketplace_id))
            entry.current.append(record)
    return list(by_sku.values())


class CostUsage(NamedTuple):
    """The orders one cost record priced: those sold on a day it applied to, by the cost rule."""

    orders: int
    units: int
    first_day: date
    last_day: date


_USAGE_RULE = cost_on_day(lines="d", day="d.day", costs="costs", sale_currency="d.currency")
_USAGE = f"""
WITH costs AS ({dated_costs(skus="sku = ANY(%(skus)s)")})
SELECT {_USAGE_RULE.column("id")} AS cost_id, sum(d.orders), sum(d.units), min(d.day), max(d.day)
FROM ({sku_days()}) d {_USAGE_RULE.joins}
WHERE d.sku = ANY(%(skus)s) AND d.units > 0 AND {_USAGE_RULE.column("currency")} = d.currency
GROUP BY 1
"""  # noqa: S608 (fixed text)


def cost_usage(team: Team, skus: Iterable[str]) -> dict[int, CostUsage]:
    """Per cost record of ``skus``: the orders and units it priced (the SKU days of the orders'
    read model, so cancelled lines are left out), and the days of the first and last of them.
    A record in another currency counts where the day's rate converted it."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_USAGE, {"team": team.id, "skus": wanted})
        return {int(row[0]): CostUsage(int(row[1]), int(row[2]), row[3], row[4]) for row in cursor}


def cost_skus_page(
    team: Team, *, sku_contains: str, marketplace_id: str, sort: str = ""
) -> QuerySet[ProductCost, str]:
    """The distinct SKUs with records matching the filters, for paginating the list by SKU."""
    descending = COST_SORTING.chosen(sort).descending
    return (
        cost_records(team, sku_contains=sku_contains, marketplace_id=marketplace_id)
        .order_by("-sku" if descending else "sku")
        .values_list("sku", flat=True)
        .distinct()
    )


# --- The standard windows, priced ahead -----------------------------------------------------------


class PricedWindow(NamedTuple):
    """One currency's cost of goods over a standard window and the window before it, added over
    the ``SkuWindowCost`` rows (see ``ams.procurement.window_costs``)."""

    currency: str
    units: int
    units_before: int
    cost: Decimal
    cost_before: Decimal
    units_missing: int
    units_missing_before: int
    skus_missing: int
    skus_missing_before: int
    fresh: bool  # every row was priced for the window ending on the day asked for
    rows: int  # the rows added up, to compare with the SKU summary's


# Sums of 10,000 numbers. The rows are read twice rather than kept aside (NOT MATERIALIZED):
# measured, ~7 ms instead of ~12.
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
    coalesce(m.skus, 0), coalesce(m.skus_before, 0), t.fresh, t.rows
FROM totals t LEFT JOIN missing m ON m.currency = t.currency
"""


def priced_windows(
    team: Team, window: str, *, last: date, marketplace: str = ""
) -> list[PricedWindow]:
    """The cost of goods of a standard window (a key of ``window_costs.WINDOWS``) ending on
    ``last``, per currency, as priced ahead for the team's SKU summary rows."""
    if window not in WINDOWS:
        raise ValueError(f"not a standard window: {window}")
    where = "AND marketplace_id = %(marketplace)s" if marketplace else ""
    with connection.cursor() as cursor:
        cursor.execute(
            _PRICED_WINDOWS.format(marketplace=where, window=window),
            {"team": team.id, "last": last, "marketplace": marketplace},
        )
        return [PricedWindow(*row) for row in cursor.fetchall()]


def cost_import(team: Team, import_id: int) -> CostImport | None:
    """The team's cost import, or None for a missing one and another team's alike."""
    return CostImport.objects.filter(team=team, id=import_id).first()
