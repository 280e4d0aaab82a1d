"""Writes of products, their SKUs and bundle components.

Each write checks its input and raises ``ProductError`` with a sentence for the seller before it
changes anything; ``Product.DoesNotExist`` means a product the team does not have (a 404).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from decimal import Decimal

from django.db import IntegrityError, transaction

from ams.core.marketplaces import TIME_ZONES
from ams.products.importing import ProductRow, Rejection
from ams.products.models import MEASURES, BundleComponent, Product, ProductSku
from ams.teams.models import Team


class ProductError(ValueError):
    """Input a product cannot take; the message says why, in the seller's terms."""


@dataclass(frozen=True)
class ProductData:
    name: str
    code: str
    hs_code: str = ""
    country_of_origin: str = ""
    unit_length_cm: Decimal | None = None
    unit_width_cm: Decimal | None = None
    unit_height_cm: Decimal | None = None
    unit_weight_g: Decimal | None = None
    units_per_carton: int | None = None
    carton_length_cm: Decimal | None = None
    carton_width_cm: Decimal | None = None
    carton_height_cm: Decimal | None = None
    carton_weight_kg: Decimal | None = None
    note: str = ""


def _check(data: ProductData) -> ProductData:
    name, code = data.name.strip(), data.code.strip()
    if not name:
        raise ProductError("A product needs a name.")
    if not code:
        raise ProductError("A product needs a code (your own reference for it).")
    country = data.country_of_origin.strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise ProductError("Country of origin is a two-letter code, such as CN or DE.")
    for field in MEASURES:
        value = getattr(data, field)
        if value is not None and value <= 0:
            raise ProductError(f"{field.replace('_', ' ')} must be more than zero.")
    if data.units_per_carton is not None and data.units_per_carton < 1:
        raise ProductError("Units per carton must be at least 1.")
    return ProductData(**{**asdict(data), "name": name, "code": code, "country_of_origin": country})


def _code_taken(team: Team, code: str, *, other_than: int | None = None) -> bool:
    qs = Product.objects.filter(team=team, code=code)
    if other_than is not None:
        qs = qs.exclude(pk=other_than)
    return qs.exists()


@transaction.atomic
def product_create(*, team: Team, data: ProductData) -> Product:
    clean = _check(data)
    if _code_taken(team, clean.code):
        raise ProductError(f"You already have a product with the code {clean.code}.")
    return Product.objects.create(team=team, **asdict(clean))


@transaction.atomic
def product_update(*, team: Team, product_id: int, data: ProductData) -> Product:
    product = Product.objects.select_for_update().get(team=team, pk=product_id)
    clean = _check(data)
    if _code_taken(team, clean.code, other_than=product.pk):
        raise ProductError(f"You already have a product with the code {clean.code}.")
    values = asdict(clean)
    for field, value in values.items():
        setattr(product, field, value)
    product.save(update_fields=list(values))
    return product


@transaction.atomic
def product_sku_add(
    *, team: Team, product_id: int, sku: str, marketplace_id: str | None
) -> ProductSku:
    """Sell the product under ``sku``, in one marketplace or (None) in every one."""
    product = Product.objects.get(team=team, pk=product_id)
    sku = sku.strip()
    if not sku:
        raise ProductError("Which SKU? The SKU is empty.")
    if len(sku) > 64:
        raise ProductError("A SKU has at most 64 characters.")
    marketplace_id = marketplace_id or None
    if marketplace_id is not None and marketplace_id not in TIME_ZONES:
        raise ProductError("That marketplace is not one AMS knows.")
    taken = (
        ProductSku.objects.filter(team=team, sku=sku, marketplace_id=marketplace_id)
        .select_related("product")
        .first()
    )
    if taken is not None:
        where = "in that marketplace" if marketplace_id else "in every marketplace"
        raise ProductError(f"{sku} already sells {taken.product.code} {where}.")
    try:
        with transaction.atomic():
            return ProductSku.objects.create(
                team=team, product=product, sku=sku, marketplace_id=marketplace_id
            )
    except IntegrityError:  # the same SKU added by a concurrent request
        raise ProductError(f"{sku} is already mapped to a product.") from None


