"""The product pages: the list, one product (SKUs, listings, bundle components, stock), the forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.core.audit_log import audit_record
from ams.core.export_jobs import export_download
from ams.core.forms import SheetImportForm
from ams.core.pagination import CappedPaginator
from ams.core.sheets import ImportFileError, read_rows
from ams.products import selectors, services
from ams.products.exports import products_export
from ams.products.forms import ComponentForm, ProductForm, ProductSkuForm
from ams.products.importing import COLUMNS, MAX_PRODUCT_ROWS, PRODUCT_SHEET, check_rows
from ams.products.models import Product, ProductSku
from ams.products.services import ProductError
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

PER_PAGE = 50


def _product(request: TeamRequest, product_id: int) -> Product:
    product = selectors.access_product(request.team, product_id)
    if product is None:
        raise Http404("No such product")
    return product


def _can_edit(request: TeamRequest) -> bool:
    return request.membership.role_enum.at_least(Role.MEMBER)


@team_view(read=Role.VIEWER)
@require_GET
def product_list(request: TeamRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:64]
    page = CappedPaginator(selectors.products(request.team, q=q), PER_PAGE, cap=10_000).get_page(
        request.GET.get("page")
    )
    stock = selectors.stock_rollups(request.team)
    context = {
        "page": page,
        "rows": [(product, stock.get(product.pk)) for product in page],
        "q": q,
        "query": urlencode({"q": q}) if q else "",
        "can_edit": _can_edit(request),
    }
    return render(request, "products/products.html", context)


def _detail_context(request: TeamRequest, product: Product, **forms: Any) -> dict[str, Any]:
    team = request.team
    parts = selectors.components(team, product)
    others = selectors.products(team).exclude(pk=product.pk)
    return {
        "product": product,
        "skus": selectors.product_skus(team, product),
        "listings": selectors.product_listings(team, product),
        "components": parts,
        "used_in": selectors.used_in(team, product),
        "stock": selectors.product_stock(team, product),
        "can_edit": _can_edit(request),
        "sku_form": forms.get("sku_form") or ProductSkuForm(auto_id="sku_%s"),
        "component_form": forms.get("component_form")
        or ComponentForm(choices=[(p.pk, str(p)) for p in others], auto_id="component_%s"),
    }


@team_view(read=Role.VIEWER)
@require_GET
def product_detail(request: TeamRequest, product_id: int) -> HttpResponse:
    product = _product(request, product_id)
    return render(request, "products/product.html", _detail_context(request, product))


def _save(request: TeamRequest, product: Product | None) -> HttpResponse:
    form = ProductForm(request.POST or None, initial=_initial(product))
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                product = services.product_create(team=request.team, data=form.data_out())
            else:
                product = services.product_update(
                    team=request.team, product_id=product.pk, data=form.data_out()
                )
        except ProductError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {product.code}.")
            return redirect("product_detail", request.team.slug, product.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "products/product_form.html", {"form": form, "product": product}, status=status
    )


def _initial(product: Product | None) -> dict[str, Any]:
    if product is None:
        return {}
    return {name: getattr(product, name) for name in ProductForm.base_fields}


@team_view(read=Role.MEMBER, write=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def product_new(request: TeamRequest) -> HttpResponse:
    return _save(request, None)


@team_view(read=Role.MEMBER, write=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def product_edit(request: TeamRequest, product_id: int) -> HttpResponse:
    return _save(request, _product(request, product_id))


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def product_sku_add(request: TeamRequest, product_id: int) -> HttpResponse:
    product = _product(request, product_id)
    form = ProductSkuForm(request.POST, auto_id="sku_%s")
    if form.is_valid():
        try:
            mapping = services.product_sku_add(
                team=request.team,
                product_id=product.pk,
                sku=form.cleaned_data["sku"],
                marketplace_id=form.cleaned_data["marketplace"] or None,
            )
        except ProductError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{mapping.sku} now sells {product.code}.")
            return redirect("product_detail", request.team.slug, product.pk)
    context = _detail_context(request, product, sku_form=form)
    return render(request, "products/product.html", context, status=400)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def product_sku_remove(request: TeamRequest, product_id: int, productsku_id: int) -> HttpResponse:
    product = _product(request, product_id)
    try:
        mapping = services.product_sku_remove(
            team=request.team, product_id=product.pk, product_sku_id=productsku_id
        )
    except ProductSku.DoesNotExist:
        raise Http404("No such SKU of this product") from None
    messages.success(request, f"{mapping.sku} no longer sells {product.code}.")
    return redirect("product_detail", request.team.slug, product.pk)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def component_set(request: TeamRequest, product_id: int) -> HttpResponse:
    product = _product(request, product_id)
    others = selectors.products(request.team).exclude(pk=product.pk)
    form = ComponentForm(
        request.POST, choices=[(p.pk, str(p)) for p in others], auto_id="component_%s"
    )
    if form.is_valid():
        try:
            services.bundle_component_set(
                team=request.team,
                bundle_id=product.pk,
                component_id=form.cleaned_data["component"],
                quantity=form.cleaned_data["quantity"],
            )
        except ProductError as exc:
            form.add_error(None, str(exc))
        except Product.DoesNotExist:
            raise Http404("No such product") from None
        else:
            messages.success(request, f"Saved the components of {product.code}.")
            return redirect("product_detail", request.team.slug, product.pk)
    context = _detail_context(request, product, component_form=form)
    return render(request, "products/product.html", context, status=400)


@team_view(read=Role.VIEWER)
@require_GET
def product_export(request: TeamRequest) -> HttpResponseBase:
    team = request.team
    return export_download(
        request,
        lambda: products_export(team, request.GET),
        team_id=team.id,
        team_slug=team.slug,
        page="products",
    )


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def product_import(request: TeamRequest) -> HttpResponse:
    form = SheetImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows, rejected = check_rows(read_rows(upload, upload.name, PRODUCT_SHEET))
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            result = services.products_import(team=request.team, rows=rows, rejected=rejected)
            audit_record(
                team_id=request.team.id,
                actor_id=request.user.id,
                kind="products.imported",
                created=result.created,
                updated=result.updated,
                rejected=len(result.rejected),
            )
            return render(request, "products/import_result.html", {"result": result})
    context = {
        "form": form,
        "columns": COLUMNS,
        "max_rows": MAX_PRODUCT_ROWS,
        "can_import": _can_edit(request),
    }
    return render(
        request, "products/import.html", context, status=400 if request.method == "POST" else 200
    )
