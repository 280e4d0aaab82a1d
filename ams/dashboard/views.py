"""The data pages: orders, stock, listings, settlements. Filters in the query string; the same
URL with ``format=csv`` or ``format=xlsx`` downloads the filtered table."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ams.billing.entitlements import history_months
from ams.catalog import selectors as listing_selectors
from ams.core import marketplaces
from ams.core.audit_log import audit_record
from ams.core.export_jobs import export_answer
from ams.core.exports import FORMATS, ExportNotFound, ExportSource
from ams.core.marketplaces import zone, zone_name
from ams.core.pagination import CappedPaginator
from ams.dashboard import exports, selectors
from ams.dashboard import overview as ov
from ams.dashboard.exports import Data
from ams.dashboard.forms import (
    FilterForm,
    FilterT,
    InventoryFilterForm,
    ListingFilterForm,
    OrderFilterForm,
    OverviewFilterForm,
    SettlementFilterForm,
    filter_values,
    is_filtered,
)
from ams.dashboard.history import within_plan
from ams.dashboard.pulse import pulse
from ams.finance import selectors as money
from ams.inventory import selectors as stock_selectors
from ams.inventory.selectors import StockFilter
from ams.orders import selectors as order_selectors
from ams.sync.coverage import Coverage, family_coverage
from ams.sync.models import Family
from ams.sync.selectors import last_synced
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role, Team

PER_PAGE = 50


def _filters(
    request: TeamRequest, form_class: type[FilterForm[FilterT]]
) -> tuple[FilterForm[FilterT], FilterT]:
    form = form_class(request.GET, marketplaces=selectors.team_marketplaces(request.team))
    return form, form.filters()


def _params(filters: dict[str, Any]) -> dict[str, str]:
    return {k: ("on" if v is True else str(v)) for k, v in filters.items()}


def _query(filters: dict[str, Any], **extra: str) -> str:
    return urlencode({**_params(filters), **extra})


def _table_context(form: FilterForm[Any], filters: Any) -> dict[str, Any]:
    """The column headers' sort links (keeping the filters) and the filters not applied, and why."""
    values = filter_values(filters)
    sorting = form.sorting
    return {
        "sort": sorting.headers(values.get("sort", ""), _params(values)) if sorting else {},
        "problems": form.problems(),
    }


def _export_format(request: TeamRequest) -> str | None:
    """The export asked for, if any; a download is recorded in the team's audit trail."""
    fmt = request.GET.get("format")
    if fmt is None:
        return None
    if fmt not in FORMATS:
        raise Http404("Unknown export format")
    page = request.resolver_match.url_name if request.resolver_match else request.path
    audit_record(
        team_id=request.team.id,
        actor_id=request.user.id,
        kind="export.downloaded",
        page=page,
        format=fmt,
    )
    return fmt


def _page_context(
    request: TeamRequest,
    form: FilterForm[Any],
    filters: Any,
    qs: Any,
    family: Family,
    *,
    count: int | None = None,
    count_from: Any = None,
) -> dict[str, Any]:
    page = CappedPaginator(qs, PER_PAGE, count=count, count_from=count_from).get_page(
        request.GET.get("page")
    )
    values = filter_values(filters)
    return {
        "form": form,
        "page": page,
        "query": _query(values),
        "export_csv": _query(values, format="csv"),
        "export_xlsx": _query(values, format="xlsx"),
        "last_synced": last_synced(team=request.team, family=family),
        "filtered": is_filtered(filters),
        **_table_context(form, filters),
    }


def _export(
    request: TeamRequest, build: Callable[[Team, Data], ExportSource], fmt: str
) -> HttpResponseBase:
    """The page's export under the query string's filters: streamed, queued or refused."""
    try:
        source = build(request.team, request.GET)
    except ExportNotFound as missing:
        raise Http404(str(missing)) from None
    return export_answer(request, source, fmt, team_id=request.team.id, team_slug=request.team.slug)


# --- Orders -------------------------------------------------------------------------------------


