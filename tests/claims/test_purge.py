"""A disconnected connection's ledger adjustments, customer returns, reimbursements and claims
go with the rest of its Amazon data; another connection's stay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from ams.amazon import purge, services
from ams.amazon.tasks import purge_due_connections
from ams.claims.models import Claim
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from ams.finance.models import Reimbursement
from ams.inventory.models import CustomerReturn, InventoryAdjustment
from ams.teams.models import Membership
from tests.amazon.factories import make_connection
from tests.claims import evidence as ev
from tests.claims.test_detection import _now, _refresh
from tests.factories import Personas

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = (InventoryAdjustment, CustomerReturn, Reimbursement, Claim)


def _rows(connection) -> None:
    now = _now()
    ev.adjustment(connection, at=now - timedelta(days=40), quantity=-1, reason="M")
    ev.customer_return(connection, order_id="111-0000001-0000001", at=now - timedelta(days=5))
    ev.reimbursement(
        connection,
        at=now - timedelta(days=3),
        quantity=1,
        reason="CustomerReturn",
        per_unit=Decimal("5.00"),
        order_id="111-0000002-0000002",
    )


def _counts(team_id: int, connection_id: int) -> dict[str, int]:
    with team_scope(team_id):
        return {m.__name__: m.objects.filter(connection_id=connection_id).count() for m in MODELS}


def test_the_purge_clears_the_claims_tables(personas: Personas):
    gone, kept = make_connection(personas.team), make_connection(personas.team)
    for connection in (gone, kept):
        _rows(connection)
        _refresh(personas, connection)
    assert _counts(personas.team.id, gone.id) == dict.fromkeys(
        ("InventoryAdjustment", "CustomerReturn", "Reimbursement", "Claim"), 1
    )
    tables = {t.name for t in purge.connection_tables()}
    assert {
        "inventory_inventoryadjustment",
        "inventory_customerreturn",
        "finance_reimbursement",
        "claims_claim",
    } <= tables
    kept_before = _counts(personas.team.id, kept.id)
    with team_scope(personas.team.id):
        owner = Membership.objects.get(team=personas.team, user=personas.owner)
    services.connection_disconnect(connection=gone, actor=owner)
    with (
        time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=False),
        connected_as("worker"),
    ):
        purge_due_connections(timestamp=0)
    assert set(_counts(personas.team.id, gone.id).values()) == {0}
    assert _counts(personas.team.id, kept.id) == kept_before
