"""The rows Amazon's reports and APIs would have brought, written as the sync stores them, for
detection tests that need one exact situation."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.finance.models import Charge, Reimbursement, Transaction
from ams.inventory.models import CustomerReturn, InventoryAdjustment
from ams.orders.models import OrderLine

US = "ATVPDKIKX0DER"
_ids = itertools.count(1)


def adjustment(
    connection: SellerConnection,
    *,
    at: datetime,
    quantity: int,
    reason: str,
    fnsku: str = "X00ABCDEFG",
    sku: str = "SKU-1",
    reference: str | None = None,
    disposition: str = "SELLABLE",
) -> InventoryAdjustment:
    with team_scope(connection.team_id):
        return InventoryAdjustment.objects.create(
            team_id=connection.team_id,
            connection=connection,
            marketplace_id=US,
            happened_at=at,
            fnsku=fnsku,
            sku=sku,
            reference_id=reference or f"{next(_ids):011d}",
            quantity=quantity,
            fulfillment_center="PHX7",
            disposition=disposition,
            reason=reason,
            country="US",
            synced_at=timezone.now(),
        )


def reimbursement(
    connection: SellerConnection,
    *,
    at: datetime,
    quantity: int,
    reason: str,
    per_unit: Decimal,
    fnsku: str = "X00ABCDEFG",
    sku: str = "SKU-1",
    order_id: str = "",
) -> Reimbursement:
    with team_scope(connection.team_id):
        return Reimbursement.objects.create(
            team_id=connection.team_id,
            connection=connection,
            marketplace_id=US,
            approved_at=at,
            reimbursement_id=f"{next(_ids):010d}",
            order_id=order_id,
            reason=reason,
            sku=sku,
            fnsku=fnsku,
            currency="USD",
            amount_per_unit=per_unit,
            amount_total=per_unit * quantity,
            quantity_cash=quantity,
            quantity_total=quantity,
            synced_at=timezone.now(),
        )


def order_line(
    connection: SellerConnection,
    *,
    order_id: str,
    at: datetime,
    price: Decimal,
    quantity: int = 1,
    sku: str = "SKU-1",
    tax: Decimal = Decimal("0"),
    channel: str = "AFN",
) -> OrderLine:
    with team_scope(connection.team_id):
        return OrderLine.objects.create(
            team_id=connection.team_id,
            connection=connection,
            marketplace_id=US,
            amazon_order_id=order_id,
            sku=sku,
            purchased_at=at,
            last_updated_at=at,
            status="shipped",
            fulfillment_channel=channel,
            quantity=quantity,
            currency="USD",
            item_price=price,
            shipping_price=Decimal(0),
            tax=tax,
            promotion_discount=Decimal(0),
            synced_at=timezone.now(),
        )


def refund(
    connection: SellerConnection,
    *,
    order_id: str,
    at: datetime,
    principal: Decimal,
    tax: Decimal = Decimal("0"),
    sku: str = "SKU-1",
) -> Transaction:
    """A Refund transaction as the finances sync stores it: Sales / ProductCharges charges."""
    transaction_id = f"T{next(_ids):020d}"
    with team_scope(connection.team_id):
        made = Transaction.objects.create(
            team_id=connection.team_id,
            connection=connection,
            transaction_id=transaction_id,
            transaction_type="Refund",
            status="RELEASED",
            posted_at=at,
            marketplace_id=US,
            currency="USD",
            total_amount=-(principal + tax),
            order_id=order_id,
            synced_at=timezone.now(),
        )
        for position, (description, amount) in enumerate((("Principal", principal), ("Tax", tax))):
            Charge.objects.create(
                team_id=connection.team_id,
                connection=connection,
                transaction_id=transaction_id,
                position=position,
                posted_at=at,
                sku=sku,
                category="Sales",
                kind="ProductCharges",
                description=description,
                amount=-amount,
                currency="USD",
                synced_at=timezone.now(),
            )
    return made


def customer_return(
    connection: SellerConnection,
    *,
    order_id: str,
    at: datetime,
    quantity: int = 1,
    sku: str = "SKU-1",
) -> CustomerReturn:
    with team_scope(connection.team_id):
        return CustomerReturn.objects.create(
            team_id=connection.team_id,
            connection=connection,
            marketplace_id=US,
            returned_at=at,
            order_id=order_id,
            sku=sku,
            quantity=quantity,
            disposition="SELLABLE",
            license_plate=f"LPN{next(_ids):09d}",
            synced_at=timezone.now(),
        )


def shipment_fee(
    connection: SellerConnection,
    *,
    order_id: str,
    at: datetime,
    fee_per_unit: Decimal,
    quantity: int = 1,
    sku: str = "SKU-1",
) -> Transaction:
    """A shipped FBA order line and its Shipment transaction with the FBA fee charged on it."""
    order_line(
        connection, order_id=order_id, at=at, price=Decimal("20.00"), quantity=quantity, sku=sku
    )
    transaction_id = f"T{next(_ids):020d}"
    with team_scope(connection.team_id):
        made = Transaction.objects.create(
            team_id=connection.team_id,
            connection=connection,
            transaction_id=transaction_id,
            transaction_type="Shipment",
            status="RELEASED",
            posted_at=at,
            marketplace_id=US,
            currency="USD",
            total_amount=-fee_per_unit * quantity,
            order_id=order_id,
            synced_at=timezone.now(),
        )
        Charge.objects.create(
            team_id=connection.team_id,
            connection=connection,
            transaction_id=transaction_id,
            position=0,
            posted_at=at,
            sku=sku,
            category="Expenses",
            kind="AmazonFees",
            description="FBAPerUnitFulfillmentFee",
            amount=-fee_per_unit * quantity,
            currency="USD",
            synced_at=timezone.now(),
        )
    return made
