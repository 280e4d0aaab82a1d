"""The cost of goods from batches as SQL for the profit pages' queries (docs/architecture.md,
"Cost of goods from receipts").

Per connection, marketplace, SKU, sale currency and order day: ``units``, the SKU units every
unit of which came from a batch (a bundle's: as many as its scarcest component covers), and
``cost``, what the items took from batches net of what returns gave back, in ``cost_currency``
(the team's home currency when the batches were last valued). The units beyond ``units`` are
priced by the seller's dated cost (``ams.procurement.cost_rule``), as they were before any batch.
"""

from __future__ import annotations

from ams.costing.models import Consumption

_TABLE = Consumption._meta.db_table


def batch_cost_days(*, first: str, last: str) -> str:
    """A SELECT of the team's (``%(team)s``) batch costs of the order days ``first`` … ``last``
    (SQL expressions, e.g. ``%(first)s``)."""
    return f"""
    SELECT connection_id, marketplace_id, sku, currency, order_day AS day, cost_currency,
        sum(sku_units)::int AS units, sum(cost) AS cost
    FROM (
        SELECT connection_id, marketplace_id, amazon_order_id, sku, currency, order_day,
            cost_currency, min(covered / per_sku) AS sku_units, sum(cost) AS cost
        FROM (
            SELECT connection_id, marketplace_id, amazon_order_id, sku, currency, order_day,
                cost_currency, product_id, per_sku,
                coalesce(sum(units) FILTER (WHERE source = 'batch' AND NOT is_return), 0) AS covered,
                coalesce(sum(cost) FILTER (WHERE source = 'batch'), 0) AS cost
            FROM {_TABLE}
            WHERE team_id = %(team)s AND order_day BETWEEN {first} AND {last}
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
        ) per_product
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    ) per_item
    GROUP BY 1, 2, 3, 4, 5, 6"""  # noqa: S608 (model's table, the caller's fixed text)
