"""The money pages: one order with its money, the transactions, and the fee breakdown.

Each figure links to the rows behind it: a fee type or a SKU's fee to the transactions filtered
to exactly those charges, a transaction to its order and its settlement, an order to the
settlements that paid it out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
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

from ams.core import marketplaces
from ams.core.exports import Cell, export_response
from ams.core.marketplaces import zone
from ams.dashboard import selectors
from ams.dashboard.forms import filter_values
from ams.dashboard.history import within_plan
from ams.dashboard.money_forms import (
    FeeFilterForm,
    TransactionFilterForm,
    fee_period,
    with_default_window,
)
from ams.dashboard.views import PER_PAGE, _export_format, _query, _utc
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

TRANSACTION_HEADER = (
    "transaction_id",
    "posted_at_utc",
    "local_day",
    "type",
    "status",
    "marketplace",
    "currency",
    "total_amount",
    "order_id",
    "settlement_id",
    "charge_position",
    "charge_category",
    "charge_kind",
    "charge_type",
    "charge_sku",
    "charge_amount",
)


def _local_day(posted: Any, marketplace_id: str) -> date:
    return posted.astimezone(zone(marketplace_id)).date()  # type: ignore[no-any-return]


@team_view(read=Role.VIEWER)
@require_GET
def transactions(request: TeamRequest) -> HttpResponseBase:
    """Financial transactions with their charges; ``?format=csv|xlsx`` gives one row per charge."""
    team = request.team
    data = with_default_window(request.GET, today=timezone.now().date())
    form = TransactionFilterForm(data, marketplaces=selectors.team_marketplaces(team))
    # The page and its exports show no more history than the plan keeps.
    filters, plan_history = within_plan(
        team, form.filters(), "date_from", today=timezone.now().date()
    )
    fmt = _export_format(request)
    if fmt:

        def rows() -> Iterator[Sequence[Cell]]:
            page: list[Any] = []
            for t in money.transactions(team, filters).iterator(chunk_size=2000):
                page.append(t)
                if len(page) == 2000:
                    yield from _transaction_rows(team, page)
                    page = []
            yield from _transaction_rows(team, page)

        return export_response(
            fmt,
            team_id=team.id,
            team_slug=team.slug,
            table="transactions",
            header=TRANSACTION_HEADER,
            rows=rows,
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
                _local_day(t.posted_at, t.marketplace_id),
            )
            for t in page.object_list
        ],
        "totals": totals,
        "charge_totals": money.matching_charge_totals(team, filters),
        "query": _query(filter_values(filters)),
        "export_csv": _query(filter_values(filters), format="csv"),
        "export_xlsx": _query(filter_values(filters), format="xlsx"),
        "last_synced": last_synced(team=team, family=Family.FINANCES),
        "filtered": bool(request.GET),
        "plan_history": plan_history,
    }
    return render(request, "dashboard/transactions.html", context)


def _transaction_rows(team: Team, page: list[Any]) -> Iterator[Sequence[Cell]]:
    charges = money.charges_by_transaction(team, page)
    for t in page:
        head = (
            t.transaction_id,
            _utc(t.posted_at),
            _local_day(t.posted_at, t.marketplace_id),
            t.transaction_type,
            t.status,
            marketplaces.label(t.marketplace_id) if t.marketplace_id else "",
            t.currency,
            t.total_amount,
            t.order_id,
            t.settlement_id,
        )
        found = charges.get((t.connection_id, t.transaction_id), [])
        if not found:
            yield (*head, None, "", "", "", "", None)
        for c in found:
            yield (*head, c.position, c.category, c.kind, c.description, c.sku, c.amount)


# --- Fee breakdown --------------------------------------------------------------------------------

FEE_HEADER = (
    "month",
    "marketplace",
    "currency",
    "category",
    "kind",
    "fee_type",
    "sku",
    "charges",
    "amount",
)


def _month(d: date) -> str:
    return d.strftime("%Y-%m")


@team_view(read=Role.VIEWER)
@require_GET
def fees(request: TeamRequest) -> HttpResponseBase:
    """Amazon's fees over whole months by type and by SKU, from the charges rollup; every figure
    links to the transactions whose charges make it up."""
    team = request.team
    form = FeeFilterForm(request.GET, marketplaces=selectors.team_marketplaces(team))
    today = timezone.now().date()
    # Whole months, the first of them inside the plan's history.
    filters, plan_history = within_plan(team, form.filters(), "month_from", today=today, month=True)
    first, last = fee_period(filters, today=today)
    kept = {"month_from": _month(first), "month_to": _month(last)}
    kept.update(
        {k: str(v) for k, v in filter_values(filters).items() if k in ("marketplace", "currency")}
    )
    fmt = _export_format(request)
    if fmt:

        def rows() -> Iterator[Sequence[Cell]]:
            for r in money.fee_rows(team, filters, first_month=first, last_month=last).iterator(
                chunk_size=2000
            ):
                yield (
                    _month(r.month),
                    marketplaces.label(r.marketplace_id) if r.marketplace_id else "",
                    r.currency,
                    r.category,
                    r.kind,
                    r.description,
                    r.sku,
                    r.charges,
                    r.amount,
                )

        return export_response(
            fmt, team_id=team.id, team_slug=team.slug, table="fees", header=FEE_HEADER, rows=rows
        )
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
    priced = (
        order.status != "cancelled"
        and bool(row.lines)
        and all(line.item_price is not None for line in row.lines)
    )
    lines: list[DetailLine] = []
    for line in row.lines:
        cost = costs[CostKey(line.sku, order.marketplace_id, day, line.currency)]
        sku_fees = posted.pop(line.sku, Decimal(0)) if fees_posted else None
        profit = None
        if priced:
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