@team_view(read=Role.VIEWER)
@require_GET
def orders(request: TeamRequest) -> HttpResponseBase:
    fmt = _export_format(request)
    if fmt:
        build = (
            exports.orders_export
            if request.membership.costs_visible
            else exports.orders_export_without_costs
        )
        return _export(request, build, fmt)
    form, asked = _filters(request, OrderFilterForm)
    team = request.team
    # The page and its exports show no more history than the plan keeps.
    filters, plan_history = within_plan(team, asked, "date_from", today=timezone.now().date())
    sku_matches = selectors.sku_matches(team, filters)
    context = _page_context(
        request,
        form,
        filters,
        order_selectors.orders(team, filters, sku_matches=sku_matches),
        Family.ORDERS,
        count=order_selectors.order_count(team, filters),
    )
    page_rows = order_selectors.order_rows(team, context["page"].object_list)
    profits = selectors.order_profits(team, page_rows)
    context["rows"] = [(row, profits.get(row.order.id)) for row in page_rows]
    context["totals"] = order_selectors.order_totals(team, filters)
    context["plan_history"] = plan_history
    context["filtered"] = is_filtered(asked)
    return render(request, "dashboard/orders.html", context)


# --- Inventory ----------------------------------------------------------------------------------


@team_view(read=Role.VIEWER)
@require_GET
def inventory(request: TeamRequest) -> HttpResponseBase:
    fmt = _export_format(request)
    if fmt:
        return _export(request, exports.inventory_export, fmt)
    form, filters = _filters(request, InventoryFilterForm)
    team = request.team
    context = _page_context(
        request,
        form,
        filters,
        stock_selectors.stock(team, filters),
        Family.INVENTORY,
        count_from=stock_selectors.stock_levels(team, filters),
    )
    context["low_cover_days"] = stock_selectors.LOW_COVER_DAYS
    return render(request, "dashboard/inventory.html", context)


# --- Listings -----------------------------------------------------------------------------------


@team_view(read=Role.VIEWER)
@require_GET
def listings(request: TeamRequest) -> HttpResponseBase:
    fmt = _export_format(request)
    if fmt:
        return _export(request, exports.listings_export, fmt)
    form, filters = _filters(request, ListingFilterForm)
    team = request.team
    context = _page_context(
        request, form, filters, listing_selectors.listings(team, filters), Family.LISTINGS
    )
    context["status_counts"] = listing_selectors.listing_status_counts(team)
    return render(request, "dashboard/listings.html", context)


# --- Settlements --------------------------------------------------------------------------------


@team_view(read=Role.VIEWER)
@require_GET
def settlements(request: TeamRequest) -> HttpResponseBase:
    fmt = _export_format(request)
    if fmt:
        return _export(request, exports.settlements_export, fmt)
    form, asked = _filters(request, SettlementFilterForm)
    filters, plan_history = within_plan(
        request.team, asked, "deposit_from", today=timezone.now().date()
    )
    team = request.team
    context = _page_context(
        request, form, filters, money.settlements(team, filters), Family.SETTLEMENTS
    )
    context["plan_history"] = plan_history
    context["filtered"] = is_filtered(asked)
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
    settlement = money.access_settlement(team, settlement_pk)
    if settlement is None:
        raise Http404("No such settlement")
    fmt = _export_format(request)
    if fmt:
        return _export(request, exports.settlement_lines_export, fmt)
    sort = request.GET.get("sort", "")
    unknown_sort = not money.SETTLEMENT_LINE_SORTING.knows(sort)
    sort = "" if unknown_sort else sort
    page = CappedPaginator(money.settlement_lines(team, settlement, sort=sort), 200).get_page(
        request.GET.get("page")
    )
    kept = {"settlement": str(settlement.id), **({"sort": sort} if sort else {})}
    context = {
        "settlement": settlement,
        "summary": money.settlement_line_summary(team, settlement),
        "page": page,
        "query": urlencode(kept),
        "sort": money.SETTLEMENT_LINE_SORTING.headers(sort, kept),
        "problems": [f"Unknown sort column “{request.GET['sort']}”: the lines are in line order."]
        if unknown_sort
        else [],
        "export_csv": urlencode({**kept, "format": "csv"}),
        "export_xlsx": urlencode({**kept, "format": "xlsx"}),
    }
    template = (
        "dashboard/_settlement_lines.html"
        if getattr(request, "htmx", False)
        else "dashboard/settlement_lines.html"
    )
    return render(request, template, context)


