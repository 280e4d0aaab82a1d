"""Writes of suppliers: their terms, contacts, the products they sell and the prices they ask.

``Supplier.DoesNotExist`` (and the like) means something the team does not have: a 404.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from ams.products.models import Product
from ams.purchasing.errors import PurchasingError
from ams.purchasing.models import (
    BalanceDue,
    Incoterm,
    Supplier,
    SupplierContact,
    SupplierPrice,
    SupplierProduct,
)
from ams.purchasing.price_import import PriceRow, Rejection
from ams.teams.models import Team

MAX_PRICE = Decimal("9999999999")


@dataclass(frozen=True)
class SupplierData:
    name: str
    currency: str
    email: str = ""
    phone: str = ""
    address: str = ""
    website: str = ""
    incoterm: str = ""
    deposit_percent: Decimal = Decimal(0)
    balance_due: str = BalanceDue.SHIPMENT
    balance_days: int = 0
    stated_lead_time_days: int | None = None
    note: str = ""


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise PurchasingError("A currency is a three-letter code, such as USD, EUR or CNY.")
    return code


def _check(data: SupplierData) -> SupplierData:
    name = data.name.strip()
    if not name:
        raise PurchasingError("A supplier needs a name.")
    currency = check_currency(data.currency)
    if data.incoterm and data.incoterm not in Incoterm.values:
        raise PurchasingError(f"{data.incoterm} is not an Incoterm.")
    if data.balance_due not in BalanceDue.values:
        raise PurchasingError("The balance is due on order, on shipment or on arrival.")
    if not Decimal(0) <= data.deposit_percent <= Decimal(100):
        raise PurchasingError("The deposit is a share of the order between 0 and 100 %.")
    if data.balance_days < 0:
        raise PurchasingError("The balance cannot be due a negative number of days.")
    if data.stated_lead_time_days is not None and data.stated_lead_time_days < 0:
        raise PurchasingError("A lead time cannot be negative.")
    return SupplierData(**{**asdict(data), "name": name, "currency": currency})


def _name_taken(team: Team, name: str, *, other_than: int | None = None) -> bool:
    qs = Supplier.objects.filter(team=team, name=name)
    if other_than is not None:
        qs = qs.exclude(pk=other_than)
    return qs.exists()


@transaction.atomic
def supplier_create(*, team: Team, data: SupplierData) -> Supplier:
    clean = _check(data)
    if _name_taken(team, clean.name):
        raise PurchasingError(f"You already have a supplier called {clean.name}.")
    return Supplier.objects.create(team=team, **asdict(clean))


@transaction.atomic
def supplier_update(*, team: Team, supplier_id: int, data: SupplierData) -> Supplier:
    supplier = Supplier.objects.select_for_update().get(team=team, pk=supplier_id)
    clean = _check(data)
    if _name_taken(team, clean.name, other_than=supplier.pk):
        raise PurchasingError(f"You already have a supplier called {clean.name}.")
    values = asdict(clean)
    for field, value in values.items():
        setattr(supplier, field, value)
    supplier.save(update_fields=list(values))
    return supplier


@transaction.atomic
def supplier_contact_add(
    *, team: Team, supplier_id: int, name: str, role: str = "", email: str = "", phone: str = ""
) -> SupplierContact:
    supplier = Supplier.objects.get(team=team, pk=supplier_id)
    if not name.strip():
        raise PurchasingError("A contact needs a name.")
    return SupplierContact.objects.create(
        team=team,
        supplier=supplier,
        name=name.strip(),
        role=role.strip(),
        email=email.strip(),
        phone=phone.strip(),
    )


@transaction.atomic
def supplier_contact_remove(*, team: Team, supplier_id: int, contact_id: int) -> SupplierContact:
    contact = SupplierContact.objects.get(team=team, supplier_id=supplier_id, pk=contact_id)
    contact.delete()
    return contact


@transaction.atomic
def supplier_product_set(
    *,
    team: Team,
    supplier_id: int,
    product_id: int,
    supplier_code: str = "",
    minimum_order_quantity: int = 1,
    case_pack: int = 1,
) -> SupplierProduct:
    """The supplier sells the product: their code, minimum order and case pack (added or changed)."""
    supplier = Supplier.objects.get(team=team, pk=supplier_id)
    product = Product.objects.get(team=team, pk=product_id)
    if minimum_order_quantity < 1:
        raise PurchasingError("The minimum order quantity is at least 1.")
    if case_pack < 1:
        raise PurchasingError("A case holds at least 1 unit.")
    offer, _ = SupplierProduct.objects.update_or_create(
        team=team,
        supplier=supplier,
        product=product,
        defaults={
            "supplier_code": supplier_code.strip(),
            "minimum_order_quantity": minimum_order_quantity,
            "case_pack": case_pack,
        },
    )
    return offer


@transaction.atomic
def supplier_price_add(
    *,
    team: Team,
    supplier_id: int,
    product_id: int,
    unit_price: Decimal,
    valid_from: date,
    min_quantity: int = 1,
    valid_until: date | None = None,
    currency: str = "",
) -> SupplierPrice:
    """A price from ``min_quantity`` units on, for a time; a price with the same quantity break and
    start replaces it. The currency is the supplier's unless given."""
    supplier = Supplier.objects.get(team=team, pk=supplier_id)
    product = Product.objects.get(team=team, pk=product_id)
    if unit_price < 0:
        raise PurchasingError("A price cannot be negative.")
    if unit_price > MAX_PRICE:
        raise PurchasingError("That price is too large.")
    if min_quantity < 1:
        raise PurchasingError("A quantity break starts at 1 unit or more.")
    if valid_until is not None and valid_until < valid_from:
        raise PurchasingError("A price cannot end before it starts.")
    code = check_currency(currency) if currency else supplier.currency
    offer, _ = SupplierProduct.objects.get_or_create(team=team, supplier=supplier, product=product)
    price, _ = SupplierPrice.objects.update_or_create(
        team=team,
        offer=offer,
        min_quantity=min_quantity,
        valid_from=valid_from,
        defaults={"unit_price": unit_price, "currency": code, "valid_until": valid_until},
    )
    return price


