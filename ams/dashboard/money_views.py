"""The money pages: one order with its money, the transactions, and the fee breakdown.

Each figure links to the rows behind it: a fee type or a SKU's fee to the transactions filtered
to exactly those charges, a transaction to its order and its settlement, an order to the
settlements that paid it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ams.core.marketplaces import zone
from ams.dashboard import exports, selectors
from ams.dashboard.forms import filter_values
from ams.dashboard.history import within_plan
from ams.dashboard.money_forms import (
    FeeFilterForm,
    TransactionFilterForm,
    with_default_window,
)
from ams.dashboard.views import PER_PAGE, _export, _export_format, _query, _table_context
from ams.finance import selectors as money
from ams.orders import selectors as order_selectors
from ams.orders.selectors import OrderRow
from ams.procurement.profit import LineProfit, OrderProfit, line_profit, order_profit
from ams.procurement.selectors import CostKey, CostLookup, costs_for
from ams.sync.models import Family
from ams.sync.selectors import last_synced
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role, Team

if TYPE_CHECKING:  # an annotation only: the lines come from ams.orders.selectors.order_rows
    from ams.orders.models import OrderLine


class _CountedPaginator(Paginator[Any]):
    """A paginator told its count: the totals query has just counted the same rows."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


# --- Transactions ---------------------------------------------------------------------------------


@team_view(read=Role.VIEWER)
@require_GET
def transactions(request: TeamRequest) -> HttpResponseBase:
    """Financial transactions with their charges; ``?format=csv|xlsx`` gives one row per charge."""
    fmt = _export_format(request)
    if fmt:
        return _export(request, exports.transactions_export, fmt)
    team = request.team
    data = with_default_window(request.GET, today=timezone.now().date())
    form = TransactionFilterForm(data, marketplaces=selectors.team_marketplaces(team))
    # The page and its exports show no more history than the plan keeps.
    filters, plan_history = within_plan(
        team, form.filters(), "date_from", today=timezone.now().date()
    )
    totals = money.transaction_totals(team, filters)
    paginator = _CountedPaginator(
        money.transactions(team, filters), PER_PAGE, sum(t.count for t in totals)
    )
    page = paginator.get_page(request.GET.get("page"))
    charges = money.charges_by_transaction(team, page.object_list)
    settlements = money.settlement_ids(team, page.object_list)
    context = {
        "form": form,
        "page": page,
        "rows": [
            (
                t,
                charges.get((t.connection_id, t.transaction_id), []),
                settlements.get((t.connection_id, t.settlement_id)),
                exports.local_day(t.posted_at, t.marketplace_id),
            )
            for t in page.object_list
        ],
        "totals": totals,
        "charge_totals": money.matching_charge_totals(team, filters),
        "query": _query(filter_values(filters)),
        "export_csv": _query(filter_values(filters), format="csv"),
        "export_xlsx": _query(filter_values(filters), format="xlsx"),
        "last_synced": last_synced(team=team, family=Family.FINANCES),
        # The 30-day window is the page's default, not a filter the person chose.
        "filtered": bool(set(request.GET) - {"sort", "page"}),
        "plan_history": plan_history,
        **_table_context(form, filters),
    }
    return render(request, "dashboard/transactions.html", context)


# --- Fee breakdown --------------------------------------------------------------------------------


@team_view(read=Role.VIEWER)
@require_GET
def fees(request: TeamRequest) -> HttpResponseBase:
    """Amazon's fees over whole months by type and by SKU, from the charges rollup; every figure
    links to the transactions whose charges make it up."""
    fmt = _export_format(request)
    if fmt:
        return _export(request, exports.fees_export, fmt)
    team = request.team
    query = exports.fee_query(team, request.GET)
    filters, first, last, kept = query.filters, query.first, query.last, query.kept
    plan_history = query.plan_history
    form = FeeFilterForm(request.GET, marketplaces=selectors.team_marketplaces(team))
    form.is_valid()
    breakdown = money.fee_breakdown(team, filters, first_month=first, last_month=last)
    drill = {
        "date_from": first.isoformat(),
        "date_to": money.month_end(last).isoformat(),
        **({"marketplace": filters.marketplace} if filters.marketplace else {}),
    }
    page = Paginator(breakdown.sku_totals, PER_PAGE).get_page(request.GET.get("page"))
    skus = money.sku_fees(team, filters, first_month=first, last_month=last, page=page.object_list)
    context = {
        "form": form,
        "breakdown": breakdown,
        "page": page,
        "sku_rows": [(s, [(d, s.by_type.get(d)) for d in breakdown.types]) for s in skus],
        "transactions_url": reverse("transactions", args=[team.slug]),
        "drill": urlencode(drill),
        "fee_kind": money.FEE_KIND,
        "query": urlencode(kept),
        "export_csv": urlencode({**kept, "format": "csv"}),
        "export_xlsx": urlencode({**kept, "format": "xlsx"}),
        "last_synced": last_synced(team=team, family=Family.FINANCES),
        "filtered": bool(request.GET),
        "plan_history": plan_history,
        # The months as the form reads them back (YYYY-MM), the sort with them.
        "sort": money.FEE_SKU_SORTING.headers(filters.sort, kept),
        "problems": form.problems(),
        "totals": [
            (t, breakdown.sales.get(t.currency), breakdown.share(t.currency))
            for t in breakdown.totals
        ],
    }
    return render(request, "dashboard/fees.html", context)


