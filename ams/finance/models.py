"""Money: settlements (Amazon's payouts) with every line, and financial transactions with their
charges and fees. Amounts are exact decimals with their currency, never floats."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Greatest

from ams.core.retention import Aged
from ams.core.tenancy import TenantModel


class Settlement(TenantModel):
    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    settlement_id = models.CharField(max_length=40)
    report_id = models.CharField(max_length=80, blank=True)
    starts_at = models.DateTimeField(null=True)
    ends_at = models.DateTimeField(null=True)
    deposit_at = models.DateTimeField(null=True)
    currency = models.CharField(max_length=3)
    total_amount = models.DecimalField(max_digits=18, decimal_places=2)
    # Reconciliation, recomputed after each ingest: Σ lines = total, and Σ of the transactions
    # AMS holds for the period = total (None while AMS holds none of them).
    line_count = models.IntegerField(db_default=0)
    lines_total = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    lines_reconciled = models.BooleanField(db_default=False)
    transactions_total = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    transactions_reconciled = models.BooleanField(null=True)
    reserve_amount = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    # The deposit (see ams.finance.reconcile): what reached the bank, what Amazon held back this
    # period and released from the last, and what a negative total left owing. Amazon pays out
    # nothing of a negative total: it carries it into the next settlement ("Payable to Amazon")
    # or charges the card on file.
    reserve_held = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    reserve_released = models.DecimalField(max_digits=18, decimal_places=2, db_default=0)
    deposit_amount = models.GeneratedField(
        expression=Greatest(F("total_amount"), Value(0)),
        output_field=models.DecimalField(max_digits=18, decimal_places=2),
        db_persist=True,
    )
    carried_over = models.GeneratedField(
        expression=Greatest(-F("total_amount"), Value(0)),
        output_field=models.DecimalField(max_digits=18, decimal_places=2),
        db_persist=True,
    )
    synced_at = models.DateTimeField()

    retention = Aged("ends_at", financial=True, fallback="synced_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "settlement_id"], name="settlement_key"
            )
        ]
        # The deposits page and the bank matching read a team's deposits by date.
        indexes = [models.Index(fields=["team", "deposit_at"], name="settlement_team_deposit")]


class SettlementLine(TenantModel):
    """One amount of a settlement report, keyed by its line in the (immutable) report."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    settlement_id = models.CharField(max_length=40)
    line_number = models.IntegerField()
    transaction_type = models.CharField(max_length=80, blank=True)
    order_id = models.CharField(max_length=40, blank=True)
    adjustment_id = models.CharField(max_length=40, blank=True)
    shipment_id = models.CharField(max_length=40, blank=True)
    marketplace_name = models.CharField(max_length=60, blank=True)
    amount_type = models.CharField(max_length=80, blank=True)
    amount_description = models.CharField(max_length=120, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    fulfillment_id = models.CharField(max_length=8, blank=True)
    posted_at = models.DateTimeField(null=True)
    order_item_code = models.CharField(max_length=40, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.IntegerField(null=True)
    promotion_id = models.CharField(max_length=80, blank=True)
    synced_at = models.DateTimeField()

    retention = Aged("posted_at", financial=True, fallback="synced_at")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "settlement_id", "line_number"],
                name="settlement_line_key",
            )
        ]
        # Where an order's money settled (the order page).
        indexes = [models.Index(fields=["team", "order_id"], name="settlement_line_team_order")]


