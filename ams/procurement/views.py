"""The product cost pages: the list with in-place entry, the import, the export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.core.audit_log import audit_record
from ams.core.exports import FORMATS, Cell, export_response
from ams.core.marketplaces import label as marketplace_label
from ams.core.pagination import CappedPaginator
from ams.procurement import selectors, services
from ams.procurement.forms import CostFilterForm, CostImportForm, ProductCostForm
from ams.procurement.importing import COLUMNS, ImportFileError, check_rows, read_rows
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
    form = CostFilterForm(
        request.GET if request.method == "GET" else request.POST, auto_id="filter_%s"
    )
    if not form.is_valid():
        return {"q": "", "marketplace": ""}
    return {"q": form.cleaned_data["q"].strip(), "marketplace": form.cleaned_data["marketplace"]}


def _costs_context(
    request: TeamRequest,
    filters: dict[str, str],
    page_number: Any,
    form: ProductCostForm | None = None,
) -> dict[str, Any]:
    team = request.team
    skus = selectors.cost_skus_page(
        team, sku_contains=filters["q"], marketplace_id=filters["marketplace"]
    )
    page = CappedPaginator(skus, SKUS_PER_PAGE, cap=SKU_COUNT_CAP).get_page(page_number)
    records = selectors.cost_records(
        team, sku_contains=filters["q"], marketplace_id=filters["marketplace"]
    )
    rows = selectors.sku_costs(
        records.filter(sku__in=list(page.object_list)), today=timezone.now().date()
    )
    currency = selectors.default_currency(team)
    missing_count, missing = selectors.skus_without_cost_page(
        team, sku_contains=filters["q"], limit=MISSING_SHOWN
    )
    query = {k: v for k, v in filters.items() if v}
    return {
        "filter_form": CostFilterForm(initial=filters, auto_id="filter_%s"),
        "form": form
        or ProductCostForm(initial={"effective_from": timezone.now().date(), "currency": currency}),
        "currency": currency,
        "rows": rows,
        "page": page,
        "missing": missing,
        "missing_count": missing_count,
        "query": urlencode(query),
        "export_csv": urlencode({**query, "format": "csv"}),
        "export_xlsx": urlencode({**query, "format": "xlsx"}),
        "can_edit": request.membership.role_enum.at_least(Role.MEMBER),
        "today": timezone.now().date(),
    }


@team_view(read=Role.VIEWER)
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


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def cost_add(request: TeamRequest) -> HttpResponse:
    form = ProductCostForm(request.POST, known_skus=selectors.synced_skus(request.team))
    if not form.is_valid():
        return _after_write(request, form, ok=False)
    assert form.row is not None
    services.product_costs_save(team=request.team, actor=request.user, rows=[form.row])
    messages.success(
        request,
        f"Saved: {form.row.sku} costs {unit_amount(form.row.unit_cost)} {form.row.currency} from {form.row.effective_from}.",
    )
    return _after_write(request, form, ok=True)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
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
    messages.success(request, f"Deleted the cost of {record.sku} from {record.effective_from}.")
    return _after_write(request, None, ok=True)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def cost_import(request: TeamRequest) -> HttpResponse:
    form = CostImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
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
    return render(
        request, "procurement/import.html", {"form": form, "columns": COLUMNS}, status=status
    )


EXPORT_HEADER = (
    "sku",
    "marketplace",
    "currency",
    "unit_cost",
    "effective_from",
    "note",
    "created_by",
    "created_at",
)


def _trimmed(amount: Decimal) -> Decimal:
    """4.5000 → 4.50, 0.1234 → 0.1234: the decimals the cost has, at least two."""
    normal = amount.normalize()
    return normal if normal.as_tuple().exponent < -2 else amount.quantize(Decimal("0.01"))  # type: ignore[operator]


def _export_row(record: ProductCost) -> Sequence[Cell]:
    return (
        record.sku,
        marketplace_label(record.marketplace_id) if record.marketplace_id else "",
        record.currency,
        _trimmed(record.unit_cost),
        record.effective_from,
        record.note,
        record.created_by.email if record.created_by else "",
        record.created_at,
    )


@team_view(read=Role.VIEWER)
@require_GET
def cost_export(request: TeamRequest) -> StreamingHttpResponse | HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponse("Choose format=csv or format=xlsx.", status=400)
    filters = _filters(request)
    team = request.team
    audit_record(
        team_id=team.id,
        actor_id=request.user.id,
        kind="export.downloaded",
        page="costs",
        format=fmt,
    )

    def rows() -> Iterator[Sequence[Cell]]:
        records = selectors.cost_records(
            team, sku_contains=filters["q"], marketplace_id=filters["marketplace"]
        )
        for record in records.iterator(chunk_size=2000):
            yield _export_row(record)

    return export_response(
        fmt, team_id=team.id, team_slug=team.slug, table="costs", header=EXPORT_HEADER, rows=rows
    )
