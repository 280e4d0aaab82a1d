"""A backfill reads no further back than the team's retention window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Min
from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.core.months import months_before
from ams.core.tenancy import team_scope
from ams.finance.models import Transaction
from ams.orders.models import Order
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from ams.teams.models import Team
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def _oldest(connection: SellerConnection) -> dict[str, object]:
    with team_scope(connection.team_id):
        return {
            "orders": Order.objects.filter(connection=connection).aggregate(m=Min("purchased_at"))[
                "m"
            ],
            "transactions": Transaction.objects.filter(connection=connection).aggregate(
                m=Min("posted_at")
            )["m"],
        }


def test_with_a_one_month_window_nothing_older_is_fetched(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    # The simulated history is 60 days; a one-month window must cut it.
    Team.objects.filter(id=connection.team_id).update(retention_months=1)
    for family in (Family.ORDERS, Family.FINANCES):
        status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=family)
        assert status == SyncStatus.DONE
    oldest = _oldest(connection)
    # A report window may start a little before the bound; a whole day of slack covers it.
    bound = months_before(timezone.now(), 1) - timedelta(days=1)
    assert oldest["orders"] is not None
    assert oldest["transactions"] is not None
    assert oldest["orders"] >= bound  # type: ignore[operator]
    assert oldest["transactions"] >= bound  # type: ignore[operator]
    assert seller.truth()["orders"]["count"] > 0
