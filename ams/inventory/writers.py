"""What the sync merges into the inventory tables: stock levels (one row per marketplace, SKU
and fulfilment channel's stock), Amazon's restock and planning advice, and the daily snapshot
of stock kept from the levels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from django.db import connection

from ams.core import bulk
from ams.core.tenancy import require_team_scope


class StockRow(NamedTuple):
    """A SKU's stock in one marketplace, in FBA's buckets (a merchant-fulfilled SKU has only
    ``fulfillable`` and ``total``)."""

    marketplace_id: str
    sku: str
    fulfillment_channel: str
    fnsku: str
    asin: str
    fulfillable: int
    inbound_working: int
    inbound_shipped: int
    inbound_receiving: int
    reserved: int
    unfulfillable: int
    researching: int
    total: int


class RestockRow(NamedTuple):
    """Amazon's restock recommendation for a SKU."""

    marketplace_id: str
    sku: str
    recommended_quantity: int | None
    recommended_ship_date: date | None
    recommended_action: str
    alert: str
    days_of_supply_total: int | None
    days_of_supply_amazon: int | None
    units_sold_30d: int | None


class PlanningRow(NamedTuple):
    """Amazon's inventory planning figures for a SKU: supply, excess and ages."""

    marketplace_id: str
    sku: str
    snapshot_date: date | None
    days_of_supply: int | None
    excess_quantity: int | None
    healthy_level: int | None
    age_0_90: int | None
    age_91_180: int | None
    age_181_270: int | None
    age_271_365: int | None
    age_365_plus: int | None
    units_shipped_30d: int | None
    alert: str
    recommended_action: str


class AdjustmentRow(NamedTuple):
    """An adjustment row of the inventory ledger (lost, found, damaged…)."""

    marketplace_id: str
    happened_at: datetime
    fnsku: str
    asin: str
    sku: str
    reference_id: str
    quantity: int
    fulfillment_center: str
    disposition: str
    reason: str
    country: str
    reconciled_quantity: int | None
    unreconciled_quantity: int | None


class ReturnRow(NamedTuple):
    """A customer return received at a fulfilment centre."""

    marketplace_id: str
    returned_at: datetime
    order_id: str
    sku: str
    asin: str
    fnsku: str
    quantity: int
    fulfillment_center: str
    disposition: str
    reason: str
    status: str
    license_plate: str


STOCK_COLUMNS = bulk.columns_of(StockRow)
STOCK = bulk.Target(
    table="inventory_stocklevel",
    columns=tuple(c.name for c in STOCK_COLUMNS),
    key=("marketplace_id", "sku"),
)
RESTOCK_COLUMNS = bulk.columns_of(RestockRow)
RESTOCK = bulk.Target(
    table="inventory_restockadvice",
    columns=tuple(c.name for c in RESTOCK_COLUMNS),
    key=("marketplace_id", "sku"),
)
PLANNING_COLUMNS = bulk.columns_of(PlanningRow)
PLANNING = bulk.Target(
    table="inventory_inventoryhealth",
    columns=tuple(c.name for c in PLANNING_COLUMNS),
    key=("marketplace_id", "sku"),
)

ADJUSTMENT_COLUMNS = bulk.columns_of(AdjustmentRow)
# The ledger has no row id: a row is its instant, unit, reference, disposition and reason. Reading
# an overlapping window again finds the same rows.
ADJUSTMENTS = bulk.Target(
    table="inventory_inventoryadjustment",
    columns=tuple(c.name for c in ADJUSTMENT_COLUMNS),
    key=("marketplace_id", "happened_at", "fnsku", "reference_id", "disposition", "reason"),
)
RETURN_COLUMNS = bulk.columns_of(ReturnRow)
RETURNS = bulk.Target(
    table="inventory_customerreturn",
    columns=tuple(c.name for c in RETURN_COLUMNS),
    key=("order_id", "sku", "license_plate", "returned_at"),
)

STOCK_LEVELS = bulk.Writer(STOCK_COLUMNS, (STOCK,))
INVENTORY_ADJUSTMENTS = bulk.Writer(ADJUSTMENT_COLUMNS, (ADJUSTMENTS,))
CUSTOMER_RETURNS = bulk.Writer(RETURN_COLUMNS, (RETURNS,))
RESTOCK_ADVICE = bulk.Writer(RESTOCK_COLUMNS, (RESTOCK,))
INVENTORY_HEALTH = bulk.Writer(PLANNING_COLUMNS, (PLANNING,))

_SNAPSHOT = """
INSERT INTO inventory_stocksnapshot AS t (team_id, connection_id, marketplace_id, sku, day, fulfillable,
    inbound, reserved, unfulfillable, total)
SELECT team_id, connection_id, marketplace_id, sku, %(day)s, fulfillable,
    inbound_working + inbound_shipped + inbound_receiving, reserved, unfulfillable, total
FROM inventory_stocklevel
WHERE team_id = %(team)s AND connection_id = %(connection)s AND marketplace_id = %(marketplace)s
ON CONFLICT (team_id, connection_id, marketplace_id, sku, day) DO UPDATE SET
    fulfillable = EXCLUDED.fulfillable, inbound = EXCLUDED.inbound, reserved = EXCLUDED.reserved,
    unfulfillable = EXCLUDED.unfulfillable, total = EXCLUDED.total
WHERE (t.fulfillable, t.inbound, t.reserved, t.unfulfillable, t.total)
    IS DISTINCT FROM (EXCLUDED.fulfillable, EXCLUDED.inbound, EXCLUDED.reserved, EXCLUDED.unfulfillable, EXCLUDED.total)
"""


def stock_forget_unseen(
    *, connection_id: int, marketplace_id: str, seen: set[str], channel: str
) -> int:
    """After a complete read of a channel's stock in a marketplace, delete the SKUs it no longer
    lists (a SKU with no FBA stock record any more, a deleted listing)."""
    return bulk.delete_unseen(
        "inventory_stocklevel",
        connection_id=connection_id,
        marketplace_id=marketplace_id,
        seen=seen,
        channel=channel,
    )


def stock_snapshot(*, connection_id: int, marketplace_id: str, day: date) -> None:
    """Keep the marketplace's stock levels as the snapshot of ``day``."""
    params: dict[str, Any] = {
        "team": require_team_scope(),
        "connection": connection_id,
        "marketplace": marketplace_id,
        "day": day,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT, params)
