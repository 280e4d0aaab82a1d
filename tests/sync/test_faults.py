"""Under 5% faults of every kind and a tight usage plan, every family still converges, and the
simulator's 429 count stays within what the plans allow."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db.models import Sum

from ams.amazon.models import SellerConnection
from ams.catalog.models import Listing
from ams.core.tenancy import team_scope
from ams.finance.models import Settlement
from ams.inventory.models import StockLevel
from ams.orders.models import Order, OrderLine
from ams.sync import clients
from ams.sync.models import Family, SyncStatus
from ams.sync.services import RetryableSyncError, sync_run
from spapi_sim.config import FAULT_KINDS
from tests.factories import Personas
from tests.sync.harness import SimSeller, connect, small_config

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RATE_SCALE = 2.0


@pytest.fixture
def faulty_seller() -> Iterator[SimSeller]:
    running = SimSeller.start(
        small_config(rate_scale=RATE_SCALE, skus_per_seller=20, history_days=40)
    )
    yield running
    running.stop()


def _until_done(connection: SellerConnection, family: str) -> SyncStatus:
    """What the job's retry strategy does: run again after a retryable failure."""
    for _attempt in range(8):
        try:
            return sync_run(team_id=connection.team_id, connection_id=connection.id, family=family)
        except RetryableSyncError:
            continue
    raise AssertionError(f"{family} did not converge in 8 attempts")


def test_every_family_converges_through_faults_within_the_usage_plans(
    personas: Personas,
    faulty_seller: SimSeller,
    monkeypatch: pytest.MonkeyPatch,
    sim_zones: None,
    fast_sync: None,
):
    seller = faulty_seller
    connection = connect(personas.team, seller)
    monkeypatch.setattr(clients, "client_for", lambda _c: seller.client())
    seller.control("/_sim/stats/reset", {})
    seller.control(
        "/_sim/faults",
        {
            "error_rate": 0.05,
            "kinds": list(FAULT_KINDS),
            "slow_seconds": 0.2,
            "timeout_seconds": 0.3,
        },
    )

    for family in Family:
        assert _until_done(connection, family) in (SyncStatus.DONE, SyncStatus.PARTIAL)

    seller.control("/_sim/faults", {"error_rate": 0.0})
    truth = seller.truth()
    with team_scope(connection.team_id):
        assert Order.objects.filter(connection=connection).count() == truth["orders"]["count"]
        lines = OrderLine.objects.filter(connection=connection)
        assert lines.aggregate(u=Sum("quantity"))["u"] == truth["orders"]["units"]
        revenue = {
            r["currency"]: r["t"]
            for r in lines.values("currency").annotate(t=Sum("item_price")).order_by()
            if r["t"]
        }
        assert revenue == {c: Decimal(v) for c, v in truth["orders"]["revenue"].items()}
        fba_total = StockLevel.objects.filter(
            connection=connection, fulfillment_channel="AFN"
        ).aggregate(t=Sum("total"))["t"]
        assert fba_total == truth["inventory"]["totals"]["total"]
        assert Listing.objects.filter(connection=connection).count() == sum(
            sum(c.values()) for c in truth["listings"]["by_marketplace"].values()
        )
        published = {
            s["settlement_id"]: Decimal(s["total"])
            for s in truth["settlements"]
            if s["report_available"]
        }
        ours = {
            s.settlement_id: s.total_amount
            for s in Settlement.objects.filter(connection=connection)
        }
        assert ours == published

    fired = seller.http.get("/_sim/faults").json()["fired"]
    assert sum(fired.values()) > 0, "faults were injected"
    operations = seller.stats()["operations"]
    requests = sum(op["requests"] for op in operations.values())
    throttled = sum(op["throttled"] for op in operations.values())
    # The client keeps the same token buckets as Amazon: a 429 can only come from the two clocks
    # drifting apart, never from a retry storm.
    assert throttled <= 0.02 * requests + 3, (throttled, requests, operations)