# --- Overview -----------------------------------------------------------------------------------


def _today(team_marketplaces: list[tuple[str, str]], marketplace: str) -> date:
    """Today in the marketplace's zone; for "all", in the zone they share, else in UTC."""
    zones = {
        zone_name(m)
        for m in ([marketplace] if marketplace else [m for m, _label in team_marketplaces])
    }
    moment = timezone.now()
    return (
        moment.astimezone(ZoneInfo(zones.pop())).date()
        if len(zones) == 1
        else moment.astimezone(UTC).date()
    )


def _orders_link(team_slug: str, period: ov.Period, marketplace: str, **extra: str) -> str:
    params = {"date_from": period.first.isoformat(), "date_to": period.last.isoformat(), **extra}
    if marketplace:
        params["marketplace"] = marketplace
    return f"{reverse('orders', args=[team_slug])}?{urlencode(params)}"


def _money_link(team_slug: str, period: ov.Period, currency: str) -> str:
    """The settlements paid out from the period on, in the currency: where the money figures' rows are."""
    params = {"deposit_from": period.first.isoformat(), "currency": currency}
    return f"{reverse('settlements', args=[team_slug])}?{urlencode(params)}"


NO_LIMIT = ov.FigureState()


@dataclass(frozen=True)
class FigureRow:
    key: str
    label: str
    figure: ov.Figure
    link: str
    previous_link: str
    explanation: str
    # A rise is bad news for money out (fees, refunds, promotions): the change is coloured the other way.
    lower_is_better: bool = False
    # What the synced history lets it show (a first sync under way, a shorter history).
    state: ov.FigureState = NO_LIMIT
    # The currency of an amount; empty for a count (units, orders).
    currency: str = ""


# The figures that count things; every other figure is an amount in its article's currency.
COUNT_FIGURES = frozenset({"units", "orders"})
# The figures a member the team keeps costs from does not see.
COST_FIGURES = frozenset({"cost_of_goods", "profit"})


def _figure_rows(
    team_slug: str,
    f: ov.CurrencyFigures,
    period: ov.Period,
    marketplace: str,
    states: dict[str, ov.FigureState],
    *,
    costs_visible: bool = True,
) -> list[FigureRow]:
    """The figure rows, each with what its state lets it show: no zero for a family not synced
    yet, no change against a previous period the history does not hold; without the cost of goods
    and profit for a member the team keeps costs from."""
    return [
        replace(
            row,
            figure=ov.shown(row.figure, states[row.key]),
            state=states[row.key],
            currency="" if row.key in COUNT_FIGURES else f.currency,
        )
        for row in _all_figure_rows(team_slug, f, period, marketplace)
        if costs_visible or row.key not in COST_FIGURES
    ]


