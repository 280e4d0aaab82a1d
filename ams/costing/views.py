"""The cost batches page: the method (owners and admins choose it) and the batches received."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ams.core.export_jobs import export_download
from ams.costing import selectors
from ams.costing.errors import CostingError
from ams.costing.exports import batches_export
from ams.costing.models import CostingSettings, Method
from ams.costing.refresh import costing_method_set
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def batch_list(request: TeamRequest) -> HttpResponse:
    team = request.team
    settings = CostingSettings.objects.filter(team=team).first()
    context = {
        "batches": selectors.batches(team)[:200],
        "method": settings.method if settings else Method.FIFO,
        "methods": Method.choices,
        "can_choose": request.membership.role in (Role.OWNER, Role.ADMIN),
    }
    return render(request, "costing/batches.html", context)


@team_view(read=Role.VIEWER, costs=True)
@require_GET
def batch_export(request: TeamRequest) -> HttpResponseBase:
    team = request.team
    return export_download(
        request,
        lambda: batches_export(team, request.GET),
        team_id=team.id,
        team_slug=team.slug,
        page="cost-batches",
    )


@team_view(read=Role.VIEWER, write=Role.ADMIN, costs=True)
@require_POST
def method_set(request: TeamRequest) -> HttpResponse:
    try:
        costing_method_set(team=request.team, method=request.POST.get("method", ""))
    except CostingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Cost of goods repriced with the method chosen.")
    return redirect("cost_batches", request.team.slug)
