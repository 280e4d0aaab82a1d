"""The per-connection sync status page, "sync now" and "try again" (a report AMS could not read)
for owners and admins."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.sync import selectors, services
from ams.sync.forms import SyncNowForm
from ams.sync.models import Family
from ams.sync.tasks import sync_defer
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role


@team_view(read=Role.VIEWER, write=Role.ADMIN)
def sync_status(request: TeamRequest) -> HttpResponse:
    if request.method == "POST":
        return _sync_now(request)
    rows = selectors.sync_overview(team=request.team)
    context = {
        "rows": rows,
        "can_sync": request.membership.role_enum.at_least(Role.ADMIN),
        "polling": any(r.is_active for r in rows),
    }
    # django_htmx's middleware sets request.htmx: a poll gets the partial only.
    template = "sync/_status.html" if getattr(request, "htmx", False) else "sync/status.html"
    return render(request, template, context)


def _sync_now(request: TeamRequest) -> HttpResponse:
    form = SyncNowForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose a connection.")
    connection = SellerConnection.objects.filter(
        team=request.team, id=form.cleaned_data["connection"], disconnected_at__isnull=True
    ).first()
    if connection is None:
        raise Http404("No such connection.")
    if connection.status != ConnectionStatus.ACTIVE:
        messages.error(request, "This connection needs re-authorization before it can sync.")
        return redirect("sync_status", request.team.slug)
    families = (
        [Family(form.cleaned_data["family"])] if form.cleaned_data["family"] else list(Family)
    )
    queued = sum(
        sync_defer(team_id=request.team.id, connection_id=connection.id, family=f) for f in families
    )
    if queued:
        messages.success(request, f"Sync queued for {connection}.")
    else:
        messages.info(request, "A sync is already waiting to run.")
    return redirect("sync_status", request.team.slug)


@team_view(read=Role.ADMIN, write=Role.ADMIN)
def pending_retry(request: TeamRequest, pending_report_id: int) -> HttpResponse:
    """Read a pending report again on its family's next run, queued now."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    report = services.pending_report_retry(team=request.team, pending_id=pending_report_id)
    if report is None:
        raise Http404("No such report.")
    sync_defer(team_id=request.team.id, connection_id=report.connection_id, family=report.family)
    messages.success(request, f"AMS will try to read report {report.report_id} again shortly.")
    return redirect("sync_status", request.team.slug)