def _all_figure_rows(
    team_slug: str, f: ov.CurrencyFigures, period: ov.Period, marketplace: str
) -> list[FigureRow]:
    previous = period.previous()
    orders_now = _orders_link(team_slug, period, marketplace)
    orders_before = _orders_link(team_slug, previous, marketplace)
    money_now = _money_link(team_slug, period, f.currency)
    money_before = _money_link(team_slug, previous, f.currency)
    costs = reverse("procurement_costs", args=[team_slug])
    return [
        FigureRow(
            "sales",
            "Sales",
            f.sales,
            orders_now,
            orders_before,
            "Item price less promotions, tax excluded, of the orders placed in the period (cancelled lines have no price).",
        ),
        FigureRow(
            "units", "Units", f.units, orders_now, orders_before, "Units ordered, every status."
        ),
        FigureRow(
            "orders", "Orders", f.orders, orders_now, orders_before, "Orders placed, every status."
        ),
        FigureRow(
            "average_price",
            "Average price",
            f.average_price,
            orders_now,
            orders_before,
            "Sales ÷ units.",
        ),
        FigureRow(
            "promotions",
            "Promotions",
            f.promotions,
            orders_now,
            orders_before,
            "What promotions took off the orders' items and shipping.",
            lower_is_better=True,
        ),
        FigureRow(
            "refunds",
            "Refunds",
            f.refunds,
            money_now,
            money_before,
            "The sales side of the refund transactions Amazon posted in the period.",
            lower_is_better=True,
        ),
        FigureRow(
            "fees",
            "Amazon fees",
            f.fees,
            money_now,
            money_before,
            "Amazon's fees posted in the period, less the fees it gave back with refunds.",
            lower_is_better=True,
        ),
        FigureRow(
            "net_proceeds",
            "Net proceeds",
            f.net_proceeds,
            money_now,
            money_before,
            "Everything Amazon posted in the period: sales, refunds, fees, reimbursements, adjustments.",
        ),
        FigureRow(
            "cost_of_goods",
            "Cost of goods",
            f.cost_of_goods,
            costs,
            costs,
            "Units sold (not cancelled) at the cost valid on each order's day, for the SKUs that have one.",
            lower_is_better=True,
        ),
        FigureRow(
            "profit",
            "Profit",
            f.profit,
            costs,
            costs,
            "Net proceeds minus cost of goods; only when every SKU sold has a cost.",
        ),
    ]


def _reading_back(coverage: Coverage) -> date | None:
    """Where a first sync that already holds the last 30 days has read back to, while it reads
    the older history; None otherwise."""
    if coverage.synced or not coverage.recent or coverage.history_from is None:
        return None
    return coverage.history_from.date()