# --- Order detail ---------------------------------------------------------------------------------


@dataclass
class DetailLine:
    line: OrderLine
    cost: CostLookup
    fees: Decimal | None  # Amazon's posted fees for this SKU, a positive amount
    profit: LineProfit | None


def _order_detail(team: Team, row: OrderRow) -> dict[str, Any]:
    order = row.order
    day = row.local_day
    found = money.order_money(
        team, connection_id=order.connection_id, amazon_order_id=order.amazon_order_id
    )
    costs = costs_for(
        team, [CostKey(line.sku, order.marketplace_id, day, line.currency) for line in row.lines]
    )
    posted = found.fees_by_sku(found.shipments)
    fees_posted = bool(found.shipments)
    # An item cancelled on its own sold nothing: the order is priced by the lines it sold.
    sold = [line for line in row.lines if not line.item_cancelled]
    priced = (
        order.status != "cancelled"
        and bool(sold)
        and all(line.item_price is not None for line in sold)
    )
    lines: list[DetailLine] = []
    for line in row.lines:
        cost = costs[CostKey(line.sku, order.marketplace_id, day, line.currency)]
        sku_fees = posted.pop(line.sku, Decimal(0)) if fees_posted else None
        profit = None
        if priced and not line.item_cancelled:
            profit = line_profit(
                sku=line.sku,
                currency=line.currency,
                units=line.quantity,
                proceeds=(line.item_price or Decimal(0)) + (line.shipping_price or Decimal(0)),
                fees=sku_fees or Decimal(0),
                promotions=line.promotion_discount or Decimal(0),
                unit_cost=cost,
            )
        lines.append(DetailLine(line, cost, sku_fees, profit))
    # Fees Amazon posted without a SKU of this order's lines are taken off the order as a whole.
    unattributed = sum(posted.values(), Decimal(0))
    total: OrderProfit | None = None
    if priced and fees_posted:
        # The lines already carry their own SKU's fees; what is left is the order's.
        total = order_profit(
            [d.profit for d in lines if d.profit is not None],
            currency=order.currency,
            fees=unattributed,
        )
    elif priced:
        total = selectors.order_profits(team, [row]).get(order.id)
    fee_types: dict[tuple[str, str], Decimal] = {}
    for c in found.charges_of(found.transactions):
        if c.kind == money.FEE_KIND:
            key = (c.description, c.currency)
            fee_types[key] = fee_types.get(key, Decimal(0)) + c.amount
    return {
        "order": order,
        "row": row,
        "local_day": day,
        "zone": zone(order.marketplace_id).key,
        "lines": lines,
        "unattributed_fees": unattributed,
        "fees_posted": fees_posted,
        "profit": total,
        "money": found,
        "transactions": [
            (t, found.charges.get((t.connection_id, t.transaction_id), []))
            for t in found.transactions
        ],
        "fee_types": sorted((d, c, a) for (d, c), a in fee_types.items()),
        "refunds": [
            (t, found.charges.get((t.connection_id, t.transaction_id), [])) for t in found.refunds
        ],
        "refunded": {
            c: sum((t.total_amount for t in found.refunds if t.currency == c), Decimal(0))
            for c in {t.currency for t in found.refunds}
        },
        "net": sorted(found.net().items()),
    }


@team_view(read=Role.VIEWER)
@require_GET
def order_detail(request: TeamRequest) -> HttpResponseBase:
    """One order: items, status, fulfilment, fees, refunds, profit and where its money settled.
    ``?order=<Amazon order id>``; another team's order is a 404, like a missing one."""
    amazon_order_id = request.GET.get("order", "").strip()
    if not amazon_order_id:
        return HttpResponse("Which order?", status=400)
    team = request.team
    order = order_selectors.access_order(team, amazon_order_id)
    if order is None:
        raise Http404("No such order")
    context = _order_detail(team, order_selectors.order_rows(team, [order])[0])
    context["last_synced"] = last_synced(team=team, family=Family.ORDERS)
    context["finances_synced"] = last_synced(team=team, family=Family.FINANCES)
    return render(request, "dashboard/order_detail.html", context)
