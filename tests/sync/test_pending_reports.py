"""A report the reader refuses is never counted as read: it stays pending with its reason, is
shown on the sync page, and is read once the reader learns its format or someone asks."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.finance.models import Settlement, SettlementLine
from ams.orders.models import Order
from ams.sync.models import Family, PendingReport, SyncRun, SyncState, SyncStatus
from ams.sync.parsers import finance as settlement_parser
from ams.sync.parsers import orders as orders_parser
from ams.sync.services import sync_run
from tests.factories import Personas
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)

# A column no settlement report has: the reader as it would be if it needed one more.
UNKNOWN = "settlement-reserve-code"


def _settlements(connection: SellerConnection) -> SyncStatus:
    return sync_run(
        team_id=connection.team_id, connection_id=connection.id, family=Family.SETTLEMENTS
    )


def _pending(connection: SellerConnection, family: str) -> list[PendingReport]:
    with team_scope(connection.team_id):
        return list(
            PendingReport.objects.filter(connection=connection, family=family).order_by("id")
        )


def _state(connection: SellerConnection, family: str) -> SyncState:
    with team_scope(connection.team_id):
        return SyncState.objects.get(connection=connection, family=family)


def _last_run(connection: SellerConnection, family: str) -> SyncRun:
    with team_scope(connection.team_id):
        return SyncRun.objects.filter(connection=connection, family=family).latest("started_at")


def _stored(connection: SellerConnection) -> tuple[int, int]:
    with team_scope(connection.team_id):
        return (
            Settlement.objects.filter(connection=connection).count(),
            SettlementLine.objects.filter(connection=connection).count(),
        )


def _refuse_settlements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        settlement_parser,
        "SETTLEMENT_REQUIRED",
        (*settlement_parser.SETTLEMENT_REQUIRED, UNKNOWN),
    )


def _published(seller: SimSeller) -> list[dict[str, object]]:
    published = [s for s in seller.truth()["settlements"] if s["report_available"]]
    assert published, "the simulated history has closed settlements"
    return published


def test_a_refused_settlement_report_stays_pending_and_is_read_after_the_reader_is_fixed(
    connection: SellerConnection,
    seller: SimSeller,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    fast_sync: None,
):
    published = _published(seller)
    required = settlement_parser.SETTLEMENT_REQUIRED
    version = settlement_parser.SETTLEMENT_PARSER_VERSION
    _refuse_settlements(monkeypatch)

    assert _settlements(connection) == SyncStatus.PARTIAL
    assert _stored(connection) == (0, 0)
    kept = _pending(connection, Family.SETTLEMENTS)
    assert len(kept) == len(published)
    assert all(p.resolved_at is None and p.attempts == 1 for p in kept)
    assert all(f"no column '{UNKNOWN}'" in p.reason for p in kept)
    assert all(p.document_id and p.parser_version == version for p in kept)
    # Nothing is counted as read, and files are counted as files, not as rows.
    assert _state(connection, Family.SETTLEMENTS).cursor.get("reports", []) == []
    run = _last_run(connection, Family.SETTLEMENTS)
    assert (run.files_refused, run.quarantined) == (len(published), 0)
    assert f"{len(published)} report file(s) could not be read at all" in run.reason
    assert "row(s)" not in run.reason

    # The sync page lists them with the reason, what happens next, and (for an admin) Try again.
    owner = Client()
    owner.force_login(personas.owner)
    page = owner.get(reverse("sync_status", args=[personas.team.slug])).content.decode()
    assert "Reports not imported" in page
    assert all(p.report_id in page for p in kept)
    assert f"no column &#x27;{UNKNOWN}&#x27;" in page
    assert "Try again" in page
    viewer = Client()
    viewer.force_login(personas.viewer)
    seen = viewer.get(reverse("sync_status", args=[personas.team.slug])).content.decode()
    assert kept[0].report_id in seen
    assert "Try again" not in seen
    outsider = Client()
    outsider.force_login(personas.outsider)
    theirs = outsider.get(reverse("sync_status", args=[personas.outsider_team.slug]))
    assert theirs.status_code == 200
    assert kept[0].report_id not in theirs.content.decode()

    # The same reader again: nothing to retry, still said to be pending.
    assert _settlements(connection) == SyncStatus.PARTIAL
    assert [p.attempts for p in _pending(connection, Family.SETTLEMENTS)] == [1] * len(kept)
    assert "still not imported" in _state(connection, Family.SETTLEMENTS).reason

    # A deploy teaches the reader the format: the pending reports are read by themselves.
    monkeypatch.setattr(settlement_parser, "SETTLEMENT_REQUIRED", required)
    monkeypatch.setattr(settlement_parser, "SETTLEMENT_PARSER_VERSION", version + 1)
    assert _settlements(connection) == SyncStatus.DONE
    lines = sum(int(str(s["lines"])) for s in published)
    assert _stored(connection) == (len(published), lines)
    assert all(p.resolved_at is not None for p in _pending(connection, Family.SETTLEMENTS))
    assert sorted(_state(connection, Family.SETTLEMENTS).cursor["reports"]) == sorted(
        p.report_id for p in kept
    )
    with team_scope(connection.team_id):
        for expected in published:
            ours = Settlement.objects.get(
                connection=connection, settlement_id=expected["settlement_id"]
            )
            assert ours.lines_reconciled is True
    page = owner.get(reverse("sync_status", args=[personas.team.slug])).content.decode()
    assert "Reports not imported" not in page

    # Read once: another run stores nothing twice.
    assert _settlements(connection) == SyncStatus.DONE
    assert _stored(connection) == (len(published), lines)


def test_try_again_is_for_owners_and_admins_and_reads_the_report_on_the_next_run(
    connection: SellerConnection,
    seller: SimSeller,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    fast_sync: None,
):
    published = _published(seller)
    assert len(published) > 1
    required = settlement_parser.SETTLEMENT_REQUIRED
    _refuse_settlements(monkeypatch)
    assert _settlements(connection) == SyncStatus.PARTIAL
    first = _pending(connection, Family.SETTLEMENTS)[0]
    url = reverse("sync_pending_retry", args=[personas.team.slug, first.id])

    viewer = Client()
    viewer.force_login(personas.viewer)
    assert viewer.post(url).status_code == 403
    outsider = Client()
    outsider.force_login(personas.outsider)
    assert outsider.post(url).status_code == 404
    # Through the outsider's own team, the other team's report does not exist.
    own = reverse("sync_pending_retry", args=[personas.outsider_team.slug, first.id])
    assert outsider.post(own).status_code == 404
    assert not any(p.retry_requested for p in _pending(connection, Family.SETTLEMENTS))

    owner = Client()
    owner.force_login(personas.owner)
    assert owner.get(url).status_code == 405
    response = owner.post(url)
    assert response.status_code == 302
    assert next(p.retry_requested for p in _pending(connection, Family.SETTLEMENTS)) is True
    assert ProcrastinateJob.objects.filter(
        lock=f"sync:{connection.id}:{Family.SETTLEMENTS}", status="todo"
    ).exists()
    page = owner.get(reverse("sync_status", args=[personas.team.slug])).content.decode()
    assert "Another attempt is queued." in page

    # Amazon's file was the problem and is fine now (the reader is as it was): only the report
    # asked for is read, the others stay pending with the version that refused them.
    monkeypatch.setattr(settlement_parser, "SETTLEMENT_REQUIRED", required)
    _settlements(connection)
    after = {p.id: p for p in _pending(connection, Family.SETTLEMENTS)}
    assert after[first.id].resolved_at is not None
    assert after[first.id].attempts == 2
    assert all(p.resolved_at is None for i, p in after.items() if i != first.id)
    with team_scope(connection.team_id):
        read = Settlement.objects.get(connection=connection)
        lines = SettlementLine.objects.filter(connection=connection).count()
    assert read.report_id == first.report_id
    truth = next(s for s in published if s["settlement_id"] == read.settlement_id)
    assert lines == truth["lines"]
    # A resolved report cannot be asked again.
    assert owner.post(url).status_code == 404


def test_a_pending_report_amazon_no_longer_has_stays_listed_and_says_so(
    connection: SellerConnection,
    seller: SimSeller,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    fast_sync: None,
):
    _published(seller)
    version = settlement_parser.SETTLEMENT_PARSER_VERSION
    _refuse_settlements(monkeypatch)
    assert _settlements(connection) == SyncStatus.PARTIAL
    first = _pending(connection, Family.SETTLEMENTS)[0]
    with team_scope(connection.team_id):
        # What Amazon answers for a document it has deleted: it knows no such id.
        PendingReport.objects.filter(id=first.id).update(document_id="amzn1.spdoc.1.4.na.gone")

    monkeypatch.setattr(settlement_parser, "SETTLEMENT_PARSER_VERSION", version + 1)
    assert _settlements(connection) == SyncStatus.PARTIAL
    gone = next(p for p in _pending(connection, Family.SETTLEMENTS) if p.id == first.id)
    assert gone.expired
    assert gone.resolved_at is None
    assert "no longer available from Amazon" in _state(connection, Family.SETTLEMENTS).reason
    owner = Client()
    owner.force_login(personas.owner)
    page = owner.get(reverse("sync_status", args=[personas.team.slug])).content.decode()
    assert "Amazon no longer has this document" in page


def test_a_refused_order_window_is_kept_and_requested_again_once_the_reader_knows_it(
    connection: SellerConnection,
    seller: SimSeller,
    monkeypatch: pytest.MonkeyPatch,
    sim_zones: None,
    fast_sync: None,
):
    required = orders_parser.REQUIRED
    version = orders_parser.PARSER_VERSION
    monkeypatch.setattr(orders_parser, "REQUIRED", (*required, "order-fulfilment-code"))
    status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)

    assert status == SyncStatus.PARTIAL
    kept = _pending(connection, Family.ORDERS)
    assert kept
    assert all(p.window_start and p.window_end for p in kept)
    # The backfill moved on past the refused windows, and they are not lost.
    assert _state(connection, Family.ORDERS).cursor.get("backfill_done") is True
    run = _last_run(connection, Family.ORDERS)
    assert run.files_refused == len(kept)

    monkeypatch.setattr(orders_parser, "REQUIRED", required)
    monkeypatch.setattr(orders_parser, "PARSER_VERSION", version + 1)
    status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
    assert status == SyncStatus.DONE
    assert all(p.resolved_at is not None for p in _pending(connection, Family.ORDERS))
    with team_scope(connection.team_id):
        assert (
            Order.objects.filter(connection=connection).count() == seller.truth()["orders"]["count"]
        )
