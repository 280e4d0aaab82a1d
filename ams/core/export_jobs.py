"""Exports too large for the web process: built by a job, stored, downloaded from the Exports page.

The choice is made on the export's size, counted first and cheaply (up to one row past the
threshold). Up to ``EXPORT_INLINE_MAX_ROWS`` the file streams from the request, at most
``EXPORT_INLINE_PER_USER`` downloads a person at once (slots kept in the cache every process
shares, like the login throttles); past it an ``ExportJob`` is queued, at most
``EXPORT_JOBS_PER_USER`` a person and ``EXPORT_JOBS_PER_TEAM`` a team at once.

The job builds the source again from its kind and the saved filters through the builder the
page registered (``export_register``), so the worker's rows come from the page's own mapping.
Apps above core register their builders when they are ready; core names none of them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

import structlog
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ams.core.audit_log import audit_record
from ams.core.exports import (
    CONTENT_TYPES,
    FORMATS,
    ExportSource,
    export_filename,
    export_response,
    export_write,
)
from ams.core.files import CHUNK_BYTES, file_store
from ams.core.models import EXPORT_STALE_AFTER, ExportJob, ExportStatus, StoredFile
from ams.core.progress import ProgressWriter
from ams.core.tenancy import team_scope

log = structlog.get_logger(__name__)

Builder = Callable[[int, Mapping[str, str]], ExportSource]  # (team id, saved filters)
_BUILDERS: dict[str, Builder] = {}

# A streamed download that has not ended in this long (a killed worker) frees its slot anyway.
INLINE_SLOT_SECONDS = 15 * 60
# Finished exports are listed this long (their files expire sooner).
KEPT_FOR = timedelta(days=7)
# pg_advisory_xact_lock's first key: this module's; the second is the team.
_LOCK_SPACE = 7_301


class ExportRefused(Exception):
    """Too many exports at once; the message says so in the user's terms."""


@dataclass(frozen=True)
class Queued:
    job: ExportJob


def export_register(kind: str, build: Builder) -> None:
    """Make ``kind`` buildable by a job; called from an app's ``ready()``."""
    _BUILDERS[kind] = build


def export_source(kind: str, *, team_id: int, params: Mapping[str, str]) -> ExportSource:
    return _BUILDERS[kind](team_id, params)


def export_size(counted: QuerySet[Any], *, cap: int) -> int:
    """The rows, counted up to ``cap + 1``: enough to decide, never a count of everything."""
    return counted[: cap + 1].count()


def _inline_slot(user_id: int) -> Callable[[], None] | None:
    for slot in range(settings.EXPORT_INLINE_PER_USER):
        key = f"export-inline:{user_id}:{slot}"
        # add() writes only a missing key, atomically, in every cache backend.
        if cache.add(key, 1, timeout=INLINE_SLOT_SECONDS):
            return _releaser(key)
    return None


def _releaser(key: str) -> Callable[[], None]:
    def release() -> None:
        cache.delete(key)

    return release


def export_request(
    *, source: ExportSource, fmt: str, team_id: int, team_slug: str, user_id: int
) -> StreamingHttpResponse | Queued:
    """A small export's download, or the job queued for a large one; ExportRefused past a limit."""
    limit = settings.EXPORT_INLINE_MAX_ROWS
    if export_size(source.counted, cap=limit) > limit:
        return Queued(
            export_job_start(
                source=source, fmt=fmt, team_id=team_id, team_slug=team_slug, user_id=user_id
            )
        )
    release = _inline_slot(user_id)
    if release is None:
        raise ExportRefused(
            f"You already have {settings.EXPORT_INLINE_PER_USER} downloads running. "
            "Wait for one to finish, then try again."
        )
    return export_response(
        fmt,
        team_id=team_id,
        team_slug=team_slug,
        table=source.table,
        header=source.header,
        rows=source.rows,
        release=release,
    )


def export_download(
    request: HttpRequest,
    build: Callable[[], ExportSource],
    *,
    team_id: int,
    team_slug: str,
    page: str,
) -> HttpResponseBase:
    """A page's export view: ``?format=csv`` (the default) or ``xlsx``, anything else a 400; the
    download recorded in the team's audit trail under ``page``, then answered as ``export_answer``
    does."""
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponse("Choose format=csv or format=xlsx.", status=400)
    audit_record(
        team_id=team_id, actor_id=request.user.pk, kind="export.downloaded", page=page, format=fmt
    )
    return export_answer(request, build(), fmt, team_id=team_id, team_slug=team_slug)


def export_answer(
    request: HttpRequest, source: ExportSource, fmt: str, *, team_id: int, team_slug: str
) -> HttpResponseBase:
    """What a page answers to ``?format=…``: the download, or the Exports page where the queued
    job will be, or a 429 saying which limit was reached."""
    assert request.user.pk is not None  # team pages are for signed-in members only
    try:
        answer = export_request(
            source=source, fmt=fmt, team_id=team_id, team_slug=team_slug, user_id=request.user.pk
        )
    except ExportRefused as refused:
        response: HttpResponse = render(
            request, "exports/refused.html", {"message": str(refused)}, status=429
        )
        return response
    if isinstance(answer, Queued):
        messages.success(
            request,
            f"The {source.table} export is large, so it is being built in the background. "
            "Download it here when it is ready.",
        )
        # The Exports page (ams.dashboard) lists the person's exports with their progress.
        return redirect(reverse("exports", args=[team_slug]))
    return answer


def _active(team_id: int) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(
        team_id=team_id,
        status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING),
        created_at__gte=timezone.now() - EXPORT_STALE_AFTER,
    )


