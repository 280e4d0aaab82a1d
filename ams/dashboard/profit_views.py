"""The profit per SKU page: the period's table, sorted by any column, paged, exported."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ams.dashboard import profit
from ams.dashboard.views import _export, _export_format
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

ROWS_PER_PAGE = 100
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


@team_view(read=Role.VIEWER)
@require_GET
def sku_profit(request: TeamRequest) -> HttpResponseBase:
    """Per SKU and marketplace: what was sold in the period (by order date), what it cost, what
    Amazon took and refunded, and the profit, in the sale's currency and the home currency."""
    fmt = _export_format(request)
    if fmt:
        return _export(request, profit.sku_profit_export, fmt)
    team = request.team
    query = profit.profit_query(team, request.GET)
    rows = query.rows(team)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    per_currency, home_total = profit.totals(rows, query.home)
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
        "rows": [(r, urlencode(profit.drill_params(r, query.first, query.last))) for r in page],
        "headers": headers,
        "per_currency": per_currency,
        "home_total": home_total,
        "orders_url": reverse("orders", args=[team.slug]),
        "transactions_url": reverse("transactions", args=[team.slug]),
        "costs_url": reverse("procurement_costs", args=[team.slug]),
        "query_string": urlencode(query.kept),
        "export_csv": urlencode({**query.kept, "format": "csv"}),
        "export_xlsx": urlencode({**query.kept, "format": "xlsx"}),
    }
    return render(request, "dashboard/profit.html", context)