@transaction.atomic
def supplier_price_remove(*, team: Team, supplier_id: int, price_id: int) -> SupplierPrice:
    price = SupplierPrice.objects.get(team=team, offer__supplier_id=supplier_id, pk=price_id)
    price.delete()
    return price


# --- Import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceImportResult:
    imported: int
    rejected: list[Rejection]


def supplier_prices_import(
    *, team: Team, rows: Sequence[PriceRow], rejected: Sequence[Rejection]
) -> PriceImportResult:
    """Save each checked price (and its offer's columns) whole or not at all; a row naming a
    supplier or product the team does not have, or a currency that is not one, is reported."""
    suppliers = {s.name.casefold(): s.pk for s in Supplier.objects.filter(team=team)}
    products = dict(Product.objects.filter(team=team).values_list("code", "pk"))
    imported = 0
    refused = list(rejected)
    for row in rows:
        supplier_id = suppliers.get(row.supplier.casefold())
        product_id = products.get(row.product_code)
        try:
            if supplier_id is None:
                raise PurchasingError(f"unknown supplier {row.supplier[:60]}: add it first.")
            if product_id is None:
                raise PurchasingError(
                    f"unknown product code {row.product_code[:60]}: add it first."
                )
            with transaction.atomic():
                if row.offer:
                    offer = SupplierProduct.objects.filter(
                        team=team, supplier_id=supplier_id, product_id=product_id
                    ).first()
                    current = {
                        "supplier_code": offer.supplier_code if offer else "",
                        "minimum_order_quantity": offer.minimum_order_quantity if offer else 1,
                        "case_pack": offer.case_pack if offer else 1,
                    }
                    supplier_product_set(
                        team=team,
                        supplier_id=supplier_id,
                        product_id=product_id,
                        **{**current, **row.offer},
                    )
                supplier_price_add(
                    team=team,
                    supplier_id=supplier_id,
                    product_id=product_id,
                    unit_price=row.unit_price,
                    valid_from=row.valid_from,
                    min_quantity=row.min_quantity,
                    valid_until=row.valid_until,
                    currency=row.currency,
                )
        except PurchasingError as exc:
            refused.append(Rejection(row.line, row.product_code, str(exc)))
            continue
        imported += 1
    refused.sort(key=lambda r: r.line)
    return PriceImportResult(imported, refused)
