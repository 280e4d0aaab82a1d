"""Large cost files are read by a job, not by the web process: the same checks, the same costs
saved, the outcome on the result page; a file refused as a whole says why; never another team's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.core.jobs import app
from ams.core.models import StoredFile
from ams.core.tenancy import team_scope
from ams.procurement.models import CostImport, CostImportStatus, ProductCost
from tests.factories import Personas
from tests.procurement.helpers import synced_skus

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 40


def cost_file() -> bytes:
    lines = ["sku,marketplace,currency,unit_cost,effective_from,note"]
    for i in range(ROWS):
        lines.append(f"MUG-1,US,USD,{4 + i / 100:.2f},2026-01-{1 + i % 28:02d},batch {i}")
    lines.append("NOPE-9,US,USD,1.00,2026-01-01,")  # unknown SKU
    lines.append("MUG-1,US,USD,1E+30,2026-02-01,")  # too large
    lines.append("MUG-1,US,USD,2.00,2026-01-01,")  # a duplicate of line 2
    return ("\n".join(lines) + "\n").encode()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(p: Personas, data: bytes, name: str = "costs.csv", user: Any = None) -> Any:
    return client_for(user or p.member).post(
        f"/t/{p.team.slug}/costs/import/", {"file": SimpleUploadedFile(name, data)}
    )


def run_worker() -> None:
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=["imports"], wait=False, install_signal_handlers=False, listen_notify=False
        )


def saved(p: Personas) -> list[tuple[str, str | None, str, Decimal, date | None, str]]:
    with team_scope(p.team.id):
        return sorted(
            ProductCost.objects.values_list(
                "sku", "marketplace_id", "currency", "unit_cost", "effective_from", "note"
            )
        )


def imports(p: Personas) -> list[CostImport]:
    with team_scope(p.team.id):
        return list(CostImport.objects.order_by("id"))


@pytest.fixture
def p(personas: Personas) -> Personas:
    """A team whose listings name MUG-1."""
    synced_skus(personas.team, "MUG-1")
    return personas


@pytest.fixture
def small_threshold(settings: Any) -> None:
    settings.COST_IMPORT_INLINE_MAX_ROWS = 10


def test_a_large_file_is_read_by_a_job_and_saves_what_the_request_would(p: Personas, settings: Any):
    inline = upload(p, cost_file())
    assert inline.status_code == 200  # read in the request: 44 lines
    in_the_request = saved(p)
    inline_html = inline.content.decode()
    with team_scope(p.team.id):
        ProductCost.objects.all().delete()

    settings.COST_IMPORT_INLINE_MAX_ROWS = 10
    response = upload(p, cost_file())

    (record,) = imports(p)
    assert response.status_code == 302
    assert response["Location"] == f"/t/{p.team.slug}/costs/import/{record.id}/"
    assert record.status == CostImportStatus.QUEUED
    assert saved(p) == []  # nothing read in the request
    assert (
        ProcrastinateJob.objects.filter(queue_name="imports", args__team_id=p.team.id).count() == 1
    )
    waiting = client_for(p.member).get(response["Location"]).content.decode()
    assert "read in the background" in waiting
    assert 'hx-trigger="every 2s"' in waiting

    run_worker()

    (record,) = imports(p)
    assert record.status == CostImportStatus.DONE
    assert saved(p) == in_the_request
    assert record.imported == len(in_the_request) == 28  # 40 rows over 28 distinct days
    assert record.rows_done == ROWS + 3
    # The upload is deleted once read.
    assert record.upload_id is None
    with team_scope(p.team.id):
        assert not StoredFile.objects.filter(kind="cost-import").exists()
    done = client_for(p.viewer).get(response["Location"]).content.decode()
    assert "hx-trigger" not in done
    summary = inline_html[inline_html.index('id="import-summary"') :].split("</p>")[0]
    assert summary in done  # the same outcome as the request's page
    for reason in ("unknown SKU", "unit cost is too large", "duplicate in file: line"):
        assert reason in done


def test_a_large_file_refused_as_a_whole_says_why_and_saves_nothing(
    p: Personas, small_threshold: None
):
    body = b"sku,price\n" + b"MUG-1,1.00\n" * 20
    response = upload(p, body)
    run_worker()

    (record,) = imports(p)
    assert record.status == CostImportStatus.FAILED
    page = client_for(p.member).get(response["Location"]).content.decode()
    assert "The file has no currency, unit_cost column" in page
    assert saved(p) == []


def test_a_file_past_the_upload_limit_is_still_refused_at_once(p: Personas, small_threshold: None):
    response = upload(p, b"sku,currency,unit_cost,effective_from\n" + b"x" * (5 * 1024 * 1024))
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert imports(p) == []


def test_the_result_page_is_the_teams_only_and_viewers_cannot_import(
    p: Personas, small_threshold: None
):
    response = upload(p, cost_file())
    (record,) = imports(p)

    assert client_for(p.viewer).get(response["Location"]).status_code == 200
    assert client_for(p.outsider).get(response["Location"]).status_code == 404
    theirs = f"/t/{p.outsider_team.slug}/costs/import/{record.id}/"
    assert client_for(p.outsider).get(theirs).status_code == 404
    assert upload(p, cost_file(), user=p.viewer).status_code == 403
    assert len(imports(p)) == 1
