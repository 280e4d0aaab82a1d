"""An owner downloads everything the team holds: every table's rows, nothing of another team's,
never a token, built by a job and announced by email."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from ams.core.audit_log import audit_record
from ams.core.events import usage_event_record
from ams.core.models import ExportJob, ExportStatus
from ams.core.purge import count_rows, tables_with
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role
from ams.teams.services import invitation_create
from tests.dashboard.factories import seed
from tests.dashboard.test_export_jobs import run_worker
from tests.factories import Personas, add_member

pytestmark = pytest.mark.django_db(transaction=True)

# The export's own job and file, which change as it is stored.
BUILT_BY_THE_EXPORT = {
    "public.core_exportjob",
    "public.core_storedfile",
    "public.core_storedfilechunk",
}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _archive(p: Personas) -> zipfile.ZipFile:
    url = f"/t/{p.team.slug}/settings/data/"
    response = _client(p.owner).post(url)
    assert response.status_code == 302
    assert response["Location"] == f"/t/{p.team.slug}/exports/"
    run_worker()
    with team_scope(p.team.id):
        job = ExportJob.objects.get(kind="team_data")
    assert (job.status, job.format) == (ExportStatus.DONE, "zip")
    download = _client(p.owner).get(f"/t/{p.team.slug}/exports/{job.id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))  # type: ignore[attr-defined]


def test_the_archive_holds_every_row_of_the_team_and_nothing_else(personas: Personas):
    p = seed(personas)
    with team_scope(p.team.id):
        owner = Membership.objects.get(team=p.team, user=p.owner)
    invitation_create(team=p.team, actor=owner, email="guest@example.test", role=Role.VIEWER)

    archive = _archive(p)
    manifest = json.loads(archive.read("manifest.json"))

    assert manifest["team"]["id"] == p.team.id
    tables = {t.label for t in tables_with(["team_id"]) if t.schema != "vault"}
    listed = {entry["table"]: entry for entry in manifest["tables"]}
    # Every table a scan of the catalogue finds, with exactly the rows the team has in it.
    assert set(listed) == tables
    with team_scope(p.team.id):
        for table in tables_with(["team_id"]):
            if table.schema == "vault":
                continue
            entry = listed[table.label]
            rows = list(csv.reader(io.TextIOWrapper(archive.open(entry["file"]), "utf-8")))
            assert len(rows) - 1 == entry["rows"]
            if table.label not in BUILT_BY_THE_EXPORT:
                assert entry["rows"] == count_rows(table, {"team_id": p.team.id}), table
            assert rows[0] == entry["columns"]
            if entry["rows"]:
                team_column = rows[0].index("team_id")
                assert {r[team_column] for r in rows[1:]} == {str(p.team.id)}
    assert listed["public.orders_order"]["rows"] > 0
    # No token: the vault stays shut, and an invitation's nonce is left out.
    assert not [n for n in archive.namelist() if n.startswith("vault.")]
    assert "nonce" in listed["public.teams_invitation"]["omitted_columns"]
    assert "nonce" not in listed["public.teams_invitation"]["columns"]
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert p.outsider_team.name.encode() not in everything
    assert b"Atzr|" not in everything
    # The person who asked is told where to find it.
    (ready,) = [m for m in mail.outbox if "is ready to download" in m.subject]
    assert ready.to == [p.owner.email]
    assert f"/t/{p.team.slug}/exports/" in ready.body


@pytest.mark.parametrize("persona", ["admin", "member", "viewer", "outsider"])
def test_only_the_owner_exports_the_whole_team(personas: Personas, persona: str):
    response = _client(getattr(personas, persona)).post(f"/t/{personas.team.slug}/settings/data/")
    assert response.status_code == (404 if persona == "outsider" else 403)
    with team_scope(personas.team.id):
        assert not ExportJob.objects.exists()


def test_a_person_downloads_what_names_them_in_every_team_and_no_secret(personas: Personas):
    p = personas
    add_member(p.outsider_team, p.viewer, Role.MEMBER)
    usage_event_record(team_id=p.team.id, user_id=p.viewer.id, kind="probe.mine")
    usage_event_record(team_id=p.outsider_team.id, user_id=p.viewer.id, kind="probe.theirs")
    usage_event_record(team_id=p.team.id, user_id=p.owner.id, kind="probe.not_mine")
    audit_record(team_id=None, actor_id=p.viewer.id, kind="signin.succeeded")
    Authenticator.objects.create(
        user=p.viewer, type=Authenticator.Type.TOTP, data={"secret": "S3CR3T"}
    )

    response = _client(p.viewer).get("/accounts/data/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    manifest = json.loads(archive.read("manifest.json"))

    account = list(csv.DictReader(io.TextIOWrapper(archive.open("account.csv"), "utf-8")))
    assert [a["email"] for a in account] == [p.viewer.email]
    assert "password" not in account[0]
    trail = archive.read("security-trail.csv").decode()
    assert "signin.succeeded" in trail
    events = {
        name: archive.read(name).decode()
        for name in archive.namelist()
        if name.endswith("core_usageevent.user_id.csv")
    }
    # Their own events in both teams they belong to; nobody else's.
    assert set(events) == {
        f"team-{p.team.id}/core_usageevent.user_id.csv",
        f"team-{p.outsider_team.id}/core_usageevent.user_id.csv",
    }
    everything = "".join(events.values())
    assert "probe.mine" in everything
    assert "probe.theirs" in everything
    assert "probe.not_mine" not in everything
    secrets = b"".join(archive.read(n) for n in archive.namelist())
    assert b"S3CR3T" not in secrets
    assert p.viewer.password.encode() not in secrets
    authenticators = [f for f in manifest["files"] if f["table"] == "public.mfa_authenticator"]
    assert authenticators[0]["omitted_columns"] == ["data"]


def test_the_personal_download_needs_a_sign_in():
    response = Client().get("/accounts/data/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
