"""Suppliers, what they sell at what price, and purchase orders with their receipts and payments.

Like products, these are the seller's own records: tied to no Amazon connection, so a disconnect
leaves them. Money is a Decimal with its currency; a purchase order is in one currency, the
supplier's when it was created, and its lines, receipts and payments are in it too.

A receipt line keeps the date, quantity, unit cost and currency of the goods received, so that a
cost batch (first in, first out) can be built from each one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ams.core.tenancy import TenantModel

MONEY_DIGITS = 14
MONEY_PLACES = 4
CURRENCY = Q(currency__regex=r"^[A-Z]{3}$")


def _money() -> models.DecimalField[Any, Any]:
    return models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)


class Incoterm(models.TextChoices):
    EXW = "EXW", "EXW (ex works)"
    FCA = "FCA", "FCA (free carrier)"
    FAS = "FAS", "FAS (free alongside ship)"
    FOB = "FOB", "FOB (free on board)"
    CFR = "CFR", "CFR (cost and freight)"
    CIF = "CIF", "CIF (cost, insurance and freight)"
    CPT = "CPT", "CPT (carriage paid to)"
    CIP = "CIP", "CIP (carriage and insurance paid to)"
    DAP = "DAP", "DAP (delivered at place)"
    DPU = "DPU", "DPU (delivered at place unloaded)"
    DDP = "DDP", "DDP (delivered duty paid)"


class BalanceDue(models.TextChoices):
    ORDER = "order", "on order"
    SHIPMENT = "shipment", "on shipment"
    ARRIVAL = "arrival", "on arrival"


class Supplier(TenantModel):
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    email = models.EmailField(blank=True, help_text="Where purchase orders are sent.")
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    website = models.CharField(max_length=200, blank=True)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices, blank=True)
    # Payment terms: a deposit of this share of the order when it is placed, the balance due this
    # many days after the order, the shipment or the arrival.
    deposit_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    balance_due = models.CharField(
        max_length=10, choices=BalanceDue.choices, default=BalanceDue.SHIPMENT
    )
    balance_days = models.PositiveIntegerField(default=0)
    # The seller's own figure, in days from order to arrival; the measured one comes from receipts.
    stated_lead_time_days = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="supplier_name_key"),
            models.CheckConstraint(condition=CURRENCY, name="supplier_currency_code"),
            models.CheckConstraint(
                condition=Q(deposit_percent__gte=0) & Q(deposit_percent__lte=100),
                name="supplier_deposit_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SupplierContact(TenantModel):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return self.name


class SupplierProduct(TenantModel):
    """A product the supplier sells: their code for it, the minimum order and the case pack."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="products")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    supplier_code = models.CharField(max_length=64, blank=True)
    minimum_order_quantity = models.PositiveIntegerField(default=1)
    case_pack = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "supplier", "product"], name="supplier_product_key"
            ),
            models.CheckConstraint(
                condition=Q(minimum_order_quantity__gte=1) & Q(case_pack__gte=1),
                name="supplier_product_quantities_positive",
            ),
        ]


class SupplierPrice(TenantModel):
    """The unit price from ``min_quantity`` units on, valid from one day until another (or on)."""

    offer = models.ForeignKey(SupplierProduct, on_delete=models.CASCADE, related_name="prices")
    min_quantity = models.PositiveIntegerField(default=1)
    unit_price = _money()
    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "offer", "min_quantity", "valid_from"], name="supplier_price_key"
            ),
            models.CheckConstraint(condition=CURRENCY, name="supplier_price_currency_code"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="supplier_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="supplier_price_valid_range",
            ),
        ]


class POStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    CONFIRMED = "confirmed", "Confirmed"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class PurchaseOrder(TenantModel):
    # PO-00001, PO-00002, … in the team; numbered when created.
    number = models.CharField(max_length=20)
    supplier = models.ForeignKey(Supplier, on_delete=models.RESTRICT, related_name="orders")
    status = models.CharField(max_length=20, choices=POStatus.choices, default=POStatus.DRAFT)
    currency = models.CharField(max_length=3)
    expected_ship_date = models.DateField(null=True, blank=True)
    expected_arrival_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When each step happened; sent_at is the start of the measured lead time.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="purchase_order_number_key"),
            models.CheckConstraint(condition=CURRENCY, name="purchase_order_currency_code"),
        ]
        indexes = [models.Index(fields=["team", "-created_at"], name="purchase_order_recent")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(TenantModel):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("products.Product", on_delete=models.RESTRICT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = _money()
    # The sum of the receipt lines, kept with them in one transaction.
    received_quantity = models.PositiveIntegerField(default=0)
    expected_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "order", "product"], name="purchase_order_line_key"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="purchase_order_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="purchase_order_line_price_not_negative"
            ),
        ]

    @property
    def total(self) -> Any:
        return self.quantity * self.unit_price

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.received_quantity, 0)


class StockPool(models.TextChoices):
    """Where received goods are kept, and so which sales use them up (docs/architecture.md, "Cost
    of goods from receipts"): the seller's own stock ships the orders the seller fulfils (FBM);
    Amazon's fulfilment centres of one region ship that region's FBA orders (Europe is one pool,
    as Pan-European FBA moves stock between its countries)."""

    OWN = "own", "Own warehouse (orders I ship)"
    FBA_NA = "fba_na", "FBA North America"
    FBA_EU = "fba_eu", "FBA Europe"
    FBA_FE = "fba_fe", "FBA Far East"


class Receipt(TenantModel):
    """Goods of a purchase order counted in on a day (a partial receipt is one of several)."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="receipts")
    received_on = models.DateField()
    stock_pool = models.CharField(max_length=8, choices=StockPool.choices, default=StockPool.OWN)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class ReceiptLine(TenantModel):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(PurchaseOrderLine, on_delete=models.CASCADE, related_name="receipts")
    product = models.ForeignKey("products.Product", on_delete=models.RESTRICT, related_name="+")
    quantity = models.PositiveIntegerField()
    # The order line's price when received: what a cost batch starts from, before landed costs.
    unit_cost = _money()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="receipt_line_quantity_positive"
            ),
            models.CheckConstraint(condition=CURRENCY, name="receipt_line_currency_code"),
        ]
        indexes = [models.Index(fields=["team", "product"], name="receipt_line_product")]


class PaymentKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    BALANCE = "balance", "Balance"
    OTHER = "other", "Other"


class Payment(TenantModel):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(max_length=10, choices=PaymentKind.choices)
    amount = _money()
    currency = models.CharField(max_length=3)
    paid_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=CURRENCY, name="payment_currency_code"),
        ]


class AttachmentKind(models.TextChoices):
    PROFORMA = "proforma", "Proforma invoice"
    INVOICE = "invoice", "Commercial invoice"
    PACKING_LIST = "packing_list", "Packing list"
    TRANSPORT = "transport", "Bill of lading or airway bill"
    CERTIFICATE = "certificate", "Certificate or test report"
    PHOTO = "photo", "Photo"
    OTHER = "other", "Other"


class PurchaseOrderAttachment(TenantModel):
    """A document kept with a purchase order; its bytes are a team file with no end
    (``ams.core.files``), deleted with the attachment."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="attachments")
    file = models.OneToOneField("core.StoredFile", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=AttachmentKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["team", "order"], name="po_attachment_order")]


class ChargeKind(models.TextChoices):
    FREIGHT = "freight", "Freight"
    DUTY = "duty", "Duty"
    INSURANCE = "insurance", "Insurance"
    PREP = "prep", "Prep"
    OTHER = "other", "Other"


class AllocationBasis(models.TextChoices):
    UNITS = "units", "by units"
    VALUE = "value", "by value"
    WEIGHT = "weight", "by weight"
    VOLUME = "volume", "by volume"


class LandedCharge(TenantModel):
    """A cost of getting an order's goods to stock (freight, duty, …), in its own currency, spread
    over the order's lines by the basis the seller chose (``ams.purchasing.landed``)."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=10, choices=ChargeKind.choices)
    amount = _money()
    currency = models.CharField(max_length=3)
    basis = models.CharField(max_length=6, choices=AllocationBasis.choices)
    # Converted at the rate of the day it was paid; unpaid, of the day the goods were received.
    paid_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="landed_charge_positive"),
            models.CheckConstraint(condition=CURRENCY, name="landed_charge_currency_code"),
        ]
