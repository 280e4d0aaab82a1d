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

from ams.orders.models import SkuDay, SkuSummary


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
