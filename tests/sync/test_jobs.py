"""The sync jobs: locks, schedules, pause and stop rules, revoked authorizations, the status page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.amazon.signals import connection_disconnected
from ams.core.jobs import app
from ams.core.tenancy import team_scope
from ams.orders.models import OrderLine
from ams.sync import services
from ams.sync.models import Family, SyncRun, SyncState, SyncStatus
from ams.sync.services import REAUTHORIZE_REASON, sync_run
from ams.sync.tasks import ALL_QUEUES, sync_defer, sync_fanout
from tests.factories import Personas
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def _jobs(connection: SellerConnection, status: str = "todo") -> list[ProcrastinateJob]:
    return list(
        ProcrastinateJob.objects.filter(lock__startswith=f"sync:{connection.id}:", status=status)
    )


def _state(connection: SellerConnection, family: str) -> SyncState:
    with team_scope(connection.team_id):
        return SyncState.objects.get(connection=connection, family=family)


def test_a_family_is_queued_at_most_once_per_connection(connection: SellerConnection):
    assert sync_defer(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
    assert not sync_defer(
        team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS
    )
    assert sync_defer(
        team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY
    )
    jobs = _jobs(connection)
    assert sorted(str(j.lock) for j in jobs) == [
        f"sync:{connection.id}:inventory",
        f"sync:{connection.id}:orders",
    ]
    assert {j.queue_name for j in jobs} == {"sync_orders", "sync_inventory"}
    assert _state(connection, Family.ORDERS).status == SyncStatus.QUEUED


def test_the_schedule_fans_out_to_live_authorized_connections_only(
    connection: SellerConnection, personas: Personas
):
    with team_scope(personas.team.id):
        other = SellerConnection.objects.create(
            team=personas.team,
            selling_partner_id="A-OTHER",
            region="EU",
            authorized_at=connection.authorized_at,
            status=ConnectionStatus.NEEDS_REAUTHORIZATION,
        )
    assert sync_fanout(Family.ORDERS) == 1
    assert len(_jobs(connection)) == 1
    assert _jobs(other) == []
    assert sync_fanout(Family.ORDERS) == 0  # the first is still waiting


def test_a_disconnect_cancels_the_waiting_jobs(connection: SellerConnection):
    sync_defer(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
    connection_disconnected.send(sender=SellerConnection, connection=connection)
    assert _jobs(connection) == []
    assert len(_jobs(connection, "cancelled")) == 1


def test_the_worker_runs_a_queued_sync(
    connection: SellerConnection, sim_zones: None, fast_sync: None
):
    sync_defer(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=ALL_QUEUES, wait=False, install_signal_handlers=False, listen_notify=False
        )
    # A first sync's job stores the last 30 days and queues itself again for the older history
    # (docs/sync.md, "Newest first"); the worker runs that one too.
    assert len(_jobs(connection, "succeeded")) == 2
    assert _jobs(connection) == []
    assert _state(connection, Family.ORDERS).status == SyncStatus.DONE
    with team_scope(connection.team_id):
        assert OrderLine.objects.filter(connection=connection).exists()


def test_a_revoked_authorization_pauses_the_connection_without_retrying(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    seller.control("/_sim/revoke", {"selling_partner_id": seller.spid})
    status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)

    assert status == SyncStatus.PAUSED
    with team_scope(connection.team_id):
        connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    state = _state(connection, Family.ORDERS)
    assert state.status == SyncStatus.PAUSED
    assert state.reason == REAUTHORIZE_REASON
    # One refused refresh, no storm: the next run does not even ask Amazon.
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.PAUSED
    )
    with team_scope(connection.team_id):
        assert SyncRun.objects.filter(connection=connection).count() == 1
    assert sync_fanout(Family.ORDERS) == 0


def test_a_lapsed_subscription_pauses_sync_with_the_reason(
    connection: SellerConnection, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(
        services, "sync_allowed", lambda team: (False, "This team's subscription has ended.")
    )
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.PAUSED
    )
    state = _state(connection, Family.ORDERS)
    assert state.status == SyncStatus.PAUSED
    assert "subscription" in state.reason


def test_the_status_page_shows_each_family_and_admins_can_sync_now(
    connection: SellerConnection, personas: Personas
):
    url = reverse("sync_status", args=[personas.team.slug])
    viewer = Client()
    viewer.force_login(personas.viewer)
    page = viewer.get(url)
    assert page.status_code == 200
    assert b"Not synced yet" in page.content
    assert b"Sync now" not in page.content

    admin = Client()
    admin.force_login(personas.admin)
    assert b"Sync now" in admin.get(url).content
    response = admin.post(url, {"connection": connection.id, "family": "orders"})
    assert response.status_code == 302
    assert len(_jobs(connection)) == 1
    assert b"Queued" in admin.get(url).content

    outsider = Client()
    outsider.force_login(personas.outsider)
    own_url = reverse("sync_status", args=[personas.outsider_team.slug])
    assert outsider.post(own_url, {"connection": connection.id}).status_code == 404
