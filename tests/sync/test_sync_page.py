"""The sync page: per connection and data family, the run under way with its counters, the history
held, the rows the last run added and changed, and what to do about a failure; polled only while
something runs. Real syncs against the simulator, a real worker for the retried job."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.amazon.models import SellerConnection
from ams.catalog.models import Listing
from ams.core.jobs import app
from ams.core.tenancy import team_scope
from ams.orders.models import Order, OrderLine
from ams.sync import clients, selectors, services
from ams.sync.context import SyncContext
from ams.sync.models import Family, PendingReport, SyncRun, SyncState, SyncStatus
from ams.sync.selectors import FamilyRow, Remedy
from ams.sync.services import RetryableSyncError, sync_run
from ams.sync.tasks import ALL_QUEUES, sync_defer
from ams.teams.models import Team
from spapi.http import RetryPolicy
from tests.amazon.factories import make_connection
from tests.factories import Personas
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def _family(team: Team, family: Family) -> FamilyRow:
    with team_scope(team.id):
        (row,) = selectors.sync_overview(team=team)
    return next(f for f in row.families if f.family == family)


def _page(user: Any, team: Team, *, htmx: bool = False) -> str:
    client = Client()
    client.force_login(user)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(reverse("sync_status", args=[team.slug]), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def outsider_running(personas: Personas) -> SellerConnection:
    """Another team's connection with a run under way: never seen on this team's page."""
    theirs = make_connection(personas.outsider_team)
    with team_scope(personas.outsider_team.id):
        SellerConnection.objects.filter(id=theirs.id).update(name="Outsider Shop")
        SyncState.objects.create(
            team=personas.outsider_team,
            connection=theirs,
            family=Family.ORDERS,
            status=SyncStatus.RUNNING,
        )
        SyncRun.objects.create(
            team=personas.outsider_team,
            connection=theirs,
            family=Family.ORDERS,
            started_at=timezone.now(),
            reports_requested=7,
            rows_read=98765,
        )
    return theirs


def test_a_family_never_synced_says_so_and_the_page_does_not_poll(
    connection: SellerConnection, personas: Personas, outsider_running: SellerConnection
):
    for family in Family:
        row = _family(personas.team, family)
        assert row.status == SyncStatus.NEVER
        assert (row.run, row.last_finished, row.running_run) == (None, None, None)
        assert (row.history_from, row.history_through, row.retry_at) == (None, None, None)
        assert row.remedy == Remedy.NONE
    html = _page(personas.viewer, personas.team)
    assert "Not synced yet" in html
    assert "hx-trigger" not in html
    assert "Outsider Shop" not in html
    assert "98,765" not in html


def test_a_running_sync_counts_as_it_goes_and_the_page_polls(
    connection: SellerConnection,
    personas: Personas,
    sim_zones: None,
    fast_sync: None,
    monkeypatch: pytest.MonkeyPatch,
    outsider_running: SellerConnection,
):
    """What the page reads at each step of a real orders backfill: the run's counters, written
    while it runs, grow from one step to the next."""
    seen: list[FamilyRow] = []
    pages: list[str] = []
    progress = SyncContext.progress

    def observed(ctx: SyncContext, done: int, total: int | None) -> None:
        progress(ctx, done, total)
        seen.append(_family(personas.team, Family.ORDERS))
        pages.append(_page(personas.viewer, personas.team, htmx=True))

    monkeypatch.setattr(SyncContext, "progress", observed)
    assert sync_run(
        team_id=personas.team.id, connection_id=connection.id, family=Family.ORDERS
    ) in (SyncStatus.DONE, SyncStatus.PARTIAL)

    assert len(seen) >= 2
    for row in seen:
        assert row.status == SyncStatus.RUNNING
        assert row.running_run is not None
        assert row.remedy == Remedy.NONE
    runs = [row.running_run for row in seen if row.running_run is not None]
    downloaded = [r.reports_downloaded for r in runs]
    assert downloaded == sorted(downloaded)
    assert downloaded[0] >= 1
    assert downloaded[-1] > downloaded[0]
    assert all(r.reports_requested >= r.reports_downloaded for r in runs)
    assert runs[0].rows_read > 0
    assert [r.rows_read for r in runs] == sorted(r.rows_read for r in runs)
    # The history reaches further back as the backfill moves to older windows.
    starts = [row.history_from for row in seen]
    assert all(s is not None for s in starts)
    assert starts[-1] < starts[0]  # type: ignore[operator]
    # The polled fragment shows the counters, and asks again.
    assert 'data-count="reports_downloaded">1<' in pages[0]
    assert "hx-trigger" in pages[0]
    assert "Outsider Shop" not in pages[0]

    done = _family(personas.team, Family.ORDERS)
    assert done.running_run is None
    assert done.last_finished is not None
    # The first run stored every order and line it read as new rows.
    with team_scope(personas.team.id):
        stored = (
            Order.objects.filter(connection=connection).count()
            + OrderLine.objects.filter(connection=connection).count()
        )
    assert done.last_finished.rows_added == stored
    assert done.last_finished.rows_updated == 0
    assert done.last_finished.pages_read >= 1  # the incremental read's searchOrders pages
    html = _page(personas.viewer, personas.team)
    assert "hx-trigger" not in html
    assert f'data-count="rows_added">{stored:,}<' in html


def test_the_last_run_says_how_many_rows_it_added_and_how_many_it_changed(
    connection: SellerConnection, personas: Personas
):
    assert sync_run(
        team_id=personas.team.id, connection_id=connection.id, family=Family.LISTINGS
    ) in (SyncStatus.DONE, SyncStatus.PARTIAL)
    first = _family(personas.team, Family.LISTINGS).last_finished
    assert first is not None
    assert first.rows_added > 0
    assert first.rows_updated == 0
    assert first.pages_read >= 1

    # AMS's copy of one listing differs from Amazon's: the next run changes it back, adds nothing.
    with team_scope(personas.team.id):
        listing = Listing.objects.filter(connection=connection, price__isnull=False).first()
        assert listing is not None
        assert listing.price is not None
        Listing.objects.filter(id=listing.id).update(price=listing.price + Decimal("1.00"))
    assert sync_run(
        team_id=personas.team.id, connection_id=connection.id, family=Family.LISTINGS
    ) in (SyncStatus.DONE, SyncStatus.PARTIAL)
    second = _family(personas.team, Family.LISTINGS).last_finished
    assert second is not None
    assert second.id != first.id
    assert (second.rows_added, second.rows_updated) == (0, 1)
    html = _page(personas.viewer, personas.team)
    assert (
        'data-count="rows_added">0</span> added, <span data-count="rows_updated">1</span>' in html
    )


def _failing_client(seller: SimSeller, monkeypatch: pytest.MonkeyPatch) -> None:
    """Amazon answers 503 to everything; the client gives up at once instead of backing off."""

    def client(_connection: SellerConnection) -> Any:
        failing = seller.client()
        failing.retry = RetryPolicy(max_attempts=1)
        return failing

    monkeypatch.setattr(clients, "client_for", client)
    seller.control("/_sim/faults", {"error_rate": 1.0, "kinds": ["503"]})


def test_a_failed_run_that_is_retried_says_when(
    connection: SellerConnection,
    personas: Personas,
    seller: SimSeller,
    monkeypatch: pytest.MonkeyPatch,
):
    _failing_client(seller, monkeypatch)
    sync_defer(team_id=personas.team.id, connection_id=connection.id, family=Family.FINANCES)
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=ALL_QUEUES, wait=False, install_signal_handlers=False, listen_notify=False
        )
    (job,) = ProcrastinateJob.objects.filter(lock=f"sync:{connection.id}:finances", status="todo")
    row = _family(personas.team, Family.FINANCES)
    assert row.status == SyncStatus.FAILED
    assert row.remedy == Remedy.RETRY_SCHEDULED
    assert row.retry_at is not None
    assert row.retry_at == job.scheduled_at
    assert row.retry_at > timezone.now()
    assert "did not answer properly" in row.reason
    html = _page(personas.viewer, personas.team)
    assert f'AMS tries again at <time datetime="{row.retry_at.isoformat()}">' in html
    assert f"{row.retry_at:%H:%M} UTC" in html
    # Nothing runs until then: the page does not poll meanwhile.
    assert "hx-trigger" not in html


def test_a_failed_run_with_no_retry_left_says_to_sync_now(
    connection: SellerConnection,
    personas: Personas,
    seller: SimSeller,
    monkeypatch: pytest.MonkeyPatch,
):
    _failing_client(seller, monkeypatch)
    with pytest.raises(RetryableSyncError):
        sync_run(team_id=personas.team.id, connection_id=connection.id, family=Family.FINANCES)
    row = _family(personas.team, Family.FINANCES)
    assert row.status == SyncStatus.FAILED
    assert row.remedy == Remedy.SYNC_NOW
    assert row.last_finished is not None
    assert row.last_finished.status == SyncStatus.FAILED
    assert 'Choose "Sync now" to try again.' in _page(personas.admin, personas.team)
    viewer_html = _page(personas.viewer, personas.team)
    assert "when an owner or admin chooses" in viewer_html
    assert "hx-trigger" not in viewer_html


def test_a_revoked_authorization_offers_to_reauthorize(
    connection: SellerConnection, personas: Personas, seller: SimSeller
):
    seller.control("/_sim/revoke", {"selling_partner_id": seller.spid})
    assert (
        sync_run(team_id=personas.team.id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.PAUSED
    )
    assert _family(personas.team, Family.ORDERS).remedy == Remedy.REAUTHORIZE
    # Every family waits on it, run or not.
    assert _family(personas.team, Family.LEDGER).remedy == Remedy.REAUTHORIZE
    reauthorize = reverse("amazon_reauthorize", args=[personas.team.slug, connection.id])
    admin_html = _page(personas.admin, personas.team)
    assert f'action="{reauthorize}"' in admin_html
    viewer_html = _page(personas.viewer, personas.team)
    assert f'action="{reauthorize}"' not in viewer_html
    assert reverse("amazon_connections", args=[personas.team.slug]) in viewer_html
    assert "Ask an owner or admin to re-authorize it" in viewer_html
    # The page never shows a token.
    assert seller.refresh_token not in admin_html


def test_reports_not_imported_point_to_try_again(connection: SellerConnection, personas: Personas):
    now = timezone.now()
    with team_scope(personas.team.id):
        report = PendingReport.objects.create(
            team=personas.team,
            connection=connection,
            family=Family.SETTLEMENTS,
            report_type="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
            report_id="R-1",
            document_id="D-1",
            reason="Column total-amount is missing.",
            parser_version=1,
            first_attempt_at=now,
            last_attempt_at=now,
        )
    row = _family(personas.team, Family.SETTLEMENTS)
    assert (row.remedy, row.pending_reports) == (Remedy.PENDING_REPORTS, 1)
    assert _family(personas.team, Family.ORDERS).remedy == Remedy.NONE
    html = _page(personas.admin, personas.team)
    assert "1 report not imported" in html
    assert reverse("sync_pending_retry", args=[personas.team.slug, report.id]) in html


def test_an_outsider_gets_404_and_a_viewer_reads_but_cannot_sync(
    connection: SellerConnection, personas: Personas, outsider_running: SellerConnection
):
    url = reverse("sync_status", args=[personas.team.slug])
    outsider = Client()
    outsider.force_login(personas.outsider)
    assert outsider.get(url).status_code == 404
    assert outsider.get(url, headers={"HX-Request": "true"}).status_code == 404
    viewer = Client()
    viewer.force_login(personas.viewer)
    fragment = viewer.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert b'id="sync-status"' in fragment.content
    assert b"<html" not in fragment.content
    assert b"Sync now" not in fragment.content
    assert viewer.post(url, {"connection": connection.id, "family": "orders"}).status_code == 403


def test_the_page_reads_in_the_same_queries_however_many_connections_and_runs(
    personas: Personas,
):
    def queries() -> int:
        with team_scope(personas.team.id), CaptureQueriesContext(db) as captured:
            selectors.sync_overview(team=personas.team)
        return len(captured.captured_queries)

    def add_connection_with_runs(runs: int) -> None:
        conn = make_connection(personas.team)
        with team_scope(personas.team.id):
            for family in Family:
                SyncState.objects.create(
                    team=personas.team, connection=conn, family=family, status=SyncStatus.DONE
                )
                for n in range(runs):
                    SyncRun.objects.create(
                        team=personas.team,
                        connection=conn,
                        family=family,
                        started_at=timezone.now(),
                        finished_at=timezone.now() if n else None,
                        rows_added=n,
                    )

    add_connection_with_runs(1)
    one = queries()
    add_connection_with_runs(3)
    add_connection_with_runs(3)
    assert queries() == one


def test_sync_paused_by_billing_says_why_and_points_the_owner_to_billing(
    connection: SellerConnection, personas: Personas, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(
        services, "sync_allowed", lambda team: (False, "This team's subscription has ended.")
    )
    assert (
        sync_run(team_id=personas.team.id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.PAUSED
    )
    row = _family(personas.team, Family.ORDERS)
    assert row.remedy == Remedy.BILLING
    billing = reverse("billing", args=[personas.team.slug])
    remedy = f'<small class="sync-remedy"><a href="{billing}">'
    viewer_html = _page(personas.viewer, personas.team)
    assert "subscription has ended" in viewer_html
    assert remedy not in viewer_html
    assert remedy in _page(personas.owner, personas.team)
