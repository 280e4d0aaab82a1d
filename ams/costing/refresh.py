"""Cost batches from receipts, and the sales that consume them, rebuilt from a day on.

``costing_refresh(team, since={product id: day})`` reprices only what a change can reach: for each
product named, the batches are valued again and the ``Consumption`` rows of that product (in every
stock pool) from that day on are deleted and replayed. The state of each batch at that day is what
the rows kept before it say (units taken and given back), so nothing earlier is read again. With
no ``since`` (or a new home currency, or a new method) everything is rebuilt.

The replay streams the order lines of the SKUs that sell those products (their bundles too) in
purchase order through the pools of ``ams.costing.fifo``, in integer cents, and writes the rows by
COPY. Each sale consumes the oldest batch in its pool (or the pool's average): FBA orders the pool
of their marketplace's region, the orders the seller ships (FBM) the seller's own stock. A receipt
counts from the start of its day; on one day, receipts come before sales and returns, which keep
their order in time. A customer return to sellable stock (``ams.inventory.relations``) gives the
units back to the batch they were sold from. See docs/architecture.md, "Cost of goods from receipts".
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import connection, transaction

from ams.core.bulk import Column, drop_stage, stage
from ams.core.exchange_rates import CENT
from ams.core.marketplaces import DEFAULT_ZONE, TIME_ZONES, region
from ams.costing.errors import CostingError
from ams.costing.fifo import AveragePool, FifoPool, Lot, Take, returned
from ams.costing.models import Consumption, CostBatch, CostingSettings, Method, Source
from ams.costing.signals import cogs_changed
from ams.inventory.relations import (
    newest_return_write,
    returns_synced_since,
    sellable_returns,
)
from ams.orders.relations import lines_synced_since, newest_line_write, sold_lines
from ams.orders.selectors import home_currency
from ams.products.selectors import component_map, sku_map
from ams.purchasing.landed import landed_by_receipt_line
from ams.purchasing.models import ReceiptLine, StockPool
from ams.teams.models import Team

logger = logging.getLogger(__name__)
BEGINNING = date(2000, 1, 1)
_REGION_POOL = {"NA": StockPool.FBA_NA, "EU": StockPool.FBA_EU, "FE": StockPool.FBA_FE}


def pool_of(channel: str, marketplace_id: str) -> str | None:
    """The stock a sale ships from: FBA from its region's fulfilment centres, else the seller's own."""
    if channel != "AFN":
        return str(StockPool.OWN)
    found = region(marketplace_id)
    return str(_REGION_POOL[found]) if found in _REGION_POOL else None


@dataclass(frozen=True)
class RefreshStats:
    full: bool
    products: int
    batches: int
    sales: int
    returns: int
    rows: int


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(ROUND_HALF_EVEN))


_RATE = """
SELECT currency, per_eur FROM core_exchangerate
WHERE currency = ANY(%(currencies)s) AND day <= %(day)s AND day > %(day)s - 14
ORDER BY day DESC
"""


def home_rate(currency: str, home: str, day: date) -> Decimal:
    """Units of ``home`` per unit of ``currency`` on ``day`` (the ECB's rate of the day, or the
    last one published in the two weeks before it, when today's is not loaded yet)."""
    if currency == home:
        return Decimal(1)
    found: dict[str, Decimal] = {"EUR": Decimal(1)}
    with connection.cursor() as cursor:
        cursor.execute(_RATE, {"currencies": [currency, home], "day": day})
        for code, per_eur in cursor.fetchall():
            found.setdefault(code, per_eur)
    if currency not in found or home not in found:
        missing = currency if currency not in found else home
        raise CostingError(
            f"There is no exchange rate for {missing} on {day}: the goods cannot be valued "
            f"in {home}. Load the rates (manage.py exchange_rates) and try again."
        )
    return found[home] / found[currency]


_BATCH_STAGE = (
    Column("receipt_line_id", "bigint"),
    Column("product_id", "bigint"),
    Column("stock_pool", "text"),
    Column("received_on", "date"),
    Column("quantity", "integer"),
    Column("goods_value", "numeric(16,2)"),
    Column("landed_value", "numeric(16,2)"),
    Column("currency", "text"),
    Column("unit_price", "numeric(14,4)"),
    Column("price_currency", "text"),
    Column("rate", "numeric(20,10)"),
)
_BATCH_FIELDS = ", ".join(c.name for c in _BATCH_STAGE)
_TABLE = CostBatch._meta.db_table

# New batches and changed ones, each returned with its product and day; unchanged ones untouched.
_BATCH_UPSERT = f"""
INSERT INTO {_TABLE} (team_id, {_BATCH_FIELDS})
SELECT %(team)s, {_BATCH_FIELDS} FROM {{staged}}
ON CONFLICT (team_id, receipt_line_id) DO UPDATE SET
    {", ".join(f"{c.name} = excluded.{c.name}" for c in _BATCH_STAGE[1:])}
WHERE ({", ".join(f"{_TABLE}.{c.name}" for c in _BATCH_STAGE[1:])})
    IS DISTINCT FROM ({", ".join(f"excluded.{c.name}" for c in _BATCH_STAGE[1:])})
RETURNING product_id, received_on
"""  # noqa: S608 (model's table, our staging table)

# Batches whose receipt line is gone (in the products looked at).
_BATCH_GONE = f"""
DELETE FROM {_TABLE} b
WHERE b.team_id = %(team)s AND {{products}}
  AND NOT EXISTS (SELECT FROM {{staged}} s WHERE s.receipt_line_id = b.receipt_line_id)
RETURNING product_id, received_on
"""  # noqa: S608 (model's table, our staging table)


def _batches_build(
    team: Team, home: str, product_ids: Iterable[int] | None
) -> tuple[dict[int, date], int]:
    """Value every receipt line of the products (all with None) as a batch in ``home``, written
    set-based; returns the earliest day of a new, changed or removed batch per product, and the
    number of batches looked at."""
    lines = ReceiptLine.objects.filter(team=team)
    ids: list[int] | None = None
    if product_ids is not None:
        ids = list(product_ids)
        lines = lines.filter(product_id__in=ids)
    rows = list(
        lines.values_list(
            "pk",
            "product_id",
            "receipt__stock_pool",
            "receipt__received_on",
            "quantity",
            "unit_cost",
            "currency",
            "receipt__order_id",
        )
    )
    rates: dict[tuple[str, date], Decimal] = {}

    def rate_of(currency: str, day: date) -> Decimal:
        key = (currency, day)
        if key not in rates:
            rates[key] = home_rate(currency, home, day)
        return rates[key]

    def to_home(amount: Decimal, currency: str, day: date) -> Decimal:
        return (amount * rate_of(currency, day)).quantize(CENT, ROUND_HALF_EVEN)

    landed = landed_by_receipt_line(team, order_ids={r[7] for r in rows}, to_home=to_home)
    zero = Decimal(0)
    staged_rows = []
    for pk, product_id, pool, day, quantity, unit_cost, currency, _order in rows:
        rate = rate_of(currency, day)
        staged_rows.append(
            (
                pk,
                product_id,
                pool,
                day,
                quantity,
                (quantity * unit_cost * rate).quantize(CENT, ROUND_HALF_EVEN),
                landed.get(pk, zero),
                home,
                unit_cost,
                currency,
                rate.quantize(Decimal("1E-10")),
            )
        )
    staged, _count = stage(_BATCH_STAGE, staged_rows)
    changed: dict[int, date] = {}
    products = "true" if ids is None else "b.product_id = ANY(%(products)s)"
    with connection.cursor() as cursor:
        cursor.execute(_BATCH_UPSERT.format(staged=staged), {"team": team.id})
        found = cursor.fetchall()
        cursor.execute(
            _BATCH_GONE.format(staged=staged, products=products),
            {"team": team.id, "products": ids or []},
        )
        found += cursor.fetchall()
    drop_stage(staged)
    for product_id, day in found:
        changed[product_id] = min(day, changed.get(product_id, day))
    return changed, len(rows)


def _zone_params(team: Team) -> dict[str, Any]:
    return {
        "team": team.id,
        "default_zone": DEFAULT_ZONE,
        "zone_ids": list(TIME_ZONES),
        "zone_names": list(TIME_ZONES.values()),
    }


def _newest_write(cursor: Any, team: Team) -> datetime | None:
    cursor.execute(
        f"SELECT greatest(({newest_line_write()}), ({newest_return_write()}))",
        {"team": team.id},
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _new_lines(
    team: Team, settings: CostingSettings, by_sku: Mapping[str, set[int]]
) -> tuple[dict[int, date], datetime | None]:
    """Products whose SKUs sold lines (or had sellable returns) written since the last refresh,
    from the day before the earliest (its local day can be a day behind UTC's); and the newest
    write seen."""
    if settings.lines_through is None:
        return {}, None
    starts: dict[int, date] = {}
    query = f"""SELECT sku, min(at) FROM (
        SELECT sku, purchased_at AS at FROM ({lines_synced_since()}) n
        UNION ALL SELECT sku, returned_at FROM ({returns_synced_since()}) r
    ) w GROUP BY sku"""  # noqa: S608 (fixed text)
    with connection.cursor() as cursor:
        cursor.execute(query, {"team": team.id, "since": settings.lines_through})
        rows = cursor.fetchall()
        newest = _newest_write(cursor, team)
    for sku, first in rows:
        for product_id in by_sku.get(sku, ()):
            day = first.date() - timedelta(days=1)
            starts[product_id] = min(day, starts.get(product_id, day))
    return starts, newest


@transaction.atomic
def costing_refresh(
    team: Team, *, since: Mapping[int, date] | None = None, new_sales: bool = False
) -> RefreshStats:
    """Bring the batches and their consumption up to date: from ``since`` per product (plus, with
    ``new_sales``, the products of the order lines and returns written since the last refresh:
    what a sync calls); everything when ``since`` is None."""
    settings, _ = CostingSettings.objects.select_for_update().get_or_create(team=team)
    home = home_currency(team)
    full = since is None or settings.currency != home
    mapping = sku_map(team)
    parts = component_map(team)
    by_sku: dict[str, set[int]] = defaultdict(set)
    for (sku, _marketplace), product_id in mapping.by_key.items():
        for component in parts.get(product_id) or {product_id: 1}:
            by_sku[sku].add(component)
    starts: dict[int, date] | None
    if full:
        _changed, batches = _batches_build(team, home, None)
        starts = None
        with connection.cursor() as cursor:
            newest = _newest_write(cursor, team)
    else:
        assert since is not None
        changed, batches = _batches_build(team, home, set(since))
        starts = dict(since)
        for product_id, day in changed.items():
            starts[product_id] = min(day, starts.get(product_id, day))
        from_lines, newest = _new_lines(team, settings, by_sku) if new_sales else ({}, None)
        for product_id, day in from_lines.items():
            starts[product_id] = min(day, starts.get(product_id, day))
    stats = _replay(team, home, settings.method, starts, mapping.product_of, parts, by_sku)
    if starts is None:
        cogs_changed.send(sender=costing_refresh, team_id=team.id, skus=None, since=None)
    elif starts:
        reached = set(starts)
        skus = frozenset(sku for sku, products in by_sku.items() if products & reached)
        # A day early: the batches' days are UTC, the sales' local to their marketplace.
        first_day = min(starts.values()) - timedelta(days=1)
        cogs_changed.send(sender=costing_refresh, team_id=team.id, skus=skus, since=first_day)
    settings.currency = home
    if newest is not None:
        settings.lines_through = newest
    elif settings.lines_through is None:
        settings.lines_through = datetime(2000, 1, 1, tzinfo=UTC)
    settings.save(update_fields=["currency", "lines_through"])
    return RefreshStats(full, stats[0], batches, stats[1], stats[2], stats[3])


_COLUMNS = (
    "connection_id",
    "marketplace_id",
    "amazon_order_id",
    "sku",
    "currency",
    "order_day",
    "product_id",
    "stock_pool",
    "batch_id",
    "is_return",
    "day",
    "per_sku",
    "units",
    "cost",
    "source",
)

# An item: (connection id, Amazon order id, SKU); with its product, the key of what it took.
ItemKey = tuple[int, str, str]


@dataclass
class _Taken:
    marketplace_id: str
    currency: str
    order_day: date
    per_sku: int
    pool: str
    takes: list[Take]


def _delete_from(team: Team, starts: Mapping[int, date] | None) -> None:
    table = Consumption._meta.db_table
    with connection.cursor() as cursor:
        if starts is None:
            cursor.execute(f"DELETE FROM {table} WHERE team_id = %s", [team.id])  # noqa: S608 (model's table)
            return
        cursor.execute(
            f"""DELETE FROM {table} c USING unnest(%(products)s::bigint[], %(days)s::date[]) s(product_id, day)
            WHERE c.team_id = %(team)s AND c.product_id = ANY(%(products)s)
              AND c.product_id = s.product_id AND c.day >= s.day""",  # noqa: S608 (model's table)
            {"team": team.id, "products": list(starts), "days": list(starts.values())},
        )


def _pools(
    team: Team, method: str, starts: Mapping[int, date] | None
) -> tuple[dict[tuple[int, str], FifoPool | AveragePool], list[tuple[date, int, Lot, int, str]]]:
    """Each (product, pool) as it stood at its start day, and the receipts on or after it."""
    batches = CostBatch.objects.filter(team=team).order_by("received_on", "pk")
    if starts is not None:
        batches = batches.filter(product_id__in=list(starts))
    fields = ("pk", "product_id", "stock_pool", "quantity", "goods_value", "landed_value")
    taken: dict[int, tuple[int, int]] = {}
    kept: dict[tuple[int, str], tuple[int, int]] = {}
    if starts is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT batch_id, product_id, stock_pool, sum(units), sum(cost * 100)::bigint
                FROM {Consumption._meta.db_table}
                WHERE team_id = %s AND product_id = ANY(%s) AND source = 'batch'
                GROUP BY batch_id, product_id, stock_pool""",  # noqa: S608 (model's table)
                [team.id, list(starts)],
            )
            for batch_id, product_id, pool, units, cents in cursor.fetchall():
                if batch_id is not None:
                    taken[batch_id] = (int(units), int(cents))
                old = kept.get((product_id, pool), (0, 0))
                kept[(product_id, pool)] = (old[0] + int(units), old[1] + int(cents))
    pools: dict[tuple[int, str], FifoPool | AveragePool] = {}
    receipts: list[tuple[date, int, Lot, int, str]] = []
    for (
        batch_id,
        product_id,
        pool_name,
        quantity,
        goods,
        landed,
        received_on,
    ) in batches.values_list(*fields, "received_on"):
        key = (product_id, pool_name)
        if key not in pools:
            pools[key] = FifoPool() if method == Method.FIFO else AveragePool()
        lot = Lot(batch_id, quantity, _cents(goods + landed))
        start = BEGINNING if starts is None else starts[product_id]
        if received_on >= start:
            receipts.append((received_on, batch_id, lot, product_id, pool_name))
            continue
        pool = pools[key]
        if isinstance(pool, FifoPool):
            lot.taken = taken.get(batch_id, (0, 0))[0]
            pool.receive(lot)
        else:
            pool.receive(lot)
    for key, (units, cents) in kept.items():
        pool = pools.get(key)
        if isinstance(pool, AveragePool):
            pool.units -= units
            pool.value -= cents
    return pools, receipts


def _earlier_takes(
    team: Team, items: set[ItemKey], products: Iterable[int]
) -> dict[ItemKey, dict[int, _Taken]]:
    """What the items (returned in the replay, sold before it) took, net of earlier returns."""
    out: dict[ItemKey, dict[int, _Taken]] = {}
    if not items:
        return out
    conns, orders, skus = zip(*items, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.connection_id, c.amazon_order_id, c.sku, c.product_id, c.marketplace_id,
                c.currency, c.order_day, c.per_sku, c.stock_pool, c.batch_id, c.source,
                sum(c.units), sum(c.cost * 100)::bigint
            FROM {Consumption._meta.db_table} c
            JOIN unnest(%(conns)s::bigint[], %(orders)s::text[], %(skus)s::text[]) i(connection_id, amazon_order_id, sku)
              ON i.connection_id = c.connection_id AND i.amazon_order_id = c.amazon_order_id AND i.sku = c.sku
            WHERE c.team_id = %(team)s AND c.product_id = ANY(%(products)s)
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
            ORDER BY min(c.id)""",  # noqa: S608 (model's table)
            {
                "team": team.id,
                "conns": list(conns),
                "orders": list(orders),
                "skus": list(skus),
                "products": list(products),
            },
        )
        for row in cursor.fetchall():
            conn, order, sku, product, mkt, cur, day, per_sku, pool, batch, source, units, cents = (
                row
            )
            by_product = out.setdefault((conn, order, sku), {})
            taken = by_product.setdefault(product, _Taken(mkt, cur, day, per_sku, pool, []))
            covered = source == Source.BATCH
            taken.takes.append(Take(batch, int(units), int(cents) if covered else None, covered))
    return out


def _replay(
    team: Team,
    home: str,
    method: str,
    starts: dict[int, date] | None,
    product_of: Any,
    parts: Mapping[int, Mapping[int, int]],
    by_sku: Mapping[str, set[int]],
) -> tuple[int, int, int, int]:
    if starts is not None and not starts:
        return (0, 0, 0, 0)
    _delete_from(team, starts)
    pools, receipts = _pools(team, method, starts)
    if starts is None:
        skus = [sku for sku, products in by_sku.items() if products]
        since = datetime(2000, 1, 1, tzinfo=UTC)
    else:
        skus = [sku for sku, products in by_sku.items() if products & starts.keys()]
        since = datetime.combine(min(starts.values()) - timedelta(days=1), time.min, tzinfo=UTC)
    params = {**_zone_params(team), "skus": skus, "since": since}

    def start_of(product_id: int) -> date:
        return BEGINNING if starts is None else starts.get(product_id, date.max)

    # Returns first: the items they name are the only ones whose takes are kept.
    with connection.cursor() as cursor:
        cursor.execute(sellable_returns(skus="r.sku = ANY(%(skus)s)", since="%(since)s"), params)
        return_rows = cursor.fetchall()
    wanted: set[ItemKey] = {(r[1], r[3], r[4]) for r in return_rows}
    taken = _earlier_takes(team, wanted, starts) if starts is not None else {}

    # Events sort by (day, 0 receipt / 1 sale or return, instant, kind, id).
    events: list[tuple[Any, ...]] = [
        (day, 0, None, 0, batch_id, lot, product_id, pool)
        for day, batch_id, lot, product_id, pool in receipts
    ]
    for rid, conn, mkt, order, sku, qty, at, day in return_rows:
        events.append((day, 1, at, 1, rid, conn, mkt, order, sku, qty))
    sales = 0
    with connection.cursor() as cursor:
        # A rebuild sorts every line of the team at once: in memory.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sold_lines(skus="l.sku = ANY(%(skus)s)", since="%(since)s"), params)
        while chunk := cursor.fetchmany(20_000):
            events.extend((row[9], 1, row[8], 0, row[0], row) for row in chunk)
            sales += len(chunk)
    events.sort(key=lambda e: e[:5])

    counts = {"returns": 0, "rows": 0}
    products_seen: set[int] = set()
    fifo = method == Method.FIFO
    pool_names: dict[tuple[str, str], str | None] = {}
    batch, uncovered = str(Source.BATCH), str(Source.UNCOVERED)

    def consumed() -> Iterator[tuple[Any, ...]]:
        """The rows, made while the COPY sends them (the database parses them on the other core)."""
        for event in events:
            if event[1] == 0:
                _day, _r, _at, _k, _bid, lot, product_id, pool_name = event
                key = (product_id, pool_name)
                if key not in pools:
                    pools[key] = FifoPool() if fifo else AveragePool()
                pools[key].receive(lot)
                continue
            if event[3] == 0:
                _id, conn, mkt, order, sku, currency, channel, quantity, _at, day = event[5]
                product = product_of(sku, mkt)
                where = (channel, mkt)
                if where not in pool_names:
                    pool_names[where] = pool_of(channel, mkt)
                pool_name = pool_names[where]
                if product is None or pool_name is None:
                    continue
                for component, per_sku in (parts.get(product) or {product: 1}).items():
                    if day < start_of(component):
                        continue
                    pool = pools.get((component, pool_name))
                    units = quantity * per_sku
                    takes = (
                        pool.take(units) if pool is not None else [Take(None, units, None, False)]
                    )
                    item = (conn, order, sku)
                    if item in wanted:
                        taken.setdefault(item, {})[component] = _Taken(
                            mkt, currency, day, per_sku, pool_name, list(takes)
                        )
                    products_seen.add(component)
                    for t in takes:
                        counts["rows"] += 1
                        yield (
                            conn,
                            mkt,
                            order,
                            sku,
                            currency,
                            day,
                            component,
                            pool_name,
                            t.batch_id,
                            False,
                            day,
                            per_sku,
                            t.units,
                            t.cost,
                            batch if t.covered else uncovered,
                        )
                continue
            _day, _r, _at, _k, _rid, conn, mkt, order, sku, qty = event
            day = event[0]
            item = (conn, order, sku)
            for component, sold in taken.get(item, {}).items():
                if day < start_of(component):
                    continue
                pool = pools.get((component, sold.pool))
                if pool is None:
                    continue
                counts["returns"] += 1
                for batch_id, units, paid in returned(sold.takes, qty * sold.per_sku):
                    if isinstance(pool, FifoPool):
                        if batch_id is None:
                            continue
                        credit = pool.give_back(batch_id, units)
                    else:
                        credit = paid
                        pool.give_back_value(units, credit)
                    _reduce(sold.takes, batch_id, units, credit)
                    counts["rows"] += 1
                    yield (
                        conn,
                        sold.marketplace_id,
                        order,
                        sku,
                        sold.currency,
                        sold.order_day,
                        component,
                        sold.pool,
                        batch_id,
                        True,
                        day,
                        sold.per_sku,
                        -units,
                        -credit,
                        batch,
                    )

    _copy(team, home, consumed())
    return len(products_seen), sales, counts["returns"], counts["rows"]


def _reduce(takes: list[Take], batch_id: int | None, units: int, credit: int) -> None:
    """Record in an item's takes that ``units`` of ``batch_id`` came back (last take first)."""
    for i in range(len(takes) - 1, -1, -1):
        t = takes[i]
        if t.covered and t.batch_id == batch_id and t.units > 0:
            k = min(units, t.units)
            takes[i] = Take(t.batch_id, t.units - k, (t.cost or 0) - credit, True)
            return


_TYPES = {
    "connection_id": "bigint",
    "order_day": "date",
    "product_id": "bigint",
    "batch_id": "bigint",
    "is_return": "boolean",
    "day": "date",
    "per_sku": "integer",
    "units": "integer",
    "cost": "bigint",  # cents
}
_STAGE = tuple(Column(name, _TYPES.get(name, "text")) for name in _COLUMNS)
# The staged cents as the table's money.
_SELECTED = ", ".join("cost::numeric / 100" if name == "cost" else name for name in _COLUMNS)


def _copy(team: Team, home: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY into a staging table (row-level security refuses COPY into the table itself), then
    one INSERT that adds the team and the currency."""
    staged, count = stage(_STAGE, rows)
    names = ", ".join(_COLUMNS)
    with connection.cursor() as cursor:
        if count:
            cursor.execute(
                f"INSERT INTO {Consumption._meta.db_table} (team_id, cost_currency, {names}) "  # noqa: S608 (model's table, our staging table)
                f"SELECT %s, %s, {_SELECTED} FROM {staged}",
                [team.id, home],
            )
    drop_stage(staged)


def sales_repriced(team_id: int) -> None:
    """After a sync wrote order lines or returns: their sales consume their batches, from their
    own day. Goods that cannot be valued (a rate not loaded yet) leave the sync alone: the
    batches are valued by the next refresh, and the profit pages price those units by the dated
    cost meanwhile."""
    try:
        with transaction.atomic():
            costing_refresh(Team.objects.get(pk=team_id), since={}, new_sales=True)
    except CostingError:
        logger.warning("cost batches not valued for team %s: a rate is missing", team_id)


@transaction.atomic
def costing_method_set(*, team: Team, method: str) -> RefreshStats:
    """First in, first out or weighted average for every pool of the team: everything repriced."""
    if method not in Method.values:
        raise CostingError("Choose first in, first out or weighted average.")
    settings, _ = CostingSettings.objects.select_for_update().get_or_create(team=team)
    settings.method = method
    settings.save(update_fields=["method"])
    return costing_refresh(team)
