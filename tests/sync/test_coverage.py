"""What each family holds of a team's history (ams.sync.coverage), from real syncs against the
simulator: nothing before the first sync, "syncing…" while it runs, and how far back the backfill
has reached; never another team's state."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.core.months import months_before
from ams.core.retention import AMAZON_MONTHS
from ams.core.tenancy import team_scope
from ams.sync.coverage import NOT_SYNCED, SYNCING, family_coverage
from ams.sync.models import Family, SyncRun, SyncState, SyncStatus
from ams.sync.services import sync_run
from ams.sync.syncers import finances as finances_syncer
from ams.sync.syncers import orders as orders_syncer
from ams.teams.models import Team
from tests.amazon.factories import make_connection
from tests.factories import Personas
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def coverage(team: Team):
    with team_scope(team.id):
        return family_coverage(team=team)


def test_coverage_follows_a_first_sync(
    personas: Personas, connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    team = personas.team
    before = coverage(team)
    for family in Family:
        assert not before[family.value].synced
        assert before[family.value].waiting == NOT_SYNCED
        assert before[family.value].history_from is None
    with team_scope(team.id):
        SyncState.objects.update_or_create(
            team=team,
            connection=connection,
            family=Family.ORDERS,
            defaults={"status": SyncStatus.RUNNING},
        )
    assert coverage(team)["orders"].waiting == SYNCING

    assert sync_run(team_id=team.id, connection_id=connection.id, family=Family.ORDERS) in (
        SyncStatus.DONE,
        SyncStatus.PARTIAL,
    )
    orders = coverage(team)["orders"]
    assert orders.synced
    assert orders.waiting == ""
    with team_scope(team.id):
        cursor = SyncState.objects.get(connection=connection, family=Family.ORDERS).cursor
    until = datetime.fromisoformat(cursor["backfill_until"])
    assert orders.history_from == until - timedelta(days=orders_syncer.BACKFILL_DAYS)
    assert orders.last_completed is not None
    assert not coverage(team)["finances"].synced

    started = timezone.now()
    assert sync_run(team_id=team.id, connection_id=connection.id, family=Family.FINANCES) in (
        SyncStatus.DONE,
        SyncStatus.PARTIAL,
    )
    finances = coverage(team)["finances"]
    assert finances.synced
    with team_scope(team.id):
        run = SyncRun.objects.get(connection=connection, family=Family.FINANCES)
        cursor = SyncState.objects.get(connection=connection, family=Family.FINANCES).cursor
    assert run.started_at >= started
    # Two years back, or the team's 18 months of retention where that is shorter: what was read.
    until = datetime.fromisoformat(cursor["backfill_until"])
    assert started - timedelta(seconds=1) <= until <= timezone.now()
    assert cursor["backfill_done"]
    reached = max(
        until - timedelta(days=finances_syncer.BACKFILL_DAYS), months_before(until, AMAZON_MONTHS)
    )
    assert finances.history_from is not None
    assert abs(finances.history_from - reached) < timedelta(seconds=5)
    assert finances.recent

    # The outsider's team holds nothing, and sees none of this.
    outsider = coverage(personas.outsider_team)
    assert all(not c.synced and c.history_from is None for c in outsider.values())


def test_a_second_connection_with_nothing_read_leaves_the_history_without_a_start(
    personas: Personas,
):
    team = personas.team
    first = make_connection(team)
    second = make_connection(team)
    with team_scope(team.id):
        SyncState.objects.create(
            team=team,
            connection=first,
            family=Family.ORDERS,
            status=SyncStatus.DONE,
            last_completed_at=timezone.now(),
            cursor={
                "backfill_until": "2026-02-10T00:00:00+00:00",
                "backfill_from": "2024-02-11T00:00:00+00:00",
                "backfill_done": True,
            },
        )
    orders = coverage(team)["orders"]
    assert not orders.synced
    assert orders.history_from is None  # the second connection has read nothing
    with team_scope(team.id):
        SyncState.objects.create(
            team=team,
            connection=second,
            family=Family.ORDERS,
            status=SyncStatus.RUNNING,
            cursor={
                "backfill_until": "2026-02-10T00:00:00+00:00",
                "backfill_from": "2026-01-01T00:00:00+00:00",
            },
        )
    orders = coverage(team)["orders"]
    assert orders.waiting == SYNCING
    # The team's history is as short as its shortest connection's.
    assert orders.history_from == datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    # A disconnected connection no longer counts.
    with team_scope(team.id):
        SellerConnection.objects.filter(id=second.id).update(disconnected_at=timezone.now())
    orders = coverage(team)["orders"]
    assert orders.synced
    assert orders.history_from == datetime.fromisoformat("2026-02-10T00:00:00+00:00") - timedelta(
        days=orders_syncer.BACKFILL_DAYS
    )
