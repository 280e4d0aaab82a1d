"""The profit and loss statement page: the period's lines per currency beside the period before."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ams.billing.entitlements import history_months
from ams.dashboard.pnl import (
    AMAZON,
    EXPENSES,
    GOODS,
    REVENUE,
    SECTIONS,
    home_statement,
    statements,
)
from ams.dashboard.pnl_export import plan_period, pnl_export
from ams.dashboard.pnl_forms import PnlPeriodForm
from ams.dashboard.views import _export, _export_format
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def pnl(request: TeamRequest) -> HttpResponseBase:
    team = request.team
    fmt = _export_format(request)
    if fmt:
        return _export(request, pnl_export, fmt)
    form = PnlPeriodForm(request.GET)
    # Calendar months in UTC: a statement is read at month's end, not at midnight in one zone.
    period, key, label, cut = plan_period(team, form, timezone.now().date())
    found = statements(team, period)
    query = {"period": key}
    if key == "custom":
        query |= {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}
    context = {
        "form": form,
        "period": period,
        "previous": period.previous(),
        "label": label,
        "cut": cut,
        "history_months": history_months(team),
        "statements": found,
        "home_total": home_statement(found),
        "sections": [(name, SECTIONS[name]) for name in (REVENUE, AMAZON, GOODS, EXPENSES)],
        "export_csv": urlencode({**query, "format": "csv"}),
        "export_xlsx": urlencode({**query, "format": "xlsx"}),
    }
    return render(request, "dashboard/pnl.html", context, status=400 if form.errors else 200)