@team_view(read=Role.VIEWER)
@require_GET
def overview(request: TeamRequest) -> HttpResponseBase:
    """The period's figures against the previous period, charts, top and falling SKUs, stock
    health; the team's home page loads this section with htmx."""
    team = request.team
    markets = ov.team_markets(team)
    team_marketplaces = marketplaces.labelled({m for m, _currency in markets})
    form = OverviewFilterForm(request.GET, marketplaces=team_marketplaces)
    values = form.filters()
    marketplace = values.marketplace
    today = _today(team_marketplaces, marketplace)
    period, preset = ov.chosen_period(values, today=today)
    # The plan keeps so many months of history: a period reaching further back starts at its edge.
    months = history_months(team)
    plan_from = ov.plan_history_start(today, months)
    asked = period
    period = ov.clamp(period, plan_from)
    if period != asked:
        preset = "custom"
    # The form shows the period in force, the default one too (an empty field would show the first choice).
    shown = request.GET.copy()
    shown["period"] = preset
    if period != asked:
        shown["date_from"], shown["date_to"] = period.first.isoformat(), period.last.isoformat()
    form = OverviewFilterForm(shown, marketplaces=team_marketplaces)
    form.is_valid()
    # The standard windows read per-SKU figures from the SKU summary; a custom period from the SKU days.
    window = preset if preset in ov.WINDOWS else None
    days = ov.order_days(team, period, marketplace)
    summary = ov.summary_state(team, marketplace) if window else None
    money_now = ov.period_money(team, period, marketplace)
    figures = ov.figures(
        team, period, marketplace, window=window, days=days, summary=summary, money=money_now
    )
    series = ov.daily_series(team, period, marketplace, days=days)
    moves = ov.sku_moves(
        team, period, marketplace, window=window, one_source=bool(summary and summary.one_source)
    )
    coverage = family_coverage(team=team)
    synced = {family: c.last_completed for family, c in coverage.items()}
    zones = [
        zone(m) for m in ([marketplace] if marketplace else [m for m, _label in team_marketplaces])
    ]
    states = ov.figure_states(coverage, period, zones, plan_from=plan_from)
    health = ov.stock_health(team, marketplace)
    currencies = sorted(
        {f.currency for f in figures} | set(ov.team_currencies(markets, marketplace))
    )
    context = {
        "form": form,
        "has_connection": bool(team_marketplaces),
        "period": period,
        "previous": period.previous(),
        "preset": preset,
        "preset_label": ov.PRESETS.get(preset, "Custom period"),
        "marketplace": marketplace,
        "marketplace_label": marketplaces.label(marketplace) if marketplace else "All marketplaces",
        "mixed_currencies": not marketplace and len(currencies) > 1,
        "currencies": currencies,
        "figures": [
            (
                f,
                _figure_rows(
                    team.slug,
                    f,
                    period,
                    marketplace,
                    states,
                    costs_visible=request.membership.costs_visible,
                ),
                f.currency in series,
                moves.get(f.currency),
            )
            for f in figures
        ],
        "series_json": json.dumps(series),
        "health": health,
        "stock_skus": stock_selectors.stock_sku_count(team, marketplace),
        "alerts": [(alert, alert.replace("_", " "), n) for alert, n in health.alerts],
        "lead_time_days": ov.DEFAULT_LEAD_TIME_DAYS,
        "orders_link": _orders_link(team.slug, period, marketplace),
        "marketplace_query": urlencode({"marketplace": marketplace}) if marketplace else "",
        "summary_as_of": summary.as_of if summary else None,
        "suppressed": listing_selectors.suppressed_count(team),
        "last_payout": money_now.last_payout,
        "synced": synced,
        # A family not synced yet says so in place of its figures, and raises no alarm; one whose
        # newest-first backfill already holds the last 30 days shows what needs only those.
        "waiting": {family: c.waiting_recent for family, c in coverage.items()},
        "pulse": pulse(team, [m for m in markets if not marketplace or m[0] == marketplace]),
        # Settlements are checked against the transactions: until both are read, any mismatch is
        # only a part not read yet.
        "reconciled": coverage["settlements"].synced and coverage["finances"].synced,
        "history_starts": max(
            (s.starts for s in states.values() if s.starts is not None and not s.waiting),
            default=None,
        ),
        "plan_clamped": period != asked,
        "plan_from": plan_from,
        "history_months": months,
        "freshness": [
            (family.label, synced[family.value], _reading_back(coverage[family.value]))
            for family in Family
        ],
    }
    template = (
        "dashboard/_overview.html" if getattr(request, "htmx", False) else "dashboard/overview.html"
    )
    return render(request, template, context)


# --- Stock history of one SKU ---------------------------------------------------------------------

HISTORY_DAYS = 365


@team_view(read=Role.VIEWER)
@require_GET
def stock_history(request: TeamRequest) -> HttpResponseBase:
    """One SKU's daily stock (``?sku=…&marketplace=…``) over the last year, drawn as a chart."""
    sku = request.GET.get("sku", "").strip()
    if not sku:
        return HttpResponse("Which SKU?", status=400)
    team = request.team
    marketplace = request.GET.get("marketplace", "")
    since = timezone.now().date() - timedelta(days=HISTORY_DAYS)
    days = stock_selectors.stock_history(team, sku, marketplace, since=since)
    context = {
        "sku": sku,
        "marketplace": marketplace,
        "days": days,
        "series": {
            "days": [d.day.isoformat() for d in days],
            "fulfillable": [d.fulfillable for d in days],
            "inbound": [d.inbound for d in days],
            "reserved": [d.reserved for d in days],
            "unfulfillable": [d.unfulfillable for d in days],
        },
        "levels": stock_selectors.stock(team, StockFilter(sku_exact=sku, marketplace=marketplace)),
        "last_synced": last_synced(team=team, family=Family.INVENTORY),
        "history_days": HISTORY_DAYS,
    }
    return render(request, "dashboard/stock_history.html", context)
