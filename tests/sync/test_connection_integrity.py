"""The order tables have no foreign keys (checked row by row, they were half the ingest's
database time); what they guaranteed still holds: a batch is only written for a connection of
the team, which cannot be deleted under it, and a connection with orders cannot be deleted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.orders.models import Order, OrderLine
from ams.sync import ingest
from tests.dashboard import factories as f
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def test_a_batch_holds_its_connection_and_refuses_another_teams(personas: Personas):
    mine = f.connected(personas.team)
    theirs = f.connected(personas.outsider_team)
    with team_scope(personas.team.id):
        ingest.hold_connection(mine.id)  # the team's own: held until the transaction ends
        with pytest.raises(ingest.ConnectionGone), transaction.atomic():
            ingest.hold_connection(theirs.id)
        with pytest.raises(ingest.ConnectionGone), transaction.atomic():
            ingest.hold_connection(theirs.id + mine.id + 1000)


def test_a_connection_with_orders_cannot_be_deleted_and_without_them_can(personas: Personas):
    connection = f.connected(personas.team)
    other = f.connected(personas.outsider_team)
    f.order(
        personas.team, connection, at=datetime(2026, 3, 1, tzinfo=UTC), lines=[("MUG", 1, "9.99")]
    )
    f.order(
        personas.outsider_team,
        other,
        at=datetime(2026, 3, 1, tzinfo=UTC),
        lines=[("MUG", 1, "9.99")],
    )

    with team_scope(personas.team.id):
        with pytest.raises(IntegrityError, match="still has orders"), transaction.atomic():
            SellerConnection.objects.filter(id=connection.id)._raw_delete(
                SellerConnection.objects.db
            )
        OrderLine.objects.filter(connection=connection).delete()
        with pytest.raises(IntegrityError, match="still has orders"), transaction.atomic():
            SellerConnection.objects.filter(id=connection.id)._raw_delete(
                SellerConnection.objects.db
            )
        Order.objects.filter(connection=connection).delete()
        connection.marketplaces.all().delete()
    with team_scope(personas.team.id):
        from ams.sync.models import SyncState

        SyncState.objects.filter(connection=connection).delete()
        SellerConnection.objects.filter(id=connection.id)._raw_delete(SellerConnection.objects.db)
        assert not SellerConnection.objects.filter(id=connection.id).exists()
    with team_scope(personas.outsider_team.id):
        assert Order.objects.filter(connection=other).count() == 1
