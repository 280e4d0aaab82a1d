"""The profit per SKU page: the period's table, sorted by any column, paged, exported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ams.dashboard import profit
from ams.dashboard.views import _export, _export_format
from ams.profit.selectors import CurrencyTotal
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role, Team

ROWS_PER_PAGE = 100
MAX_PAGE = 1_000_000
COLUMNS = (
    ("sku", "SKU", False),
    ("marketplace", "Marketplace", False),
    ("units", "Units", True),
    ("sales", "Sales", True),
    ("refunds", "Refunds", True),
    ("return_rate", "Return rate", True),
    ("fees", "Amazon fees", True),
    ("cost", "Cost of goods", True),
    ("profit", "Profit", True),
    ("margin", "Margin", True),
    ("roi", "ROI", True),
    ("profit_home", "Profit (home)", True),
)


@dataclass(frozen=True)
class _Page:
    number: int
    rows: list[profit.SkuProfit]
    count: int
    per_currency: list[CurrencyTotal]
    home_total: CurrencyTotal


class _Counted(Sequence[int]):
    """What the paginator needs of a table PostgreSQL pages: its length (the rows themselves come
    with the page's query)."""

    def __init__(self, count: int) -> None:
        self._count = count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        return range(self._count)[index]


def _page_of(team: Team, query: profit.ProfitQuery, asked: str | None) -> _Page:
    """The page asked for (the last one past the end, the first for anything else), read with
    the table's count and totals in one query."""
    try:
        # Past any table's last page, however large the number asked (an offset is a bigint).
        number = min(max(1, int(asked or 1)), MAX_PAGE)
    except ValueError:
        number = 1
    table = query.table(team, limit=ROWS_PER_PAGE, offset=(number - 1) * ROWS_PER_PAGE)
    last = max(1, -(-table.count // ROWS_PER_PAGE))
    if number > last:
        number = last
        table = query.table(team, limit=ROWS_PER_PAGE, offset=(number - 1) * ROWS_PER_PAGE)
    return _Page(number, table.rows, table.count, table.per_currency, table.home_total)


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def sku_profit(request: TeamRequest) -> HttpResponseBase:
    """Per SKU and marketplace: what was sold in the period (by order date), what it cost, what
    Amazon took and refunded, and the profit, in the sale's currency and the home currency."""
    fmt = _export_format(request)
    if fmt:
        return _export(request, profit.sku_profit_export, fmt)
    team = request.team
    query = profit.profit_query(team, request.GET)
    table = _page_of(team, query, request.GET.get("page"))
    page = Paginator(_Counted(table.count), ROWS_PER_PAGE).get_page(table.number)
    base = {k: v for k, v in query.kept.items() if k != "sort"}
    current = query.sort.removeprefix("-")
    descending = query.sort.startswith("-")
    headers = [
        {
            "key": key,
            "label": label,
            "numeric": numeric,
            "active": key == current,
            "descending": descending,
            # A click on the sorted column turns it around; on another, numbers sort largest first.
            "query": urlencode(
                {
                    **base,
                    "sort": (key if descending else f"-{key}")
                    if key == current
                    else (f"-{key}" if numeric else key),
                }
            ),
        }
        for key, label, numeric in COLUMNS
    ]
    context = {
        "form": query.form,
        "query": query,
        "page": page,
        "rows": [
            (r, urlencode(profit.drill_params(r, query.first, query.last))) for r in table.rows
        ],
        "headers": headers,
        "per_currency": table.per_currency,
        "home_total": table.home_total,
        "orders_url": reverse("orders", args=[team.slug]),
        "transactions_url": reverse("transactions", args=[team.slug]),
        "costs_url": reverse("procurement_costs", args=[team.slug]),
        "query_string": urlencode(query.kept),
        "export_csv": urlencode({**query.kept, "format": "csv"}),
        "export_xlsx": urlencode({**query.kept, "format": "xlsx"}),
    }
    return render(request, "dashboard/profit.html", context)
