"""The Exports page: the person's large exports, their progress while a worker builds them, and
the download of each while its file lasts."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ams.core.export_jobs import export_file, exports_recent
from ams.core.files import file_response
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

POLL_SECONDS = 2


@team_view(read=Role.VIEWER)
@require_GET
def exports(request: TeamRequest) -> HttpResponse:
    assert request.user.pk is not None
    jobs = exports_recent(team_id=request.team.id, user_id=request.user.pk)
    context = {
        "jobs": jobs,
        "polling": any(job.is_active and not job.stalled for job in jobs),
        "poll_seconds": POLL_SECONDS,
        "file_hours": settings.EXPORT_FILE_HOURS,
    }
    # django_htmx's middleware sets request.htmx: a poll gets the list only.
    template = "exports/_list.html" if getattr(request, "htmx", False) else "exports/list.html"
    return render(request, template, context)


@team_view(read=Role.VIEWER)
@require_GET
def export_download(request: TeamRequest, exportjob_id: int) -> StreamingHttpResponse:
    """The built file; 404 for another team's export, an unfinished one and an expired one."""
    stored = export_file(team_id=request.team.id, export_id=exportjob_id)
    if stored is None:
        raise Http404("No such export, or it has expired.")
    return file_response(stored, team_id=request.team.id)
