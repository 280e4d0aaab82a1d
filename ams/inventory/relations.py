"""Inventory's tables as SQL for other apps' queries to compose (docs/architecture.md, "Layers").

Cost of goods (``ams.costing``) gives a unit returned to sellable stock back to the batch it was
sold from; it reads Amazon's customer returns through this SELECT rather than naming the table.
"""

from __future__ import annotations

from django.db import connection

from ams.inventory.models import CustomerReturn


def sellable_returns(*, skus: str, since: str) -> str:
    """A SELECT of the team's (``%(team)s``) customer returns that went back to sellable stock
    (disposition SELLABLE), of the SKUs matching ``skus`` (an SQL condition on ``sku``), returned
    at or after ``since``, with ``at`` (microseconds since 1970) and ``day`` (local, zones as in ``ams.orders.relations.sold_lines``)."""
    table = connection.ops.quote_name(CustomerReturn._meta.db_table)
    return f"""
    SELECT r.id, r.connection_id, r.marketplace_id, r.order_id, r.sku, r.quantity,
        (extract(epoch FROM r.returned_at) * 1000000)::bigint AS at,
        (r.returned_at AT TIME ZONE coalesce(z.name, %(default_zone)s))::date AS day
    FROM {table} r
    LEFT JOIN unnest(%(zone_ids)s::text[], %(zone_names)s::text[]) AS z(marketplace_id, name)
        ON z.marketplace_id = r.marketplace_id
    WHERE r.team_id = %(team)s AND {skus} AND r.returned_at >= {since}
      AND upper(r.disposition) = 'SELLABLE' AND r.quantity > 0
    ORDER BY r.returned_at, r.id"""  # noqa: S608 (model's table, the caller's fixed text)


def returns_synced_since() -> str:
    """A SELECT of (``sku``, ``returned_at``) of the team's (``%(team)s``) sellable customer
    returns written after ``%(since)s``: what a read model built from them has not seen."""
    table = connection.ops.quote_name(CustomerReturn._meta.db_table)
    return (
        f"SELECT sku, returned_at FROM {table} WHERE team_id = %(team)s AND synced_at > %(since)s"  # noqa: S608 (model's table)
        " AND upper(disposition) = 'SELLABLE'"
    )


def newest_return_write() -> str:
    """A SELECT of the newest ``synced_at`` of the team's (``%(team)s``) customer returns."""
    table = connection.ops.quote_name(CustomerReturn._meta.db_table)
    return f"SELECT max(synced_at) FROM {table} WHERE team_id = %(team)s"  # noqa: S608 (model's table)
