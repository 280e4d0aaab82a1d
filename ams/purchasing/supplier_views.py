"""The supplier pages: the list, one supplier (terms, contacts, products, prices, lead time), the
forms, the export; and one product's suppliers and cost to buy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.core.audit_log import audit_record
from ams.core.export_jobs import export_download
from ams.core.exports import ExportSource
from ams.core.forms import SheetImportForm
from ams.core.sheets import ImportFileError, read_rows
from ams.products.models import Product
from ams.products.selectors import access_product
from ams.products.selectors import products as team_products
from ams.purchasing import selectors, supplier_services
from ams.purchasing.errors import PurchasingError
from ams.purchasing.exports import supplier_prices_export, suppliers_export
from ams.purchasing.forms import ContactForm, OfferForm, PriceForm, SupplierForm
from ams.purchasing.models import Supplier, SupplierContact, SupplierPrice
from ams.purchasing.price_import import COLUMNS as PRICE_COLUMNS
from ams.purchasing.price_import import MAX_PRICE_ROWS, PRICE_SHEET
from ams.purchasing.price_import import check_rows as price_import_rows
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role, Team


def _supplier(request: TeamRequest, supplier_id: int) -> Supplier:
    supplier = selectors.access_supplier(request.team, supplier_id)
    if supplier is None:
        raise Http404("No such supplier")
    return supplier


def _can_edit(request: TeamRequest) -> bool:
    return request.membership.role_enum.at_least(Role.MEMBER)


def _product_choices(request: TeamRequest) -> list[tuple[int, str]]:
    return [(p.pk, str(p)) for p in team_products(request.team)]


@team_view(read=Role.VIEWER)
@require_GET
def supplier_list(request: TeamRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    context = {
        "suppliers": selectors.suppliers(request.team, q=q),
        "q": q,
        "can_edit": _can_edit(request),
    }
    return render(request, "purchasing/suppliers.html", context)


def _detail_context(request: TeamRequest, supplier: Supplier, **forms: Any) -> dict[str, Any]:
    team = request.team
    choices = _product_choices(request)
    today = timezone.now().date()
    return {
        "supplier": supplier,
        "contacts": selectors.contacts(team, supplier),
        "offers": selectors.offers(team, supplier),
        "lead_time": selectors.lead_time(team, supplier),
        "orders": selectors.purchase_orders(team).filter(supplier=supplier)[:20],
        "can_edit": _can_edit(request),
        "today": today,
        "contact_form": forms.get("contact_form") or ContactForm(auto_id="contact_%s"),
        "offer_form": forms.get("offer_form") or OfferForm(products=choices, auto_id="offer_%s"),
        "price_form": forms.get("price_form")
        or PriceForm(products=choices, auto_id="price_%s", initial={"valid_from": today}),
    }


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def supplier_detail(request: TeamRequest, supplier_id: int) -> HttpResponse:
    supplier = _supplier(request, supplier_id)
    return render(request, "purchasing/supplier.html", _detail_context(request, supplier))


def _save(request: TeamRequest, supplier: Supplier | None) -> HttpResponse:
    initial = (
        {name: getattr(supplier, name) for name in SupplierForm.base_fields} if supplier else {}
    )
    form = SupplierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if supplier is None:
                supplier = supplier_services.supplier_create(
                    team=request.team, data=form.data_out()
                )
            else:
                supplier = supplier_services.supplier_update(
                    team=request.team, supplier_id=supplier.pk, data=form.data_out()
                )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {supplier.name}.")
            return redirect("supplier_detail", request.team.slug, supplier.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "supplier": supplier}
    return render(request, "purchasing/supplier_form.html", context, status=status)


@team_view(read=Role.MEMBER, write=Role.MEMBER, costs=True)
@require_http_methods(["GET", "POST"])
def supplier_new(request: TeamRequest) -> HttpResponse:
    return _save(request, None)


@team_view(read=Role.MEMBER, write=Role.MEMBER, costs=True)
@require_http_methods(["GET", "POST"])
def supplier_edit(request: TeamRequest, supplier_id: int) -> HttpResponse:
    return _save(request, _supplier(request, supplier_id))


def _back(request: TeamRequest, supplier: Supplier, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("supplier_detail", request.team.slug, supplier.pk)


def _again(request: TeamRequest, supplier: Supplier, **forms: Any) -> HttpResponse:
    context = _detail_context(request, supplier, **forms)
    return render(request, "purchasing/supplier.html", context, status=400)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def contact_add(request: TeamRequest, supplier_id: int) -> HttpResponse:
    supplier = _supplier(request, supplier_id)
    form = ContactForm(request.POST, auto_id="contact_%s")
    if form.is_valid():
        try:
            contact = supplier_services.supplier_contact_add(
                team=request.team, supplier_id=supplier.pk, **form.cleaned_data
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        else:
            return _back(request, supplier, f"Added {contact.name}.")
    return _again(request, supplier, contact_form=form)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def contact_remove(request: TeamRequest, supplier_id: int, suppliercontact_id: int) -> HttpResponse:
    supplier = _supplier(request, supplier_id)
    try:
        contact = supplier_services.supplier_contact_remove(
            team=request.team, supplier_id=supplier.pk, contact_id=suppliercontact_id
        )
    except SupplierContact.DoesNotExist:
        raise Http404("No such contact") from None
    return _back(request, supplier, f"Removed {contact.name}.")


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def offer_set(request: TeamRequest, supplier_id: int) -> HttpResponse:
    supplier = _supplier(request, supplier_id)
    form = OfferForm(request.POST, products=_product_choices(request), auto_id="offer_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            offer = supplier_services.supplier_product_set(
                team=request.team,
                supplier_id=supplier.pk,
                product_id=data["product"],
                supplier_code=data["supplier_code"],
                minimum_order_quantity=data["minimum_order_quantity"],
                case_pack=data["case_pack"],
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        except Product.DoesNotExist:
            raise Http404("No such product") from None
        else:
            return _back(request, supplier, f"Saved the terms of {offer.product.code}.")
    return _again(request, supplier, offer_form=form)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def price_add(request: TeamRequest, supplier_id: int) -> HttpResponse:
    supplier = _supplier(request, supplier_id)
    form = PriceForm(request.POST, products=_product_choices(request), auto_id="price_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            price = supplier_services.supplier_price_add(
                team=request.team,
                supplier_id=supplier.pk,
                product_id=data["product"],
                unit_price=data["unit_price"],
                min_quantity=data["min_quantity"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                currency=data["currency"],
            )
        except PurchasingError as exc:
            form.add_error(None, str(exc))
        except Product.DoesNotExist:
            raise Http404("No such product") from None
        else:
            return _back(
                request,
                supplier,
                f"Saved: {price.unit_price.normalize():f} {price.currency} from {price.min_quantity} units.",
            )
    return _again(request, supplier, price_form=form)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def price_remove(request: TeamRequest, supplier_id: int, supplierprice_id: int) -> HttpResponse:
    supplier = _supplier(request, supplier_id)
    try:
        supplier_services.supplier_price_remove(
            team=request.team, supplier_id=supplier.pk, price_id=supplierprice_id
        )
    except SupplierPrice.DoesNotExist:
        raise Http404("No such price") from None
    return _back(request, supplier, "Removed the price.")


def _export(
    request: TeamRequest, page: str, build: Callable[[Team, Any], ExportSource]
) -> HttpResponseBase:
    team = request.team
    return export_download(
        request,
        lambda: build(team, request.GET),
        team_id=team.id,
        team_slug=team.slug,
        page=page,
    )


@team_view(read=Role.VIEWER)
@require_GET
def supplier_export(request: TeamRequest) -> HttpResponseBase:
    return _export(request, "suppliers", suppliers_export)


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def price_export(request: TeamRequest) -> HttpResponseBase:
    return _export(request, "supplier-prices", supplier_prices_export)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_http_methods(["GET", "POST"])
def price_import(request: TeamRequest) -> HttpResponse:
    form = SheetImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows, rejected = price_import_rows(
                read_rows(upload, upload.name, PRICE_SHEET), today=timezone.now().date()
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            result = supplier_services.supplier_prices_import(
                team=request.team, rows=rows, rejected=rejected
            )
            audit_record(
                team_id=request.team.id,
                actor_id=request.user.id,
                kind="supplier_prices.imported",
                imported=result.imported,
                rejected=len(result.rejected),
            )
            return render(request, "purchasing/price_import_result.html", {"result": result})
    context = {
        "form": form,
        "columns": PRICE_COLUMNS,
        "max_rows": MAX_PRICE_ROWS,
        "can_import": _can_edit(request),
    }
    return render(
        request,
        "purchasing/price_import.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def product_suppliers(request: TeamRequest, product_id: int) -> HttpResponse:
    """One product's suppliers, their terms and prices, and what a unit costs to buy today."""
    product = access_product(request.team, product_id)
    if product is None:
        raise Http404("No such product")
    today = timezone.now().date()
    context = {
        "product": product,
        "offers": selectors.product_offers(request.team, product),
        "cost": selectors.product_cost(request.team, product, on=today),
        "today": today,
    }
    return render(request, "purchasing/product.html", context)
