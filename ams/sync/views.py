"""The per-connection sync status page, "sync now" and "try again" (a report AMS could not read)
for owners and admins, and the upload of settlement history.

The settlement upload lives here rather than with the money pages (``ams.dashboard``): it is
another way Amazon's documents come in, read by the sync's parsers in a sync job and merged
through the finance writers like a synced report; the dashboard composes reads and would have
to reach into the sync's models and jobs for it. The settlements page links here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.sync import selectors, services, uploads
from ams.sync.forms import SettlementUploadForm, SyncNowForm
from ams.sync.models import Family
from ams.sync.tasks import sync_defer
from ams.sync.upload_handlers import LimitedDiskUpload
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

# How often the sync page asks for its counters while a run is under way: about as often as a
# run writes them (ams.sync.context.PROGRESS_SECONDS).
POLL_SECONDS = 3


@team_view(read=Role.VIEWER, write=Role.ADMIN)
def sync_status(request: TeamRequest) -> HttpResponse:
    if request.method == "POST":
        return _sync_now(request)
    rows = selectors.sync_overview(team=request.team)
    context = {
        "rows": rows,
        "can_sync": request.membership.role_enum.at_least(Role.ADMIN),
        # The page asks again every few seconds while a run is queued or under way, never
        # when all is idle: the fragment of the last poll comes without the trigger.
        "polling": any(r.is_active for r in rows),
        "poll_seconds": POLL_SECONDS,
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


# --- settlement history upload ---------------------------------------------------------------------


@csrf_exempt
def settlement_uploads(request: HttpRequest, team_slug: str, **kwargs: Any) -> HttpResponseBase:
    """The upload's own handlers must be in place before anything reads the body, and the CSRF
    middleware would read it first: the check is made inside instead (``csrf_protect``), after
    the role check, so a refused request is not even read."""
    handler = LimitedDiskUpload(request, max_bytes=uploads.MAX_FILE_BYTES)
    request.upload_handlers = [handler]
    return _settlement_uploads(request, team_slug, handler=handler, **kwargs)


@team_view(read=Role.VIEWER, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
@csrf_protect
def _settlement_uploads(request: TeamRequest, *, handler: LimitedDiskUpload) -> HttpResponse:
    can_upload = request.membership.role_enum.at_least(Role.ADMIN)
    form = SettlementUploadForm(team=request.team)
    status = 200
    if request.method == "POST":
        form = SettlementUploadForm(request.POST, request.FILES, team=request.team)
        valid = form.is_valid()
        for name in handler.too_large:
            form.add_error(
                None, f"{name} is larger than {uploads.MAX_FILE_BYTES // (1024 * 1024)} MB."
            )
        if valid and not handler.too_large:
            created = uploads.settlement_uploads_create(
                team_id=request.team.id,
                connection=form.cleaned_data["connection"],
                files=form.cleaned_data["reports"],
                created_by_id=request.user.pk,
            )
            messages.success(request, f"{len(created)} file(s) uploaded; reading them now.")
            return redirect("settlement_uploads", request.team.slug)
        status = 400
    rows = selectors.settlement_uploads(team=request.team)
    context = {
        "form": form,
        "can_upload": can_upload,
        "uploads": rows,
        "polling": any(u.is_active for u in rows),
        "max_mb": uploads.MAX_FILE_BYTES // (1024 * 1024),
    }
    if getattr(request, "htmx", False) and request.method == "GET":
        return render(request, "sync/_settlement_uploads.html", context)
    return render(request, "sync/settlement_uploads.html", context, status=status)


settlement_uploads.team_access = _settlement_uploads.team_access  # type: ignore[attr-defined]


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