@transaction.atomic
def export_job_start(
    *, source: ExportSource, fmt: str, team_id: int, team_slug: str, user_id: int
) -> ExportJob:
    """Queue the job that builds ``source``; ExportRefused when a limit is reached."""
    with connection.cursor() as cursor:
        # Two requests at once must not both pass the count below.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, team_id])
    with team_scope(team_id):
        mine = _active(team_id).filter(created_by_id=user_id).count()
        if mine >= settings.EXPORT_JOBS_PER_USER:
            raise ExportRefused(
                f"You already have {mine} exports being built. Wait until one is ready "
                "(see Exports), then ask again."
            )
        ours = _active(team_id).count()
        if ours >= settings.EXPORT_JOBS_PER_TEAM:
            raise ExportRefused(
                f"Your team already has {ours} exports being built. Wait until one is ready "
                "(see Exports), then ask again."
            )
        job = ExportJob.objects.create(
            team_id=team_id,
            created_by_id=user_id,
            kind=source.kind,
            table=source.table[:120],
            filename=export_filename(team_slug, source.table, fmt),
            params=dict(source.params),
            format=fmt,
        )
        from ams.core.tasks import export_build  # the task module imports this one

        # In this transaction: the job exists if and only if its row does.
        export_build.defer(team_id=team_id, export_id=job.id)
    return job


def _mark(team_id: int, export_id: int, **values: object) -> None:
    with team_scope(team_id):
        ExportJob.objects.filter(id=export_id).update(**values)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    while chunk := spool.read(CHUNK_BYTES):
        yield chunk


def export_run(*, team_id: int, export_id: int) -> None:
    """Build, store and mark done the export; on any error mark it failed (and re-raise).

    A job retried after its worker died finds its export still running and builds it again:
    the file and the "done" are saved together, so nothing of the first attempt remains.
    """
    with team_scope(team_id):
        job = ExportJob.objects.filter(id=export_id).first()
    if job is None or not job.is_active:
        return  # deleted with its team, or already finished
    try:
        with team_scope(team_id):
            source = export_source(job.kind, team_id=team_id, params=job.params)
            total = source.steps() if source.steps else source.counted.count()
        _mark(
            team_id,
            export_id,
            status=ExportStatus.RUNNING,
            started_at=timezone.now(),
            rows_total=total,
            rows_done=0,
        )
        with team_scope(team_id), tempfile.TemporaryFile() as spool:
            with ProgressWriter(ExportJob, export_id, team_id=team_id) as progress:
                export_write(job.format, spool, source, on_row=progress.step)
            spool.seek(0)
            stored = file_store(
                team_id=team_id,
                kind="export",
                name=job.filename,
                content_type=CONTENT_TYPES[job.format],
                chunks=_chunks(spool),
                lifetime=timedelta(hours=settings.EXPORT_FILE_HOURS),
                created_by_id=job.created_by_id,
            )
            ExportJob.objects.filter(id=export_id).update(
                status=ExportStatus.DONE,
                rows_done=progress.done,
                file=stored,
                finished_at=timezone.now(),
            )
    except Exception:
        log.exception("export.failed", export_id=export_id, kind=job.kind)
        _mark(
            team_id,
            export_id,
            status=ExportStatus.FAILED,
            error="The export could not be built. Try again; if it fails again, contact support.",
            finished_at=timezone.now(),
        )
        raise
    log.info("export.built", export_id=export_id, kind=job.kind, rows=progress.done)
    _mail_ready(team_id=team_id, export_id=export_id)


def _mail_ready(*, team_id: int, export_id: int) -> None:
    """Tell the person who asked that the file is ready, with the link to the Exports page
    (where it lasts ``EXPORT_FILE_HOURS``): a large export or a whole team's data can take a
    while, and nobody should have to keep the page open for it."""
    # Resolved at run time: core sits below the apps that own people and teams.
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    team_model = apps.get_model("teams", "Team")
    with team_scope(team_id):
        job = ExportJob.objects.filter(id=export_id).first()
    team = team_model.objects.filter(id=team_id).first()
    user = user_model.objects.filter(id=job.created_by_id).first() if job else None
    if job is None or team is None or user is None or not user.email:
        return
    context = {
        "filename": job.filename,
        "hours": settings.EXPORT_FILE_HOURS,
        "url": settings.SITE_URL + reverse("exports", args=[team.slug]),
    }
    message = EmailMultiAlternatives(
        subject=f"AMS: {job.filename} is ready to download",
        body=render_to_string("exports/email/ready.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("exports/email/ready.html", context), "text/html")
    message.send()


# --- Reads ----------------------------------------------------------------------------------------


def exports_recent(*, team_id: int, user_id: int, limit: int = 20) -> list[ExportJob]:
    """The person's exports of the last week, newest first, with their files."""
    return list(
        ExportJob.objects.filter(
            team_id=team_id, created_by_id=user_id, created_at__gte=timezone.now() - KEPT_FOR
        )
        .select_related("file")
        .order_by("-created_at")[:limit]
    )


def export_file(*, team_id: int, export_id: int) -> StoredFile | None:
    """The built file of the team's export, while it has not expired; None otherwise."""
    job = (
        ExportJob.objects.filter(team_id=team_id, id=export_id, status=ExportStatus.DONE)
        .select_related("file")
        .first()
    )
    if job is None or job.file is None or job.file.expired:
        return None
    return job.file


def export_jobs_prune(*, team_ids: list[int]) -> int:
    """Forget exports listed for longer than KEPT_FOR (their files went when they expired)."""
    deleted = 0
    cutoff = timezone.now() - KEPT_FOR
    for team_id in team_ids:
        with team_scope(team_id):
            count, _ = ExportJob.objects.filter(team_id=team_id, created_at__lt=cutoff).delete()
            deleted += count
    return deleted