class Transaction(TenantModel):
    """A financial transaction (Finances 2024-06-19): a shipment, refund, fee, adjustment…"""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    transaction_id = models.CharField(max_length=80)
    transaction_type = models.CharField(max_length=60)
    status = models.CharField(max_length=24)
    description = models.CharField(max_length=200, blank=True)
    posted_at = models.DateTimeField()
    marketplace_id = models.CharField(max_length=20, blank=True)
    currency = models.CharField(max_length=3)
    total_amount = models.DecimalField(max_digits=18, decimal_places=2)
    order_id = models.CharField(max_length=40, blank=True)
    event_group_id = models.CharField(max_length=80, blank=True)
    settlement_id = models.CharField(max_length=40, blank=True)
    synced_at = models.DateTimeField()

    retention = Aged("posted_at", financial=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "transaction_id"], name="transaction_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["team", "connection", "posted_at"], name="transaction_team_posted"
            ),
            # The transactions page lists every connection's rows newest first; the order page and
            # the settlement links look transactions up by their Amazon ids.
            models.Index(fields=["team", "posted_at"], name="transaction_team_posted_at"),
            models.Index(fields=["team", "order_id"], name="transaction_team_order"),
            models.Index(fields=["team", "settlement_id"], name="transaction_team_settlement"),
            # The next payout adds up the open settlement period's group (ams.finance.payouts).
            models.Index(
                fields=["team", "connection", "event_group_id"], name="transaction_team_group"
            ),
        ]


class Charge(TenantModel):
    """One amount of a transaction by kind: sales (principal, tax…), each Amazon fee by type,
    refunds, reimbursements, storage and subscription fees."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    transaction_id = models.CharField(max_length=80)
    position = models.IntegerField()
    posted_at = models.DateTimeField()
    sku = models.CharField(max_length=64, blank=True)
    # Amazon's breakdown path, top to leaf: e.g. Expenses / AmazonFees / FBAPerUnitFulfillmentFee.
    category = models.CharField(max_length=40)
    kind = models.CharField(max_length=60)
    description = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    synced_at = models.DateTimeField()

    retention = Aged("posted_at", financial=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "transaction_id", "position"], name="charge_key"
            )
        ]
        # A SKU's or a fee type's charges over a period: the drill-downs from the fee breakdown.
        indexes = [
            models.Index(fields=["team", "sku", "posted_at"], name="charge_team_sku_posted"),
            models.Index(
                fields=["team", "description", "posted_at"], name="charge_team_type_posted"
            ),
        ]


class ChargeSkuMonth(TenantModel):
    """Read model: the charges of one marketplace-local month, by type and SKU (see
    ams.finance.fee_rollups). ``sku`` is empty for charges of no single SKU (storage, subscription).

    Months, not days: a (SKU, day) table of a long-tail catalogue is barely smaller than the
    charges themselves (docs/architecture.md, "Read models"); per month it is a fraction of them.
    """

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20, blank=True)
    month = models.DateField()  # the first day of the marketplace-local month
    currency = models.CharField(max_length=3)
    category = models.CharField(max_length=40)
    kind = models.CharField(max_length=60)
    description = models.CharField(max_length=120)
    sku = models.CharField(max_length=64, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    charges = models.IntegerField()

    retention = Aged("month", financial=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "team",
                    "connection",
                    "marketplace_id",
                    "month",
                    "currency",
                    "category",
                    "kind",
                    "description",
                    "sku",
                ],
                name="charge_sku_month_key",
            )
        ]
        indexes = [models.Index(fields=["team", "month"], name="charge_sku_month_team_month")]


class ChargeDay(TenantModel):
    """Read model: the charges posted on one local day, per marketplace (that of the transaction,
    blank when Amazon names none: such days are UTC days), currency, transaction type and
    Amazon's breakdown (category / kind). Refreshed after each finances ingest by
    ``ams.finance.rollups``; the overview reads it instead of scanning every charge."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    marketplace_id = models.CharField(max_length=20, blank=True)
    day = models.DateField()
    currency = models.CharField(max_length=3)
    transaction_type = models.CharField(max_length=60)
    category = models.CharField(max_length=40)
    kind = models.CharField(max_length=60)
    charges = models.IntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    retention = Aged("day", financial=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "team",
                    "connection",
                    "marketplace_id",
                    "day",
                    "currency",
                    "transaction_type",
                    "category",
                    "kind",
                ],
                name="charge_day_key",
            )
        ]
        indexes = [models.Index(fields=["team", "day"], name="charge_day_team_day")]


