"""The data pages: orders, stock, listings, settlements. Filters in the query string; the same
URL with ``format=csv`` or ``format=xlsx`` downloads the filtered table."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ams.catalog import selectors as listing_selectors
from ams.core import marketplaces
from ams.core.audit_log import audit_record
from ams.core.exports import FORMATS, Cell, export_response
from ams.core.marketplaces import zone, zone_name
from ams.core.pagination import CappedPaginator
from ams.dashboard import overview as ov
from ams.dashboard import selectors
from ams.dashboard.forms import (
    FilterForm,
    FilterT,
    InventoryFilterForm,
    ListingFilterForm,
    OrderFilterForm,
    OverviewFilterForm,
    SettlementFilterForm,
    filter_values,
)
from ams.finance import selectors as money
from ams.inventory import selectors as stock_selectors
from ams.inventory.selectors import StockFilter
from ams.orders import selectors as order_selectors
from ams.procurement.selectors import CostKey, costs_for
from ams.sync.models import Family
from ams.sync.selectors import last_synced, last_synced_by_family
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

PER_PAGE = 50


def _filters(
    request: TeamRequest, form_class: type[FilterForm[FilterT]]
) -> tuple[FilterForm[FilterT], FilterT]:
    form = form_class(request.GET, marketplaces=selectors.team_marketplaces(request.team))
    return form, form.filters()


def _query(filters: dict[str, Any], **extra: str) -> str:
    pairs = {k: ("on" if v is True else str(v)) for k, v in filters.items()}
    return urlencode({**pairs, **extra})


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
        "filtered": bool(values),
    }


def _one_decimal(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.1"))


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if value is not None else None


# --- Orders -------------------------------------------------------------------------------------

ORDER_HEADER = (
    "order_id",
    "purchased_at_utc",
    "local_day",
    "marketplace",
    "status",
    "channel",
    "sku",
    "asin",
    "quantity",
    "currency",
    "item_price",
    "shipping_price",
    "tax",
    "promotion_discount",
    "unit_cost",
    "cost",
    "missing_cost",
)
EXPORT_BATCH = 2000


@team_view(read=Role.VIEWER)
@require_GET
def orders(request: TeamRequest) -> HttpResponseBase:
    form, filters = _filters(request, OrderFilterForm)
    team = request.team
    sku_matches = selectors.sku_matches(team, filters)
    fmt = _export_format(request)
    if fmt:

        def rows() -> Iterator[Sequence[Cell]]:
            # Tuples, not model instances: the largest export, and twice as fast this way.
            columns = (
                "amazon_order_id",
                "purchased_at",
                "marketplace_id",
                "status",
                "fulfillment_channel",
                "sku",
                "asin",
                "quantity",
                "currency",
                "item_price",
                "shipping_price",
                "tax",
                "promotion_discount",
            )
            zones = {m: zone(m) for m, _label in selectors.team_marketplaces(team)}
            lines = (
                order_selectors.order_lines(team, filters, sku_matches=sku_matches)
                .values_list(*columns)
                .iterator(chunk_size=EXPORT_BATCH)
            )
            # The cost valid on each line's local day, looked up one batch of lines at a time.
            while batch := list(islice(lines, EXPORT_BATCH)):
                keyed = []
                for (
                    order_id,
                    purchased,
                    marketplace_id,
                    status,
                    channel,
                    sku,
                    asin,
                    quantity,
                    currency,
                    *amounts,
                ) in batch:
                    day = purchased.astimezone(
                        zones.get(marketplace_id) or zone(marketplace_id)
                    ).date()
                    key = CostKey(sku, marketplace_id, day, currency)
                    keyed.append(
                        (
                            key,
                            (
                                order_id,
                                purchased.astimezone(UTC),
                                day,
                                marketplaces.label(marketplace_id),
                                status,
                                channel,
                                sku,
                                asin,
                                quantity,
                                currency,
                                *amounts,
                            ),
                        )
                    )
                costs = costs_for(team, [key for key, _row in keyed])
                for key, row in keyed:
                    cost = costs[key]
                    quantity = row[8]
                    assert isinstance(quantity, int)
                    if cost.unit_cost is None:
                        yield (*row, None, None, cost.missing_reason)
                    else:
                        yield (
                            *row,
                            cost.unit_cost,
                            (cost.unit_cost * quantity).quantize(Decimal("0.01")),
                            "",
                        )

        return export_response(
            fmt,
            team_id=team.id,
            team_slug=team.slug,
            table="orders",
            header=ORDER_HEADER,
            rows=rows,
        )
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
    return render(request, "dashboard/orders.html", context)


# --- Inventory ----------------------------------------------------------------------------------

STOCK_HEADER = (
    "sku",
    "marketplace",
    "channel",
    "fnsku",
    "asin",
    "fulfillable",
    "inbound_working",
    "inbound_shipped",
    "inbound_receiving",
    "reserved",
    "unfulfillable",
    "researching",
    "total",
    "units_30d",
    "days_of_cover",
)


@team_view(read=Role.VIEWER)
@require_GET
def inventory(request: TeamRequest) -> HttpResponseBase:
    form, filters = _filters(request, InventoryFilterForm)
    team = request.team
    fmt = _export_format(request)
    if fmt:

        def rows() -> Iterator[Sequence[Cell]]:
            for s in stock_selectors.stock(team, filters).iterator(chunk_size=2000):
                yield (
                    s.sku,
                    marketplaces.label(s.marketplace_id),
                    s.fulfillment_channel,
                    s.fnsku,
                    s.asin,
                    s.fulfillable,
                    s.inbound_working,
                    s.inbound_shipped,
                    s.inbound_receiving,
                    s.reserved,
                    s.unfulfillable,
                    s.researching,
                    s.total,
                    s.units_30d,  # type: ignore[attr-defined]
                    _one_decimal(s.days_of_cover),  # type: ignore[attr-defined]
                )

        return export_response(
            fmt,
            team_id=team.id,
            team_slug=team.slug,
            table="inventory",
            header=STOCK_HEADER,
            rows=rows,
        )
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

LISTING_HEADER = (
    "sku",
    "asin",
    "title",
    "marketplace",
    "status",
    "issues",
    "issue_summary",
    "channel",
    "currency",
    "price",
    "quantity",
    "buy_box_price",
    "buy_box_is_mine",
    "estimated_fees",
)


@team_view(read=Role.VIEWER)
@require_GET
def listings(request: TeamRequest) -> HttpResponseBase:
    form, filters = _filters(request, ListingFilterForm)
    team = request.team
    fmt = _export_format(request)
    if fmt:

        def rows() -> Iterator[Sequence[Cell]]:
            for li in listing_selectors.listings(team, filters).iterator(chunk_size=2000):
                yield (
                    li.sku,
                    li.asin,
                    li.title,
                    marketplaces.label(li.marketplace_id),
                    li.status,
                    li.issues,
                    li.issue_summary,
                    li.fulfillment_channel,
                    li.currency,
                    li.price,
                    li.quantity,
                    li.buy_box_price,
                    _yes_no(li.buy_box_is_mine),
                    li.estimated_fees,
                )

        return export_response(
            fmt,
            team_id=team.id,
            team_slug=team.slug,
            table="listings",
            header=LISTING_HEADER,
            rows=rows,
        )
    context = _page_context(
        request, form, filters, listing_selectors.listings(team, filters), Family.LISTINGS
    )
    context["status_counts"] = listing_selectors.listing_status_counts(team)
    return render(request, "dashboard/listings.html", context)


# --- Settlements --------------------------------------------------------------------------------

SETTLEMENT_HEADER = (
    "settlement_id",
    "starts_at_utc",
    "ends_at_utc",
    "deposit_at_utc",
    "currency",
    "total_amount",
    "lines",
    "lines_total",
    "lines_reconciled",
    "transactions_total",
    "transactions_reconciled",
    "reserve_amount",
)
LINE_HEADER = (
    "settlement_id",
    "line",
    "transaction_type",
    "order_id",
    "amount_type",
    "amount_description",
    "amount",
    "currency",
    "posted_at_utc",
    "sku",
    "quantity",
    "marketplace_name",
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
            for s in money.settlements(team, filters).iterator(chunk_size=2000):
                yield (
                    s.settlement_id,
                    _utc(s.starts_at),
                    _utc(s.ends_at),
                    _utc(s.deposit_at),
                    s.currency,
                    s.total_amount,
                    s.line_count,
                    s.lines_total,
                    _yes_no(s.lines_reconciled),
                    s.transactions_total,
                    _yes_no(s.transactions_reconciled),
                    s.reserve_amount,
                )

        return export_response(
            fmt,
            team_id=team.id,
            team_slug=team.slug,
            table="settlements",
            header=SETTLEMENT_HEADER,
            rows=rows,
        )
    context = _page_context(
        request, form, filters, money.settlements(team, filters), Family.SETTLEMENTS
    )
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

        def rows() -> Iterator[Sequence[Cell]]:
            for line in money.settlement_lines(team, settlement).iterator(chunk_size=2000):
                yield (
                    line.settlement_id,
                    line.line_number,
                    line.transaction_type,
                    line.order_id,
                    line.amount_type,
                    line.amount_description,
                    line.amount,
                    line.currency,
                    _utc(line.posted_at),
                    line.sku,
                    line.quantity,
                    line.marketplace_name,
                )

        table = f"settlement-{settlement.settlement_id}"
        return export_response(
            fmt, team_id=team.id, team_slug=team.slug, table=table, header=LINE_HEADER, rows=rows
        )
    page = CappedPaginator(money.settlement_lines(team, settlement), 200).get_page(
        request.GET.get("page")
    )
    context = {
        "settlement": settlement,
        "summary": money.settlement_line_summary(team, settlement),
        "page": page,
        "export_csv": urlencode({"settlement": settlement.id, "format": "csv"}),
        "export_xlsx": urlencode({"settlement": settlement.id, "format": "xlsx"}),
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


def _figure_rows(
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
    period, preset = ov.chosen_period(values, today=_today(team_marketplaces, marketplace))
    # The form shows the period in force, the default one too (an empty field would show the first choice).
    shown = request.GET.copy()
    shown["period"] = preset
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
    synced = last_synced_by_family(team=team)
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
                _figure_rows(team.slug, f, period, marketplace),
                f.currency in series,
                moves.get(f.currency),
            )
            for f in figures
        ],
        "series_json": json.dumps(series),
        "health": health,
        "alerts": [(alert, alert.replace("_", " "), n) for alert, n in health.alerts],
        "lead_time_days": ov.DEFAULT_LEAD_TIME_DAYS,
        "orders_link": _orders_link(team.slug, period, marketplace),
        "marketplace_query": urlencode({"marketplace": marketplace}) if marketplace else "",
        "summary_as_of": summary.as_of if summary else None,
        "suppressed": listing_selectors.suppressed_count(team),
        "last_settlement": money_now.last_payout,
        "synced": synced,
        "freshness": [(family.label, synced[family.value]) for family in Family],
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
