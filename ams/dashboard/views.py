"""The data pages: orders, stock, listings, settlements. Filters in the query string; the same
URL with ``format=csv`` or ``format=xlsx`` downloads the filtered table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC
from decimal import Decimal
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ams.core.exports import FORMATS, Cell, export_response
from ams.core.pagination import CappedPaginator
from ams.dashboard import selectors
from ams.dashboard.forms import (
    FilterForm,
    InventoryFilterForm,
    ListingFilterForm,
    OrderFilterForm,
    SettlementFilterForm,
)
from ams.orders.timezones import zone
from ams.procurement.selectors import CostKey, costs_for
from ams.sync.models import Family
from ams.sync.selectors import last_synced
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

PER_PAGE = 50


def _filters(request: TeamRequest, form_class: type[FilterForm]) -> tuple[FilterForm, dict[str, Any]]:
    form = form_class(request.GET, marketplaces=selectors.team_marketplaces(request.team))
    return form, form.values()


def _query(filters: dict[str, Any], **extra: str) -> str:
    pairs = {k: ("on" if v is True else str(v)) for k, v in filters.items()}
    return urlencode({**pairs, **extra})


def _export_format(request: TeamRequest) -> str | None:
    fmt = request.GET.get("format")
    if fmt is None:
        return None
    if fmt not in FORMATS:
        raise Http404("Unknown export format")
    return fmt


def _page_context(
    request: TeamRequest, form: FilterForm, filters: dict[str, Any], qs: Any, family: Family, *,
    count: int | None = None, count_from: Any = None,
) -> dict[str, Any]:
    page = CappedPaginator(qs, PER_PAGE, count=count, count_from=count_from).get_page(request.GET.get("page"))
    return {
        "form": form,
        "page": page,
        "query": _query(filters),
        "export_csv": _query(filters, format="csv"),
        "export_xlsx": _query(filters, format="xlsx"),
        "last_synced": last_synced(team=request.team, family=family),
        "filtered": bool(filters),
    }


def _one_decimal(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.1"))


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if value is not None else None


# --- Orders -------------------------------------------------------------------------------------

ORDER_HEADER = (
    "order_id", "purchased_at_utc", "local_day", "marketplace", "status", "channel", "sku", "asin", "quantity",
    "currency", "item_price", "shipping_price", "tax", "promotion_discount", "unit_cost", "cost", "missing_cost",
)
EXPORT_BATCH = 2000


@team_view(read=Role.VIEWER)
@require_GET
def orders(request: TeamRequest) -> HttpResponseBase:
    form, filters = _filters(request, OrderFilterForm)
    team = request.team
    fmt = _export_format(request)
    if fmt:
        def rows() -> Iterator[Sequence[Cell]]:
            # Tuples, not model instances: the largest export, and twice as fast this way.
            columns = (
                "amazon_order_id", "purchased_at", "marketplace_id", "status", "fulfillment_channel", "sku", "asin",
                "quantity", "currency", "item_price", "shipping_price", "tax", "promotion_discount",
            )
            zones = {m: zone(m) for m, _label in selectors.team_marketplaces(team)}
            lines = selectors.order_lines(team, filters).values_list(*columns).iterator(chunk_size=EXPORT_BATCH)
            # The cost valid on each line's local day, looked up one batch of lines at a time.
            while batch := list(islice(lines, EXPORT_BATCH)):
                keyed = []
                for order_id, purchased, marketplace_id, status, channel, sku, asin, quantity, currency, *amounts in batch:
                    day = purchased.astimezone(zones.get(marketplace_id) or zone(marketplace_id)).date()
                    key = CostKey(sku, marketplace_id, day, currency)
                    keyed.append((key, (
                        order_id, purchased.astimezone(UTC), day, selectors.marketplace_label(marketplace_id), status,
                        channel, sku, asin, quantity, currency, *amounts,
                    )))
                costs = costs_for(team, [key for key, _row in keyed])
                for key, row in keyed:
                    cost = costs[key]
                    quantity = row[8]
                    assert isinstance(quantity, int)
                    if cost.unit_cost is None:
                        yield (*row, None, None, cost.missing_reason)
                    else:
                        yield (*row, cost.unit_cost, (cost.unit_cost * quantity).quantize(Decimal("0.01")), "")

        return export_response(fmt, team_id=team.id, team_slug=team.slug, table="orders", header=ORDER_HEADER, rows=rows)
    context = _page_context(
        request, form, filters, selectors.orders(team, filters), Family.ORDERS, count=selectors.order_count(team, filters)
    )
    page_rows = selectors.order_rows(team, context["page"].object_list)
    profits = selectors.order_profits(team, page_rows)
    context["rows"] = [(row, profits.get(row.order.id)) for row in page_rows]
    context["totals"] = selectors.order_totals(team, filters)
    return render(request, "dashboard/orders.html", context)


# --- Inventory ----------------------------------------------------------------------------------

STOCK_HEADER = (
    "sku", "marketplace", "channel", "fnsku", "asin", "fulfillable", "inbound_working", "inbound_shipped",
    "inbound_receiving", "reserved", "unfulfillable", "researching", "total", "units_30d", "days_of_cover",
)


@team_view(read=Role.VIEWER)
@require_GET
def inventory(request: TeamRequest) -> HttpResponseBase:
    form, filters = _filters(request, InventoryFilterForm)
    team = request.team
    fmt = _export_format(request)
    if fmt:
        def rows() -> Iterator[Sequence[Cell]]:
            for s in selectors.stock(team, filters).iterator(chunk_size=2000):
                yield (
                    s.sku, selectors.marketplace_label(s.marketplace_id), s.fulfillment_channel, s.fnsku, s.asin,
                    s.fulfillable, s.inbound_working, s.inbound_shipped, s.inbound_receiving, s.reserved,
                    s.unfulfillable, s.researching, s.total, s.units_30d,  # type: ignore[attr-defined]
                    _one_decimal(s.days_of_cover),  # type: ignore[attr-defined]
                )

        return export_response(fmt, team_id=team.id, team_slug=team.slug, table="inventory", header=STOCK_HEADER, rows=rows)
    context = _page_context(
        request, form, filters, selectors.stock(team, filters), Family.INVENTORY,
        count_from=selectors.stock_levels(team, filters),
    )
    context["low_cover_days"] = selectors.LOW_COVER_DAYS
    return render(request, "dashboard/inventory.html", context)


# --- Listings -----------------------------------------------------------------------------------

LISTING_HEADER = (
    "sku", "asin", "title", "marketplace", "status", "issues", "issue_summary", "channel", "currency", "price",
    "quantity", "buy_box_price", "buy_box_is_mine", "estimated_fees",
)


@team_view(read=Role.VIEWER)
@require_GET
def listings(request: TeamRequest) -> HttpResponseBase:
    form, filters = _filters(request, ListingFilterForm)
    team = request.team
    fmt = _export_format(request)
    if fmt:
        def rows() -> Iterator[Sequence[Cell]]:
            for li in selectors.listings(team, filters).iterator(chunk_size=2000):
                yield (
                    li.sku, li.asin, li.title, selectors.marketplace_label(li.marketplace_id), li.status, li.issues,
                    li.issue_summary, li.fulfillment_channel, li.currency, li.price, li.quantity, li.buy_box_price,
                    "" if li.buy_box_is_mine is None else ("yes" if li.buy_box_is_mine else "no"), li.estimated_fees,
                )

        return export_response(fmt, team_id=team.id, team_slug=team.slug, table="listings", header=LISTING_HEADER, rows=rows)
    context = _page_context(request, form, filters, selectors.listings(team, filters), Family.LISTINGS)
    context["status_counts"] = selectors.listing_status_counts(team)
    return render(request, "dashboard/listings.html", context)


# --- Settlements --------------------------------------------------------------------------------

SETTLEMENT_HEADER = (
    "settlement_id", "starts_at_utc", "ends_at_utc", "deposit_at_utc", "currency", "total_amount", "lines",
    "lines_total", "lines_reconciled", "transactions_total", "transactions_reconciled", "reserve_amount",
)
LINE_HEADER = (
    "settlement_id", "line", "transaction_type", "order_id", "amount_type", "amount_description", "amount", "currency",
    "posted_at_utc", "sku", "quantity", "marketplace_name",
)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


@team_view(read=Role.VIEWER)
@require_GET
def settlements(request: TeamRequest) -> HttpResponseBase:
    form, filters = _filters(request, SettlementFilterForm)
    team = request.team
    fmt = _export_format(request)
    if fmt:
        def rows() -> Iterator[Sequence[Cell]]:
            for s in selectors.settlements(team, filters).iterator(chunk_size=2000):
                yield (
                    s.settlement_id, _utc(s.starts_at), _utc(s.ends_at), _utc(s.deposit_at), s.currency, s.total_amount,
                    s.line_count, s.lines_total, _yes_no(s.lines_reconciled), s.transactions_total,
                    _yes_no(s.transactions_reconciled), s.reserve_amount,
                )

        return export_response(fmt, team_id=team.id, team_slug=team.slug, table="settlements", header=SETTLEMENT_HEADER, rows=rows)
    context = _page_context(request, form, filters, selectors.settlements(team, filters), Family.SETTLEMENTS)
    return render(request, "dashboard/settlements.html", context)


@team_view(read=Role.VIEWER)
@require_GET
def settlement_lines(request: TeamRequest) -> HttpResponseBase:
    """One settlement's amounts by type and its lines; ``?settlement=<id>`` (404 for another team's)."""
    try:
        settlement_pk = int(request.GET.get("settlement", ""))
    except ValueError:
        return HttpResponse("Which settlement?", status=400)
    team = request.team
    settlement = selectors.access_settlement(team, settlement_pk)
    if settlement is None:
        raise Http404("No such settlement")
    fmt = _export_format(request)
    if fmt:
        def rows() -> Iterator[Sequence[Cell]]:
            for line in selectors.settlement_lines(team, settlement).iterator(chunk_size=2000):
                yield (
                    line.settlement_id, line.line_number, line.transaction_type, line.order_id, line.amount_type,
                    line.amount_description, line.amount, line.currency, _utc(line.posted_at), line.sku, line.quantity,
                    line.marketplace_name,
                )

        table = f"settlement-{settlement.settlement_id}"
        return export_response(fmt, team_id=team.id, team_slug=team.slug, table=table, header=LINE_HEADER, rows=rows)
    page = CappedPaginator(selectors.settlement_lines(team, settlement), 200).get_page(request.GET.get("page"))
    context = {
        "settlement": settlement,
        "summary": selectors.settlement_line_summary(team, settlement),
        "page": page,
        "export_csv": urlencode({"settlement": settlement.id, "format": "csv"}),
        "export_xlsx": urlencode({"settlement": settlement.id, "format": "xlsx"}),
    }
    template = "dashboard/_settlement_lines.html" if getattr(request, "htmx", False) else "dashboard/settlement_lines.html"
    return render(request, template, context)


# --- Overview -----------------------------------------------------------------------------------


@team_view(read=Role.VIEWER)
@require_GET
def overview(request: TeamRequest) -> HttpResponseBase:
    """The headline numbers; the team's home page loads this section with htmx."""
    team = request.team
    context = {
        "overview": selectors.overview(team, today=timezone.now().date()),
        "freshness": [(family.label, last_synced(team=team, family=family)) for family in Family],
        "low_cover_days": selectors.LOW_COVER_DAYS,
    }
    template = "dashboard/_overview.html" if getattr(request, "htmx", False) else "dashboard/overview.html"
    return render(request, template, context)