@transaction.atomic
def product_sku_remove(*, team: Team, product_id: int, product_sku_id: int) -> ProductSku:
    mapping = ProductSku.objects.get(team=team, product_id=product_id, pk=product_sku_id)
    mapping.delete()
    return mapping


@transaction.atomic
def bundle_component_set(
    *, team: Team, bundle_id: int, component_id: int, quantity: int
) -> BundleComponent | None:
    """Set how many units of a component one bundle holds; 0 takes the component out."""
    if quantity < 0:
        raise ProductError("A bundle cannot hold a negative number of units.")
    # Both rows locked: a concurrent change cannot make a bundle a component meanwhile.
    locked = {
        p.pk: p
        for p in Product.objects.select_for_update().filter(
            team=team, pk__in=[bundle_id, component_id]
        )
    }
    if bundle_id not in locked or component_id not in locked:
        raise Product.DoesNotExist
    if bundle_id == component_id:
        raise ProductError("A bundle cannot contain itself.")
    existing = BundleComponent.objects.filter(
        team=team, bundle_id=bundle_id, component_id=component_id
    ).first()
    if quantity == 0:
        if existing is not None:
            existing.delete()
        return None
    if BundleComponent.objects.filter(team=team, component_id=bundle_id).exists():
        raise ProductError(
            f"{locked[bundle_id].code} is a component of another bundle, so it cannot be a bundle."
        )
    if BundleComponent.objects.filter(team=team, bundle_id=component_id).exists():
        raise ProductError(
            f"{locked[component_id].code} is a bundle itself; a bundle is made of simple products."
        )
    if existing is not None:
        existing.quantity = quantity
        existing.save(update_fields=["quantity"])
        return existing
    return BundleComponent.objects.create(
        team=team, bundle_id=bundle_id, component_id=component_id, quantity=quantity
    )


# --- Import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    rejected: list[Rejection]

    @property
    def imported(self) -> int:
        return self.created + self.updated


def products_import(
    *, team: Team, rows: Sequence[ProductRow], rejected: Sequence[Rejection]
) -> ImportResult:
    """Save each checked row as a whole (its product, SKUs and components) or not at all: a row
    the services refuse is reported with their reason and the other rows are kept."""
    created = updated = 0
    refused = list(rejected)
    for row in rows:
        try:
            with transaction.atomic():
                made = _import_row(team, row)
        except ProductError as exc:
            refused.append(Rejection(row.line, row.code, str(exc)))
            continue
        if made:
            created += 1
        else:
            updated += 1
    refused.sort(key=lambda r: r.line)
    return ImportResult(created, updated, refused)


def _import_row(team: Team, row: ProductRow) -> bool:
    """Save one row; whether it made a new product."""
    product = Product.objects.filter(team=team, code=row.code).first()
    if product is None:
        if not row.fields.get("name"):
            raise ProductError(f"{row.code} is a new product: it needs a name.")
        product = product_create(team=team, data=ProductData(code=row.code, **row.fields))
        made = True
    else:
        current = {f.name: getattr(product, f.name) for f in fields(ProductData)}
        if any(current[name] != value for name, value in row.fields.items()):
            data = ProductData(**{**current, **row.fields})
            product = product_update(team=team, product_id=product.pk, data=data)
        made = False
    mapped = set(
        ProductSku.objects.filter(team=team, product=product).values_list("sku", "marketplace_id")
    )
    for sku, marketplace_id in row.skus:
        if (sku, marketplace_id) not in mapped:
            product_sku_add(
                team=team, product_id=product.pk, sku=sku, marketplace_id=marketplace_id
            )
    if row.components:
        codes = [code for code, _ in row.components]
        known = dict(Product.objects.filter(team=team, code__in=codes).values_list("code", "pk"))
        for code, quantity in row.components:
            if code not in known:
                raise ProductError(
                    f"unknown component {code}: add that product first, or put it in the same file."
                )
            bundle_component_set(
                team=team, bundle_id=product.pk, component_id=known[code], quantity=quantity
            )
    return made
