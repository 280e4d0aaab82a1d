"""The orders' read models as SQL for other apps' queries to compose.

Pricing the units sold (``ams.procurement``) and the stock at a glance (``ams.inventory``) join
the SKU days and the SKU summary inside their own SQL: a join in the database, where reading the
rows out would cost a round trip and 10,000 rows. Orders owns these tables, so it hands out the
SELECTs that read them, named from its models; the callers narrow them further with their own
conditions (PostgreSQL folds such a subquery into the query around it, so the plan is the one of
naming the table). See docs/architecture.md, "Layers".
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model

from ams.orders.models import OrderLine, SkuDay, SkuSummary


def _team_rows(model: type[Model]) -> str:
    return (
        f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)} WHERE team_id = %(team)s"  # noqa: S608 (model's table)
    )


def sku_days() -> str:
    """A SELECT of the team's (``%(team)s``) SKU days (``SkuDay``): ``connection_id``,
    ``marketplace_id``, ``sku``, ``currency``, ``day`` (marketplace-local), ``units``, ``sales``."""
    return _team_rows(SkuDay)


def sku_summary() -> str:
    """A SELECT of the team's (``%(team)s``) SKU summary rows (``SkuSummary``), one per
    connection, marketplace, SKU and currency: ``as_of`` (the day the windows end on) and, per
    standard window (``7d``, ``30d``, ``90d``, ``mtd``), ``units_<w>``, ``units_prev_<w>``,
    ``sales_<w>`` and ``sales_prev_<w>``."""
    return _team_rows(SkuSummary)


def sold_lines(*, skus: str, since: str) -> str:
    """A SELECT of the team's (``%(team)s``) order lines that sold units (not cancelled, more than
    0 units), of the SKUs matching ``skus`` (an SQL condition on ``sku``) and purchased at or after
    ``since`` (an SQL expression), with ``day``: the marketplace-local day of the purchase. The
    zones come as ``%(zone_ids)s`` and ``%(zone_names)s`` (``ams.core.marketplaces.TIME_ZONES``),
    a marketplace without one counted in ``%(default_zone)s``. Ordered by purchase time."""
    table = connection.ops.quote_name(OrderLine._meta.db_table)
    return f"""
    SELECT l.id, l.connection_id, l.marketplace_id, l.amazon_order_id, l.sku, l.currency,
        l.fulfillment_channel, l.quantity,
        (extract(epoch FROM l.purchased_at) * 1000000)::bigint AS at,
        (l.purchased_at AT TIME ZONE coalesce(z.name, %(default_zone)s))::date AS day
    FROM {table} l
    LEFT JOIN unnest(%(zone_ids)s::text[], %(zone_names)s::text[]) AS z(marketplace_id, name)
        ON z.marketplace_id = l.marketplace_id
    WHERE l.team_id = %(team)s AND {skus} AND l.purchased_at >= {since}
      AND l.status <> 'cancelled' AND l.item_status <> 'cancelled' AND l.quantity > 0
    ORDER BY l.purchased_at, l.id"""  # noqa: S608 (model's table, the caller's fixed text)


def lines_synced_since() -> str:
    """A SELECT of (``sku``, ``purchased_at``) of the team's (``%(team)s``) order lines written
    after ``%(since)s`` (their ``synced_at``): what a read model built from the lines has not seen."""
    table = connection.ops.quote_name(OrderLine._meta.db_table)
    return (
        f"SELECT sku, purchased_at FROM {table} WHERE team_id = %(team)s AND synced_at > %(since)s"  # noqa: S608 (model's table)
    )


def newest_line_write() -> str:
    """A SELECT of the newest ``synced_at`` of the team's (``%(team)s``) order lines."""
    table = connection.ops.quote_name(OrderLine._meta.db_table)
    return f"SELECT max(synced_at) FROM {table} WHERE team_id = %(team)s"  # noqa: S608 (model's table)
