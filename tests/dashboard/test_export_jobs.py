"""Large exports: built by a job from the page's own builder, listed with their progress,
downloaded by the team only while they last; limits on jobs and on streamed downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.amazon.models import SellerConnection
from ams.core.export_jobs import export_jobs_prune
from ams.core.files import files_prune_expired
from ams.core.jobs import app
from ams.core.models import ExportJob, ExportStatus, StoredFile
from ams.core.progress import ProgressWriter
from ams.core.tasks import export_build
from ams.core.tenancy import NoTeamScope, team_scope
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.procurement.helpers import streamed

pytestmark = pytest.mark.django_db(transaction=True)

NASTY_TITLE = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def data(personas: Personas) -> Personas:
    seeded = f.seed(personas)
    with team_scope(personas.team.id):
        c = SellerConnection.objects.get(team=personas.team)
    f.listing(personas.team, c, "EVIL-1", title=NASTY_TITLE)
    cache.clear()  # the streamed-download slots of earlier tests
    return seeded


@pytest.fixture
def small_threshold(settings: Any) -> None:
    settings.EXPORT_INLINE_MAX_ROWS = 2


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_worker() -> None:
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=["exports"], wait=False, install_signal_handlers=False, listen_notify=False
        )


def jobs(p: Personas) -> list[ExportJob]:
    with team_scope(p.team.id):
        return list(ExportJob.objects.order_by("id"))


def inline(p: Personas, settings: Any, path: str, params: dict[str, str]) -> bytes:
    threshold = settings.EXPORT_INLINE_MAX_ROWS
    settings.EXPORT_INLINE_MAX_ROWS = 1000
    try:
        response = client_for(p.viewer).get(f"/t/{p.team.slug}/{path}/", params)
        assert response.status_code == 200
        return b"".join(streamed(response))
    finally:
        settings.EXPORT_INLINE_MAX_ROWS = threshold


def sheet_rows(body: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def download(p: Personas, job: ExportJob, user: Any = None, slug: str = "") -> Any:
    url = f"/t/{slug or p.team.slug}/exports/{job.id}/download/"
    return client_for(user or p.viewer).get(url)


def test_an_export_past_the_threshold_is_a_job_that_builds_the_same_file(
    data: Personas, settings: Any, small_threshold: None
):
    params = {"marketplace": f.US, "format": "csv"}
    response = client_for(data.viewer).get(f"/t/{data.team.slug}/orders/", params)

    assert response.status_code == 302
    assert response["Location"] == f"/t/{data.team.slug}/exports/"
    (job,) = jobs(data)
    assert (job.kind, job.format, job.status) == ("orders", "csv", ExportStatus.QUEUED)
    assert job.params == {"marketplace": f.US}  # the validated filters, not the raw query
    assert job.created_by_id == data.viewer.id
    assert (
        ProcrastinateJob.objects.filter(queue_name="exports", args__team_id=data.team.id).count()
        == 1
    )

    run_worker()

    (job,) = jobs(data)
    expected = inline(data, settings, "orders", params)
    assert job.status == ExportStatus.DONE
    assert job.rows_done == job.rows_total == 3  # the US lines
    got = download(data, job)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith(f'attachment; filename="{data.team.slug}-orders-')
    assert b"".join(got.streaming_content) == expected
    assert b"SECRET" not in expected  # the job read its own team's rows only
    assert len(list(csv.reader(io.StringIO(expected.decode("utf-8-sig"))))) == 1 + 3


def test_a_job_built_workbook_matches_the_streamed_one_and_never_holds_a_formula(
    data: Personas, settings: Any, small_threshold: None
):
    params = {"format": "xlsx"}
    assert client_for(data.viewer).get(f"/t/{data.team.slug}/listings/", params).status_code == 302
    run_worker()
    (job,) = jobs(data)
    body = b"".join(download(data, job).streaming_content)

    assert sheet_rows(body) == sheet_rows(inline(data, settings, "listings", params))
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    titles = [row[2] for row in sheet.iter_rows(min_row=2)]
    evil = next(c for c in titles if c.value == NASTY_TITLE)
    assert evil.data_type == "s"  # text, not a formula


def test_the_exports_page_shows_progress_then_the_download(data: Personas, small_threshold: None):
    client = client_for(data.viewer)
    client.get(f"/t/{data.team.slug}/settlements/", {"format": "csv"})
    (job,) = jobs(data)

    waiting = client.get(f"/t/{data.team.slug}/exports/").content.decode()
    assert "Waiting for a worker" in waiting
    assert 'hx-trigger="every 2s"' in waiting  # polls while something is being built
    assert "is being built in the background" in waiting  # the message after the redirect
    with team_scope(data.team.id):
        ExportJob.objects.filter(id=job.id).update(
            status=ExportStatus.RUNNING, rows_done=2, rows_total=3
        )
    poll = client.get(f"/t/{data.team.slug}/exports/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in poll  # the list alone
    assert "Being built: 2 of about 3 rows" in poll
    assert '<progress value="66" max="100">' in poll
    with team_scope(data.team.id):
        ExportJob.objects.filter(id=job.id).update(status=ExportStatus.QUEUED, rows_done=0)

    run_worker()

    done = client.get(f"/t/{data.team.slug}/exports/").content.decode()
    assert f"/t/{data.team.slug}/exports/{job.id}/download/" in done
    assert "hx-trigger" not in done
    # Another person of the team sees only their own exports.
    theirs = client_for(data.member).get(f"/t/{data.team.slug}/exports/").content.decode()
    assert f"/exports/{job.id}/download/" not in theirs
    assert "No exports yet" in theirs


def test_progress_is_saved_while_the_jobs_transaction_is_still_open(data: Personas):
    with team_scope(data.team.id):
        job = ExportJob.objects.create(
            team=data.team, kind="orders", table="orders", filename="x.csv", format="csv"
        )
    with team_scope(data.team.id):  # the build's transaction, open until the block ends
        with ProgressWriter(ExportJob, job.id, team_id=data.team.id, interval=60) as progress:
            for _ in range(7):
                progress.step()
        # Read committed: this statement sees what the writer's own transaction committed.
        assert ExportJob.objects.get(id=job.id).rows_done == 7


def test_the_download_is_the_teams_only(data: Personas, small_threshold: None):
    client_for(data.viewer).get(f"/t/{data.team.slug}/orders/", {"format": "csv"})
    run_worker()
    (job,) = jobs(data)

    assert download(data, job, user=data.member).status_code == 200  # a member of the team
    assert download(data, job, user=data.outsider).status_code == 404
    # The outsider's own team, with team A's export id.
    response = download(data, job, user=data.outsider, slug=data.outsider_team.slug)
    assert response.status_code == 404
    assert b"111-0000001" not in response.content


def test_a_third_job_for_one_person_is_refused_with_a_reason(data: Personas, small_threshold: None):
    client = client_for(data.viewer)
    for table in ("orders", "listings"):
        assert client.get(f"/t/{data.team.slug}/{table}/", {"format": "csv"}).status_code == 302

    refused = client.get(f"/t/{data.team.slug}/settlements/", {"format": "xlsx"})

    assert refused.status_code == 429
    assert "You already have 2 exports being built" in refused.content.decode()
    assert [j.kind for j in jobs(data)] == ["orders", "listings"]
    assert (
        ProcrastinateJob.objects.filter(queue_name="exports", args__team_id=data.team.id).count()
        == 2
    )
    # Once they are built, the person may ask again.
    run_worker()
    assert client.get(f"/t/{data.team.slug}/settlements/", {"format": "xlsx"}).status_code == 302


def test_a_team_has_its_own_limit(data: Personas, settings: Any, small_threshold: None):
    settings.EXPORT_JOBS_PER_TEAM = 2
    for user in (data.viewer, data.member):
        assert (
            client_for(user).get(f"/t/{data.team.slug}/orders/", {"format": "csv"}).status_code
            == 302
        )
    refused = client_for(data.owner).get(f"/t/{data.team.slug}/orders/", {"format": "csv"})
    assert refused.status_code == 429
    assert "Your team already has 2 exports being built" in refused.content.decode()
    # Another team is not held back by this one.
    outsider = client_for(data.outsider).get(
        f"/t/{data.outsider_team.slug}/orders/", {"format": "csv"}
    )
    assert outsider.status_code == 200


def test_streamed_downloads_are_limited_per_person_until_one_ends(data: Personas, settings: Any):
    settings.EXPORT_INLINE_PER_USER = 2
    client = client_for(data.viewer)
    url = f"/t/{data.team.slug}/orders/"
    first = client.get(url, {"format": "csv"})
    second = client.get(url, {"format": "xlsx"})
    assert first.status_code == second.status_code == 200

    third = client.get(url, {"format": "csv"})
    assert third.status_code == 429
    assert "You already have 2 downloads running" in third.content.decode()
    # Someone else's downloads are their own.
    assert client_for(data.member).get(url, {"format": "csv"}).status_code == 200

    first.close()  # the server closes a response when it is sent or the client goes away
    fourth = client.get(url, {"format": "csv"})
    assert fourth.status_code == 200
    b"".join(streamed(fourth))  # sent in full: its slot is free again
    assert client.get(url, {"format": "csv"}).status_code == 200


def test_an_expired_export_is_gone(data: Personas, small_threshold: None):
    client_for(data.viewer).get(f"/t/{data.team.slug}/orders/", {"format": "csv"})
    run_worker()
    (job,) = jobs(data)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert download(data, job).status_code == 404
        page = client_for(data.viewer).get(f"/t/{data.team.slug}/exports/").content.decode()
        assert "Expired" in page
        assert f"/exports/{job.id}/download/" not in page
        files_prune_expired(team_ids=[data.team.id])
    (job,) = jobs(data)
    assert job.file_id is None
    with team_scope(data.team.id):
        assert not StoredFile.objects.filter(kind="export").exists()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert export_jobs_prune(team_ids=[data.team.id]) == 1
    assert jobs(data) == []


def test_a_failed_build_says_so_and_frees_the_slot(
    data: Personas, small_threshold: None, monkeypatch: pytest.MonkeyPatch
):
    client = client_for(data.viewer)
    client.get(f"/t/{data.team.slug}/orders/", {"format": "csv"})
    client.get(f"/t/{data.team.slug}/listings/", {"format": "csv"})

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("ams.core.export_jobs.export_write", broken)
    run_worker()

    assert {j.status for j in jobs(data)} == {ExportStatus.FAILED}
    page = client.get(f"/t/{data.team.slug}/exports/").content.decode()
    assert "The export could not be built" in page
    assert "disk full" not in page
    assert client.get(f"/t/{data.team.slug}/orders/", {"format": "csv"}).status_code == 302


def test_a_job_that_never_finished_stops_counting_and_says_so(
    data: Personas, small_threshold: None
):
    client = client_for(data.viewer)
    for table in ("orders", "listings"):
        client.get(f"/t/{data.team.slug}/{table}/", {"format": "csv"})

    # No worker took them (it died with them); hours later they no longer hold the person back.
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        page = client.get(f"/t/{data.team.slug}/exports/").content.decode()
        assert page.count("This export stopped before it was built") == 2
        assert "hx-trigger" not in page
        assert client.get(f"/t/{data.team.slug}/settlements/", {"format": "csv"}).status_code == 302


def test_an_export_job_without_a_team_refuses_to_run(data: Personas):
    with pytest.raises(NoTeamScope):
        export_build(team_id=0, export_id=1)