# --- the seller's bank statements ---------------------------------------------------------------
#
# The seller's own bank data, not Amazon's: tied to the team, never to a connection, so the purge of
# a disconnected Amazon account leaves it (docs/architecture.md, "Bank statements").


class BankLayout(TenantModel):
    """The columns of one bank's CSV export, chosen once by the seller and used again for every
    statement whose header has the same ``signature`` (its delimiter and column names)."""

    signature = models.CharField(max_length=64)
    columns = models.JSONField()  # the header's column names, for the form that changes the choice
    date_column = models.IntegerField()
    amount_column = models.IntegerField()
    # A second amount column some banks use for money going out, taken off the first.
    debit_column = models.IntegerField(null=True)
    description_columns = models.JSONField()  # positions, joined in this order
    date_format = models.CharField(max_length=16)
    decimal_mark = models.CharField(max_length=1)
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "signature"], name="bank_layout_key")
        ]


class BankStatement(TenantModel):
    """One uploaded bank CSV. Its bytes are kept only until its columns are chosen and its lines
    imported; then ``content`` is emptied and the row stays as the record of the import."""

    class Status(models.TextChoices):
        COLUMNS = "columns", "Waiting for its columns"
        IMPORTED = "imported", "Imported"

    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.IntegerField()
    content = models.BinaryField(default=b"")
    signature = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COLUMNS)
    currency = models.CharField(max_length=3, blank=True)
    rows = models.IntegerField(default=0)
    lines_added = models.IntegerField(default=0)
    lines_known = models.IntegerField(default=0)
    rows_skipped = models.IntegerField(default=0)
    first_day = models.DateField(null=True)
    last_day = models.DateField(null=True)
    imported_at = models.DateTimeField(null=True)
    # The first rows that could not be read, each with its line number and reason.
    problems = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["team", "uploaded_at"], name="bank_statement_team")]


class BankLine(TenantModel):
    """One booking of the seller's bank account. ``fingerprint`` (day, amount, currency,
    description and its occurrence among identical bookings of the statement) makes importing
    the same statement again, or an overlapping one, store each booking once."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="+")
    line_number = models.IntegerField()  # in the statement that brought it
    booked_on = models.DateField()
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    # The description names Amazon (AMAZON, AMZN…): a payout, whether or not a deposit matches it.
    from_amazon = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "fingerprint"], name="bank_line_key")
        ]
        indexes = [
            models.Index(fields=["team", "currency", "booked_on"], name="bank_line_team_day"),
        ]


class Reimbursement(TenantModel):
    """A reimbursement Amazon paid, in cash or in units (GET_FBA_REIMBURSEMENTS_DATA): for units
    lost or damaged in its care (``Lost_Warehouse``, ``Damaged_Warehouse``, ``Lost_Inbound``…),
    for refunded units never returned (``CustomerReturn``), and so on."""

    connection = models.ForeignKey(
        "amazon.SellerConnection", on_delete=models.CASCADE, related_name="+"
    )
    # The marketplace the report was requested for.
    marketplace_id = models.CharField(max_length=20)
    approved_at = models.DateTimeField()
    reimbursement_id = models.CharField(max_length=40)
    case_id = models.CharField(max_length=40, blank=True)
    order_id = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=60)
    sku = models.CharField(max_length=64, blank=True)
    fnsku = models.CharField(max_length=16, blank=True)
    asin = models.CharField(max_length=16, blank=True)
    condition = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount_per_unit = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    amount_total = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    quantity_cash = models.IntegerField(default=0)
    quantity_inventory = models.IntegerField(default=0)
    quantity_total = models.IntegerField(default=0)
    original_reimbursement_id = models.CharField(max_length=40, blank=True)
    original_reimbursement_type = models.CharField(max_length=60, blank=True)
    synced_at = models.DateTimeField()

    retention = Aged("approved_at", financial=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "connection", "reimbursement_id", "sku", "fnsku"],
                name="reimbursement_key",
            )
        ]
        indexes = [models.Index(fields=["team", "order_id"], name="reimbursement_team_order")]
