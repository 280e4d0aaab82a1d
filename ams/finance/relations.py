"""The charges as SQL for other apps' queries to compose (as ``ams.orders.relations`` does for
the orders' read models; docs/architecture.md, "Layers").

The profit read model (``ams.profit``) keeps per SKU and day what Amazon took in fees and gave
back to buyers; finance owns the tables, so it hands out the SELECT that reads them.
"""

from __future__ import annotations

from ams.finance.models import Charge, Transaction
from ams.finance.selectors import FEE_KIND

REFUND_TYPE = "Refund"
SALES_CATEGORY = "Sales"


def sku_fee_and_refund_charges(*, selected: str) -> str:
    """A SELECT of the team's (``%(team)s``) charges that name a SKU and are a fee, or the sales
    side of a refund: ``connection_id``, ``marketplace_id`` (the transaction's, '' for none),
    ``sku``, ``currency``, ``day`` (the UTC day the transaction was posted), ``transaction_id``,
    ``is_fee``, ``is_refund`` (of a refund transaction) and ``amount`` (as Amazon signs it).
    ``selected`` narrows the transactions (an SQL condition on ``t``, e.g. its connection and
    ``t.transaction_id IN (…)``, or a range of ``t.posted_at``)."""
    return f"""
    SELECT c.connection_id, coalesce(t.marketplace_id, '') AS marketplace_id, c.sku, c.currency,
        (t.posted_at AT TIME ZONE 'UTC')::date AS day, c.transaction_id,
        c.kind = '{FEE_KIND}' AS is_fee, t.transaction_type = '{REFUND_TYPE}' AS is_refund, c.amount
    FROM {Transaction._meta.db_table} t
    JOIN {Charge._meta.db_table} c ON c.team_id = t.team_id
        AND c.connection_id = t.connection_id AND c.transaction_id = t.transaction_id
    WHERE t.team_id = %(team)s AND ({selected}) AND c.sku <> ''
      AND (c.kind = '{FEE_KIND}'
          OR (t.transaction_type = '{REFUND_TYPE}' AND c.category = '{SALES_CATEGORY}'))"""  # noqa: S608 (fixed text: the models' tables and constants)
