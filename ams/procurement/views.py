"""The product cost pages: the list with in-place entry, the import, the export."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.core.export_jobs import export_download
from ams.core.forms import SheetImportForm
from ams.core.pagination import CappedPaginator
from ams.core.sheets import ImportFileError
from ams.procurement import selectors, services
from ams.procurement.exports import cost_filters, cost_form, costs_export
from ams.procurement.forms import CostFilterForm, ProductCostForm
from ams.procurement.importing import COLUMNS, check_rows, read_rows
from ams.procurement.models import ProductCost
from ams.procurement.templatetags.procurement import unit_amount
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

SKUS_PER_PAGE = 50
# Counting a team's distinct costed SKUs reads every record; counting the first 1,001 reads a few
# thousand index entries. Past 20 pages the list says "more than 1,000 SKUs".
SKU_COUNT_CAP = 1000
MISSING_SHOWN = 100


def _filters(request: TeamRequest) -> dict[str, str]:
    return cost_filters(request.GET if request.method == "GET" else request.POST)


def _costs_context(
    request: TeamRequest,
    filters: dict[str, str],
    page_number: Any,
    form: ProductCostForm | None = None,
) -> dict[str, Any]:
    team = request.team
    skus = selectors.cost_skus_page(
        team, sku_contains=filters["q"], marketplace_id=filters["marketplace"], sort=filters["sort"]
    )
    page = CappedPaginator(skus, SKUS_PER_PAGE, cap=SKU_COUNT_CAP).get_page(page_number)
    records = selectors.cost_records(
        team, sku_contains=filters["q"], marketplace_id=filters["marketplace"], sort=filters["sort"]
    )
    page_skus = list(page.object_list)
    rows = selectors.sku_costs(records.filter(sku__in=page_skus), today=timezone.now().date())
    currency = selectors.default_currency(team)
    missing_count, missing = selectors.skus_without_cost_page(
        team, sku_contains=filters["q"], limit=MISSING_SHOWN
    )
    query = {k: v for k, v in filters.items() if v}
    asked = cost_form(request.GET if request.method == "GET" else request.POST)
    return {
        "filter_form": CostFilterForm(initial=filters, auto_id="filter_%s"),
        "problems": [
            f"{asked.fields[name].label or name}: {message}" if name != "sort" else str(message)
            for name, messages in asked.errors.items()
            for message in messages
        ],
        "sort": selectors.COST_SORTING.headers(filters["sort"], query),
        "form": form or ProductCostForm(initial={"currency": currency}),
        "currency": currency,
        "rows": rows,
        # The orders each record priced, linked to the orders page (the SKU and the days).
        "usage": selectors.cost_usage(team, page_skus),
        "orders_url": reverse("orders", args=[team.slug]),
        "page": page,
        "missing": missing,
        "missing_count": missing_count,
        "query": urlencode(query),
        "filtered": bool(filters["q"] or filters["marketplace"]),
        "export_csv": urlencode({**query, "format": "csv"}),
        "export_xlsx": urlencode({**query, "format": "xlsx"}),
        "can_edit": request.membership.role_enum.at_least(Role.MEMBER),
        "today": timezone.now().date(),
    }


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def cost_list(request: TeamRequest) -> HttpResponse:
    context = _costs_context(request, _filters(request), request.GET.get("page"))
    return render(request, "procurement/costs.html", context)


def _after_write(request: TeamRequest, form: ProductCostForm | None, ok: bool) -> HttpResponse:
    """htmx: the costs section again, in place. Otherwise: back to the list, or the page with errors."""
    filters = _filters(request)
    if getattr(request, "htmx", False):  # django_htmx's middleware sets it
        context = _costs_context(request, filters, request.POST.get("page"), None if ok else form)
        # htmx swaps 2xx answers only; the form's errors are part of the section.
        return render(request, "procurement/_costs.html", context)
    if ok:
        query = urlencode({k: v for k, v in filters.items() if v})
        return redirect(
            reverse("procurement_costs", args=[request.team.slug]) + (f"?{query}" if query else "")
        )
    return render(
        request, "procurement/costs.html", _costs_context(request, filters, None, form), status=400
    )


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def cost_add(request: TeamRequest) -> HttpResponse:
    form = ProductCostForm(request.POST, known_skus=selectors.synced_skus(request.team))
    if not form.is_valid():
        return _after_write(request, form, ok=False)
    assert form.row is not None
    services.product_costs_save(team=request.team, actor=request.user, rows=[form.row])
    messages.success(
        request,
        f"Saved: {form.row.sku} costs {unit_amount(form.row.unit_cost)} {form.row.currency} "
        + (
            f"from {date_format(form.row.effective_from)}."
            if form.row.effective_from
            else "for all history, until a dated cost replaces it."
        ),
    )
    return _after_write(request, form, ok=True)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def cost_delete(request: TeamRequest) -> HttpResponse:
    try:
        cost_id = int(request.POST.get("id", ""))
    except ValueError:
        return HttpResponse("Which cost? The form sent no id.", status=400)
    try:
        record = services.product_cost_delete(team=request.team, cost_id=cost_id)
    except ProductCost.DoesNotExist:
        raise Http404("No such cost") from None
    messages.success(request, f"Deleted the cost of {record.sku} {record.valid_from_label}.")
    return _after_write(request, None, ok=True)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_http_methods(["GET", "POST"])
def cost_import(request: TeamRequest) -> HttpResponse:
    form = SheetImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if services.cost_import_in_a_job(upload):
                record = services.cost_import_start(
                    team=request.team, actor=request.user, upload=upload
                )
                return redirect("procurement_cost_import_result", request.team.slug, record.id)
            rows, rejected = check_rows(
                read_rows(upload, upload.name), known_skus=selectors.synced_skus(request.team)
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            result = services.product_costs_import(
                team=request.team, actor=request.user, rows=rows, rejected=rejected
            )
            return render(
                request, "procurement/import_result.html", {"result": result, "columns": COLUMNS}
            )
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "columns": COLUMNS,
        # A viewer may read what the file looks like, not be offered a form it cannot submit.
        "can_import": request.membership.role_enum.at_least(Role.MEMBER),
    }
    return render(request, "procurement/import.html", context, status=status)


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def cost_import_result(request: TeamRequest, costimport_id: int) -> HttpResponse:
    """A large import's progress while a worker reads it, then its outcome (404 for another team's)."""
    record = selectors.cost_import(request.team, costimport_id)
    if record is None:
        raise Http404("No such import")
    context = {"record": record, "result": record, "columns": COLUMNS, "poll_seconds": 2}
    # django_htmx's middleware sets request.htmx: a poll gets the outcome section only.
    template = (
        "procurement/_import_job.html"
        if getattr(request, "htmx", False)
        else "procurement/import_job.html"
    )
    return render(request, template, context)


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def cost_export(request: TeamRequest) -> HttpResponseBase:
    team = request.team
    return export_download(
        request,
        lambda: costs_export(team, request.GET),
        team_id=team.id,
        team_slug=team.slug,
        page="costs",
    )
