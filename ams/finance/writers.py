"""What the sync merges into the finance tables: transactions with their charges, settlements
with their lines, and the charge rollups each batch of transactions keeps exact."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from psycopg import sql

from ams.core import bulk
from ams.core.tenancy import require_team_scope
from ams.finance import rollups
from ams.finance.fee_rollups import ChargeMonthsRefresh


class ChargeRow(NamedTuple):
    """One charge of a transaction (a leaf of its breakdown), carrying the transaction's own
    columns too, so one staging table feeds both. A transaction without charges is one row of
    ``position`` -1, which only the transaction takes."""

    transaction_id: str
    transaction_type: str
    status: str
    description: str
    posted_at: datetime
    marketplace_id: str
    currency: str
    total_amount: Decimal
    order_id: str
    event_group_id: str
    settlement_id: str
    position: int
    sku: str
    category: str
    kind: str
    charge_description: str
    amount: Decimal


class SettlementRow(NamedTuple):
    """One row of a settlement report: its summary (``is_summary``, line 0: the settlement's
    period, deposit and total) or one of its amounts."""

    settlement_id: str
    line_number: int
    is_summary: bool
    report_id: str
    starts_at: datetime | None
    ends_at: datetime | None
    deposit_at: datetime | None
    total_amount: Decimal | None
    currency: str
    transaction_type: str
    order_id: str
    adjustment_id: str
    shipment_id: str
    marketplace_name: str
    amount_type: str
    amount_description: str
    amount: Decimal | None
    fulfillment_id: str
    posted_at: datetime | None
    order_item_code: str
    sku: str
    quantity: int | None
    promotion_id: str


class ReimbursementRow(NamedTuple):
    """A row of the FBA reimbursements report."""

    marketplace_id: str
    approved_at: datetime
    reimbursement_id: str
    case_id: str
    order_id: str
    reason: str
    sku: str
    fnsku: str
    asin: str
    condition: str
    currency: str
    amount_per_unit: Decimal | None
    amount_total: Decimal | None
    quantity_cash: int
    quantity_inventory: int
    quantity_total: int
    original_reimbursement_id: str
    original_reimbursement_type: str


CHARGE_COLUMNS = bulk.columns_of(ChargeRow)
TRANSACTIONS = bulk.Target(
    table="finance_transaction",
    columns=(
        "transaction_id",
        "transaction_type",
        "status",
        "description",
        "posted_at",
        "marketplace_id",
        "currency",
        "total_amount",
        "order_id",
        "event_group_id",
        "settlement_id",
    ),
    key=("transaction_id",),
)
CHARGES = bulk.Target(
    table="finance_charge",
    columns=(
        "transaction_id",
        "position",
        "posted_at",
        "sku",
        "category",
        "kind",
        "description",
        "amount",
        "currency",
    ),
    key=("transaction_id", "position"),
    expressions={"description": "s.charge_description"},
    where="s.position >= 0",
)

SETTLEMENT_COLUMNS = bulk.columns_of(SettlementRow)
SETTLEMENTS = bulk.Target(
    table="finance_settlement",
    columns=(
        "settlement_id",
        "report_id",
        "starts_at",
        "ends_at",
        "deposit_at",
        "currency",
        "total_amount",
    ),
    key=("settlement_id",),
    where="s.is_summary",
)
SETTLEMENT_LINES = bulk.Target(
    table="finance_settlementline",
    columns=(
        "settlement_id",
        "line_number",
        "transaction_type",
        "order_id",
        "adjustment_id",
        "shipment_id",
        "marketplace_name",
        "amount_type",
        "amount_description",
        "amount",
        "currency",
        "fulfillment_id",
        "posted_at",
        "order_item_code",
        "sku",
        "quantity",
        "promotion_id",
    ),
    key=("settlement_id", "line_number"),
    where="NOT s.is_summary",
)


def settlements(connection_id: int) -> bulk.Writer:
    """Settlements and their lines. A settlement document read from another source than the
    one held (the sync's report after a seller's uploaded file, possibly of the other layout,
    whose lines are numbered differently) replaces the lines held, so each settlement is stored
    once, from one document. The summary row comes first, so the batch that stages it replaces."""

    def before_merge(staged: str) -> None:
        with connection.cursor() as cursor:
            cursor.cursor.execute(
                sql.SQL(
                    """
                    DELETE FROM finance_settlementline AS l
                    USING finance_settlement AS held, {staged} AS s
                    WHERE s.is_summary
                      AND held.team_id = %(team)s AND held.connection_id = %(connection)s
                      AND held.settlement_id = s.settlement_id AND held.report_id <> s.report_id
                      AND l.team_id = held.team_id AND l.connection_id = held.connection_id
                      AND l.settlement_id = held.settlement_id
                    """
                ).format(staged=sql.Identifier(staged)),
                {"team": require_team_scope(), "connection": connection_id},
            )

    return bulk.Writer(
        SETTLEMENT_COLUMNS, (SETTLEMENTS, SETTLEMENT_LINES), before_merge=before_merge
    )


REIMBURSEMENT_COLUMNS = bulk.columns_of(ReimbursementRow)
REIMBURSEMENTS = bulk.Target(
    table="finance_reimbursement",
    columns=tuple(c.name for c in REIMBURSEMENT_COLUMNS),
    key=("reimbursement_id", "sku", "fnsku"),
)
REIMBURSEMENT_WRITER = bulk.Writer(REIMBURSEMENT_COLUMNS, (REIMBURSEMENTS,))


def transactions(connection_id: int) -> bulk.Writer:
    """Transactions and their charges, with both charge rollups in each batch's transaction
    (never behind the charges): the days rebuilt, the months kept by difference."""
    months = ChargeMonthsRefresh(connection_id=connection_id)

    def after_merge(staged: str, added_only: bool) -> None:
        rollups.charge_days_refresh_from_stage(connection_id=connection_id, staged=staged)
        months.add(staged)

    return bulk.Writer(
        CHARGE_COLUMNS,
        (TRANSACTIONS, CHARGES),
        before_merge=months.retract,
        after_merge=after_merge,
    )
