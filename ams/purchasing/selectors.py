"""Reads of suppliers and purchase orders: lists, one of each, the price that applies, lead times."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Min, Prefetch, Q, QuerySet

from ams.products.models import Product
from ams.products.rollup import UnitCost, bundle_cost
from ams.products.selectors import component_map
from ams.purchasing.errors import PurchasingError
from ams.purchasing.landed import charge_by_line
from ams.purchasing.models import (
    LandedCharge,
    Payment,
    POStatus,
    PurchaseOrder,
    PurchaseOrderAttachment,
    PurchaseOrderLine,
    Receipt,
    Supplier,
    SupplierContact,
    SupplierPrice,
    SupplierProduct,
)
from ams.teams.models import Team

# --- suppliers ----------------------------------------------------------------------------------


def suppliers(team: Team, *, q: str = "") -> QuerySet[Supplier]:
    qs = Supplier.objects.filter(team=team)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.annotate(product_count=Count("products", distinct=True)).order_by("name")


def access_supplier(team: Team, supplier_id: int) -> Supplier | None:
    """The team's supplier, or None for a missing one and for another team's alike."""
    return Supplier.objects.filter(team=team, pk=supplier_id).first()


def contacts(team: Team, supplier: Supplier) -> QuerySet[SupplierContact]:
    return SupplierContact.objects.filter(team=team, supplier=supplier).order_by("name", "id")


def offers(team: Team, supplier: Supplier) -> QuerySet[SupplierProduct]:
    """The products the supplier sells, each with its prices (quantity breaks, newest first)."""
    prices = SupplierPrice.objects.filter(team=team).order_by("min_quantity", "-valid_from")
    return (
        SupplierProduct.objects.filter(team=team, supplier=supplier)
        .select_related("product")
        .prefetch_related(Prefetch("prices", queryset=prices))
        .order_by("product__code")
    )


def supplier_prices(team: Team) -> QuerySet[SupplierPrice]:
    """Every price the team's suppliers ask, by supplier, product, quantity break and start."""
    return (
        SupplierPrice.objects.filter(team=team)
        .select_related("offer__supplier", "offer__product")
        .order_by(
            "offer__supplier__name", "offer__product__code", "min_quantity", "valid_from", "id"
        )
    )


def product_offers(team: Team, product: Product) -> QuerySet[SupplierProduct]:
    prices = SupplierPrice.objects.filter(team=team).order_by("min_quantity", "-valid_from")
    return (
        SupplierProduct.objects.filter(team=team, product=product)
        .select_related("supplier")
        .prefetch_related(Prefetch("prices", queryset=prices))
        .order_by("supplier__name")
    )


def _valid_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def price_for(
    team: Team, *, supplier: Supplier, product_id: int, quantity: int, on: date
) -> SupplierPrice | None:
    """The supplier's unit price for ``quantity`` units on a day: the highest quantity break the
    quantity reaches among the prices valid that day (the latest started, if two share it)."""
    return (
        SupplierPrice.objects.filter(
            _valid_on(on),
            team=team,
            offer__supplier=supplier,
            offer__product_id=product_id,
            min_quantity__lte=quantity,
        )
        .order_by("-min_quantity", "-valid_from", "-id")
        .first()
    )


def _main_offers(team: Team, product_ids: Iterable[int]) -> dict[int, SupplierProduct]:
    """Each product's main supplier: the one it was last ordered from, else the first added."""
    ids = list(product_ids)
    last_ordered: dict[int, int] = {}
    for product_id, supplier_id in (
        PurchaseOrderLine.objects.filter(team=team, product_id__in=ids)
        .exclude(order__status=POStatus.CANCELLED)
        .order_by("product_id", "-order__created_at", "-id")
        .values_list("product_id", "order__supplier_id")
    ):
        last_ordered.setdefault(product_id, supplier_id)
    main: dict[int, SupplierProduct] = {}
    for offer in SupplierProduct.objects.filter(team=team, product_id__in=ids).order_by("id"):
        if offer.product_id not in main or last_ordered.get(offer.product_id) == offer.supplier_id:
            main[offer.product_id] = offer
    return main


@dataclass(frozen=True)
class ProductCost:
    cost: UnitCost | None
    # Where the figure comes from, or why there is none, in the seller's words.
    basis: str


def product_cost(team: Team, product: Product, *, on: date) -> ProductCost:
    """What one unit costs to buy on a day: the main supplier's price at its minimum order; for a
    bundle, the sum of its components' (``ams.products.rollup.bundle_cost``)."""
    parts = component_map(team).get(product.pk, {})
    ids = list(parts) if parts else [product.pk]
    main = _main_offers(team, ids)
    costs: dict[int, UnitCost | None] = {}
    for product_id in ids:
        offer = main.get(product_id)
        price = (
            price_for(
                team,
                supplier=offer.supplier,
                product_id=product_id,
                quantity=offer.minimum_order_quantity,
                on=on,
            )
            if offer is not None
            else None
        )
        costs[product_id] = UnitCost(price.currency, price.unit_price) if price else None
    if not parts:
        cost = costs[product.pk]
        if cost is None:
            return ProductCost(None, "no supplier price valid today")
        return ProductCost(cost, "the main supplier's price at its minimum order")
    rolled = bundle_cost(parts, costs)
    if isinstance(rolled, str):
        return ProductCost(None, rolled)
    return ProductCost(rolled, "the sum of its components")


