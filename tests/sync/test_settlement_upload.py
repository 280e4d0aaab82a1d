"""Settlement history uploaded by owners and admins: stored, read by the job, merged whole once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ams.accounts.models import User
from ams.amazon.models import SellerConnection
from ams.core.jobs import app
from ams.core.models import StoredFile
from ams.core.tenancy import team_scope
from ams.finance.models import Settlement, SettlementLine
from ams.sync import uploads
from ams.sync.models import Family, SettlementUpload, SyncStatus, UploadStatus
from ams.sync.services import sync_run
from ams.sync.tasks import UPLOAD_QUEUE
from tests.amazon.factories import make_connection
from tests.factories import Personas
from tests.sync import settlement_files as sf
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(personas: Personas) -> str:
    return reverse("settlement_uploads", args=[personas.team.slug])


def _upload(
    personas: Personas,
    connection: SellerConnection,
    files: dict[str, bytes],
    *,
    user: User | None = None,
):
    return _client(user or personas.admin).post(
        _url(personas),
        {
            "connection": connection.id,
            "reports": [SimpleUploadedFile(name, data) for name, data in files.items()],
        },
    )


def _work() -> None:
    """Run the queued upload jobs with the real worker, to the end of the queue."""
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=[UPLOAD_QUEUE], wait=False, install_signal_handlers=False, listen_notify=False
        )


def _uploads(team_id: int) -> list[SettlementUpload]:
    with team_scope(team_id):
        return list(SettlementUpload.objects.filter(team_id=team_id).order_by("id"))


def _held(team_id: int) -> tuple[dict[str, Settlement], int]:
    with team_scope(team_id):
        settlements = {s.settlement_id: s for s in Settlement.objects.filter(team_id=team_id)}
        return settlements, SettlementLine.objects.filter(team_id=team_id).count()


@pytest.fixture
def account(personas: Personas) -> SellerConnection:
    return make_connection(personas.team)


def test_an_admin_uploads_v1_and_v2_files_and_sees_what_each_became(
    personas: Personas, account: SellerConnection
):
    v2 = sf.decimal_commas(sf.dotted_dates(sf.v2_sample()))
    v1_gbp, v1_aud = sf.v1_samples()
    response = _upload(
        personas,
        account,
        {
            "v2.txt.gz": sf.gzipped(sf.encoded(v2, "cp1252", bom=False)),
            "history.zip": sf.zipped(
                {"a.txt": sf.encoded(sf.trailing_spaces(v1_gbp)), "b.txt": sf.encoded(v1_aud)}
            ),
        },
    )
    assert response.status_code == 302
    (first, second) = _uploads(personas.team.id)
    assert first.status == second.status == UploadStatus.WAITING

    _work()

    first, second = _uploads(personas.team.id)
    assert (first.status, second.status) == (UploadStatus.DONE, UploadStatus.DONE)
    assert first.bytes_read == first.size > 0
    with team_scope(personas.team.id):
        # Read to its end, the stored copy is gone.
        assert not StoredFile.objects.filter(team=personas.team).exists()
    assert [d["outcome"] for d in first.documents] == ["stored"]
    assert first.documents[0]["format"] == "v2"
    assert first.documents[0]["starts_at"] == "2026-06-16T00:00:00+00:00"
    assert [(d["settlement_id"], d["outcome"]) for d in second.documents] == [
        ("13690633142", "stored"),
        ("10661580643", "stored"),
    ]

    settlements, lines = _held(personas.team.id)
    assert set(settlements) == {"28471003921", "13690633142", "10661580643"}
    assert lines == 23 + 2 + 3
    for settlement, total, currency in (
        ("28471003921", "582.89", "USD"),
        ("13690633142", "-15.68", "GBP"),
        ("10661580643", "-15.50", "AUD"),
    ):
        held = settlements[settlement]
        assert (held.total_amount, held.currency) == (Decimal(total), currency)
        assert held.lines_reconciled
        assert held.lines_total == held.total_amount
        assert held.connection_id == account.id
    with team_scope(personas.team.id):
        gbp = list(
            SettlementLine.objects.filter(settlement_id="13690633142").order_by("line_number")
        )
    assert [(line.currency, line.amount) for line in gbp] == [
        ("GBP", Decimal("-7.93")),
        ("GBP", Decimal("-7.75")),
    ]

    page = _client(personas.viewer).get(_url(personas))
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("28471003921", "582.89 USD", "Stored · reconciled", "history.zip/a.txt"):
        assert expected in text


def test_the_same_file_uploaded_twice_is_stored_once(personas: Personas, account: SellerConnection):
    data = sf.encoded(sf.v2_sample())
    _upload(personas, account, {"june.txt": data})
    _work()
    _upload(personas, account, {"june-again.txt": data})
    _work()
    first, second = _uploads(personas.team.id)
    assert first.documents[0]["outcome"] == "stored"
    assert second.documents[0]["outcome"] == "held"
    settlements, lines = _held(personas.team.id)
    assert list(settlements) == ["28471003921"]
    assert lines == 23
    assert settlements["28471003921"].report_id == f"upload-{first.id}"


BAD_FILES = {
    "orders.txt": (
        b"amazon-order-id\tpurchase-date\tsku\n111-1\t2026-01-01\tA\n",
        "not a settlement report",
    ),
    "cut.txt": (sf.encoded(sf.v2_sample())[:-40], "cut short"),
    "garbage.bin": (bytes(range(256)) * 50, "not a text file"),
    "mixed.txt": (
        sf.encoded(
            sf.Sheet(sf.v1_samples()[0].header, [r for s in sf.v1_samples() for r in s.rows])
        ),
        "the file mixes settlements",
    ),
    "off-by-a-cent.txt": (
        sf.encoded(sf.v2_sample()).replace(b"\t-19.50\t", b"\t-19.51\t", 1),
        "the lines add up to 582.88 USD, the summary's total is 582.89 USD",
    ),
    "cut.txt.gz": (sf.gzipped(sf.encoded(sf.v2_sample()))[:-30], "cut short"),
}


def test_malformed_files_are_refused_with_their_reason_and_store_nothing(
    personas: Personas, account: SellerConnection
):
    _upload(personas, account, {name: data for name, (data, _reason) in BAD_FILES.items()})
    _work()
    done = _uploads(personas.team.id)
    assert [u.status for u in done] == [UploadStatus.DONE] * len(BAD_FILES)
    for upload, (_data, reason) in zip(done, BAD_FILES.values(), strict=True):
        (document,) = upload.documents
        assert document["outcome"] == "refused"
        assert reason in document["reason"], (upload.name, document["reason"])
    assert _held(personas.team.id) == ({}, 0)
    text = _client(personas.owner).get(_url(personas)).content.decode()
    assert "Refused: the file mixes settlements" in text


def test_a_refused_document_in_a_zip_leaves_the_others_stored(
    personas: Personas, account: SellerConnection
):
    bad = sf.encoded(sf.v2_sample()).replace(b"\t-19.50\t", b"\t-19.51\t", 1)
    _upload(
        personas,
        account,
        {"mix.zip": sf.zipped({"bad.txt": bad, "good.txt": sf.encoded(sf.v1_samples()[0])})},
    )
    _work()
    (upload,) = _uploads(personas.team.id)
    assert [d["outcome"] for d in upload.documents] == ["refused", "stored"]
    settlements, lines = _held(personas.team.id)
    assert list(settlements) == ["13690633142"]
    assert lines == 2


def test_viewers_and_members_cannot_upload_and_outsiders_see_nothing(
    personas: Personas, account: SellerConnection
):
    data = sf.encoded(sf.v2_sample())
    for user in (personas.viewer, personas.member):
        page = _client(user).get(_url(personas))
        assert page.status_code == 200
        assert b"settlement-upload-form" not in page.content
        assert _upload(personas, account, {"x.txt": data}, user=user).status_code == 403
    with team_scope(personas.team.id):
        assert not StoredFile.objects.filter(team=personas.team).exists()
    assert _uploads(personas.team.id) == []

    _upload(personas, account, {"mine.txt": data}, user=personas.owner)
    _work()
    outsider = _client(personas.outsider)
    assert outsider.get(_url(personas)).status_code == 404
    assert _upload(personas, account, {"x.txt": data}, user=personas.outsider).status_code == 404
    own = outsider.get(reverse("settlement_uploads", args=[personas.outsider_team.slug]))
    assert own.status_code == 200
    assert b"mine.txt" not in own.content
    assert b"28471003921" not in own.content
    with team_scope(personas.outsider_team.id):
        assert not Settlement.objects.exists()
        assert not SettlementUpload.objects.exists()


def test_an_upload_needs_the_csrf_token(personas: Personas, account: SellerConnection):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.owner)
    data = {"connection": account.id, "reports": SimpleUploadedFile("x.txt", b"x")}
    assert client.post(_url(personas), data).status_code == 403
    assert _uploads(personas.team.id) == []
    page = client.get(_url(personas))
    token = page.cookies["csrftoken"].value
    data["reports"] = SimpleUploadedFile("x.txt", sf.encoded(sf.v2_sample()))
    response = client.post(_url(personas), {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert len(_uploads(personas.team.id)) == 1


def test_an_upload_names_an_account_of_the_team(personas: Personas, account: SellerConnection):
    other = make_connection(personas.outsider_team)
    response = _upload(personas, other, {"x.txt": sf.encoded(sf.v2_sample())})
    assert response.status_code == 400
    assert _uploads(personas.team.id) == []


def test_a_file_over_the_limit_is_refused_before_it_is_stored(
    personas: Personas, account: SellerConnection, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    response = _upload(personas, account, {"big.txt": sf.encoded(sf.v2_sample())})
    assert response.status_code == 400
    assert b"big.txt is larger than" in response.content
    assert _uploads(personas.team.id) == []


def test_the_page_polls_while_a_file_is_read(personas: Personas, account: SellerConnection):
    _upload(personas, account, {"june.txt": sf.encoded(sf.v2_sample())})
    admin = _client(personas.admin)
    partial = admin.get(_url(personas), headers={"HX-Request": "true"})
    assert b'hx-trigger="every 3s"' in partial.content
    assert b"<html" not in partial.content
    assert b"Waiting" in partial.content
    _work()
    partial = admin.get(_url(personas), headers={"HX-Request": "true"})
    assert b"hx-trigger" not in partial.content
    assert b"Stored" in partial.content


# --- with the sync ---------------------------------------------------------------------------------


def test_a_settlement_the_sync_brought_is_not_stored_again(
    connection: SellerConnection, seller: SimSeller, personas: Personas, fast_sync: None
):
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.SETTLEMENTS)
        == SyncStatus.DONE
    )
    before_settlements, before_lines = _held(connection.team_id)
    documents = sf.simulator_documents(seller)
    files = {f"{s.settlement_id}-v1.txt": sf.encoded(sf.as_v1(s)) for s in documents}
    files |= {f"{s.settlement_id}-v2.txt": sf.encoded(s) for s in documents}
    _upload(personas, connection, files)
    _work()
    assert all(u.documents[0]["outcome"] == "held" for u in _uploads(connection.team_id))
    after_settlements, after_lines = _held(connection.team_id)
    assert after_lines == before_lines
    assert {k: (s.total_amount, s.report_id) for k, s in after_settlements.items()} == {
        k: (s.total_amount, s.report_id) for k, s in before_settlements.items()
    }


def test_an_uploaded_settlement_the_sync_brings_later_stays_one(
    connection: SellerConnection, seller: SimSeller, personas: Personas, fast_sync: None
):
    documents = sf.simulator_documents(seller)
    # The old layout has more lines, numbered differently; the sync's report replaces them.
    old = {s.settlement_id: sf.with_zero_tax_rows(sf.as_v1(s)) for s in documents}
    _upload(personas, connection, {f"{k}.txt": sf.encoded(v) for k, v in old.items()})
    _work()
    assert all(u.documents[0]["outcome"] == "stored" for u in _uploads(connection.team_id))
    uploaded, lines = _held(connection.team_id)
    assert set(uploaded) == {s.settlement_id for s in documents}
    assert lines == sum(len(v.amounts()) for v in old.values())
    assert lines > sum(len(s.amounts()) for s in documents)

    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.SETTLEMENTS)
        == SyncStatus.DONE
    )
    settlements, lines = _held(connection.team_id)
    assert set(settlements) == set(uploaded)
    assert lines == sum(len(s.amounts()) for s in documents)
    for sheet in documents:
        held = settlements[sheet.settlement_id]
        assert held.total_amount == sheet.total
        assert held.lines_reconciled
        assert held.line_count == len(sheet.amounts())