# --- lead times ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadTime:
    stated_days: int | None
    # Days from sending each purchase order to its first receipt, over the supplier's orders.
    samples: int
    mean_days: Decimal | None
    spread_days: Decimal | None  # the sample standard deviation; None under two orders


def _days_to_first_receipt(team: Team, supplier_ids: Iterable[int]) -> dict[int, list[int]]:
    rows = (
        Receipt.objects.filter(
            team=team, order__supplier_id__in=list(supplier_ids), order__sent_at__isnull=False
        )
        .values("order_id", "order__supplier_id", "order__sent_at")
        .annotate(first=Min("received_on"))
        .order_by()
    )
    out: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        sent: date = row["order__sent_at"].date()
        out[row["order__supplier_id"]].append((row["first"] - sent).days)
    return out


def _round(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


def lead_time(team: Team, supplier: Supplier) -> LeadTime:
    days = _days_to_first_receipt(team, [supplier.pk]).get(supplier.pk, [])
    return LeadTime(
        stated_days=supplier.stated_lead_time_days,
        samples=len(days),
        mean_days=_round(statistics.fmean(days)) if days else None,
        spread_days=_round(statistics.stdev(days)) if len(days) >= 2 else None,
    )


# --- purchase orders ----------------------------------------------------------------------------


def purchase_orders(team: Team, *, status: str = "", q: str = "") -> QuerySet[PurchaseOrder]:
    qs = PurchaseOrder.objects.filter(team=team).select_related("supplier")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(supplier__name__icontains=q))
    return qs.order_by("-created_at", "-id")


def access_purchase_order(team: Team, order_id: int) -> PurchaseOrder | None:
    return PurchaseOrder.objects.filter(team=team, pk=order_id).select_related("supplier").first()


def order_lines(team: Team, order: PurchaseOrder) -> QuerySet[PurchaseOrderLine]:
    return (
        PurchaseOrderLine.objects.filter(team=team, order=order)
        .select_related("product")
        .order_by("id")
    )


def order_receipts(team: Team, order: PurchaseOrder) -> QuerySet[Receipt]:
    return (
        Receipt.objects.filter(team=team, order=order)
        .prefetch_related("lines__product")
        .order_by("received_on", "id")
    )


def order_payments(team: Team, order: PurchaseOrder) -> QuerySet[Payment]:
    return Payment.objects.filter(team=team, order=order).order_by("paid_on", "id")


@dataclass(frozen=True)
class OrderTotals:
    currency: str
    total: Decimal
    paid: Decimal
    deposit_due: Decimal

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid


def order_totals(team: Team, order: PurchaseOrder) -> OrderTotals:
    lines = order_lines(team, order)
    total = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    paid = sum((p.amount for p in order_payments(team, order)), Decimal(0))
    deposit = (total * order.supplier.deposit_percent / 100).quantize(Decimal("0.01"))
    return OrderTotals(order.currency, total, paid, deposit)


def order_attachments(team: Team, order: PurchaseOrder) -> QuerySet[PurchaseOrderAttachment]:
    return (
        PurchaseOrderAttachment.objects.filter(team=team, order=order)
        .select_related("file", "created_by")
        .order_by("created_at", "id")
    )


def access_attachment(
    team: Team, order: PurchaseOrder, attachment_id: int
) -> PurchaseOrderAttachment | None:
    """The order's attachment, or None for a missing one and for another order's or team's."""
    return (
        PurchaseOrderAttachment.objects.filter(team=team, order=order, pk=attachment_id)
        .select_related("file")
        .first()
    )


@dataclass(frozen=True)
class ChargeSplit:
    charge: LandedCharge
    # (line, its part in the charge's currency), or why the charge cannot be spread.
    parts: list[tuple[PurchaseOrderLine, Decimal]]
    problem: str = ""


def order_charges(team: Team, order: PurchaseOrder) -> list[ChargeSplit]:
    """The order's landed charges, each with its part per line in its own currency (the batches
    take them in the home currency, at the rate of the charge's day: ``ams.costing``)."""
    lines = list(order_lines(team, order))
    out: list[ChargeSplit] = []
    for charge in LandedCharge.objects.filter(team=team, order=order).order_by("pk"):
        cents = int((charge.amount * 100).to_integral_value())
        try:
            split = charge_by_line(charge, lines, cents) if lines else {}
        except PurchasingError as exc:
            out.append(ChargeSplit(charge, [], str(exc)))
            continue
        out.append(ChargeSplit(charge, [(line, Decimal(split[line.pk]) / 100) for line in lines]))
    return out
