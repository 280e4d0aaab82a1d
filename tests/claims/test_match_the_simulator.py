"""Detection against the simulator's truth: the cases it planted (units lost or damaged in a
warehouse and never settled, refunded units never returned, refunds above the price paid),
hidden among look-alikes that are not cases, are found after a sync, every one, and nothing else,
with Amazon's deadlines; and a second detection changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from ams.amazon.models import SellerConnection
from ams.claims import detection, policy
from ams.claims.models import Claim, ClaimKind, ClaimStatus
from ams.claims.services import claims_refresh
from ams.core.marketplaces import zone
from ams.core.tenancy import team_scope
from ams.finance.models import Reimbursement
from ams.inventory.models import CustomerReturn, InventoryAdjustment
from ams.sync import clients
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from ams.sync.syncers import ledger
from ams.sync.syncers import orders as orders_syncer
from ams.teams.models import Team
from tests.factories import Personas
from tests.sync.harness import SimSeller, connect, small_config

pytestmark = pytest.mark.django_db(transaction=True)

HISTORY_DAYS = 150
WAREHOUSE = (ClaimKind.WAREHOUSE_LOST, ClaimKind.WAREHOUSE_DAMAGED)


@pytest.fixture
def seller() -> Iterator[SimSeller]:
    # Five months of a busy small catalogue: enough refunds for each kind of case.
    running = SimSeller.start(small_config(history_days=HISTORY_DAYS, demand_scale=3.0))
    yield running
    running.stop()


@pytest.fixture
def connection(
    personas: Personas, seller: SimSeller, monkeypatch: pytest.MonkeyPatch, settings
) -> SellerConnection:
    settings.SYNC_REPORT_POLL_SECONDS = 0.01
    monkeypatch.setattr(orders_syncer, "BACKFILL_DAYS", HISTORY_DAYS + 10)
    conn = connect(personas.team, seller)
    monkeypatch.setattr(clients, "client_for", lambda _connection: seller.client())
    return conn


def _identity(kind: str, marketplace_id: str, sku: str, fnsku: str, reference: str, order: str):
    if kind in WAREHOUSE:
        return (kind, marketplace_id, fnsku, reference)
    if kind == ClaimKind.FEE_TIER_CHANGE:
        return (kind, marketplace_id, sku, "")
    return (kind, marketplace_id, sku, order)


def test_detection_finds_every_planted_case_and_nothing_else(
    connection: SellerConnection, seller: SimSeller
):
    team_id = connection.team_id
    for family in (Family.ORDERS, Family.LISTINGS, Family.FINANCES, Family.LEDGER):
        assert sync_run(team_id=team_id, connection_id=connection.id, family=family) in (
            SyncStatus.DONE,
            SyncStatus.PARTIAL,
        ), family
    with team_scope(team_id):
        # The sync itself ran the detection; the reports it read are all kept.
        assert Claim.objects.filter(connection=connection).exists()
        assert InventoryAdjustment.objects.filter(connection=connection).exists()
        assert CustomerReturn.objects.filter(connection=connection).exists()
        assert Reimbursement.objects.filter(connection=connection).exists()

    truth = seller.truth(families="claims")
    as_of = datetime.fromisoformat(truth["as_of"].replace("Z", "+00:00"))
    since = ledger.evidence_since(team_id=team_id, connection_id=connection.id)
    assert since is not None
    # Detect again at the simulator's instant, so both judge "now" alike.
    with team_scope(team_id):
        claims_refresh(
            team=Team.objects.get(id=team_id),
            connection_id=connection.id,
            evidence_since=since,
            now=as_of,
        )
    opens_after = timedelta(days=policy.return_window("NA").opens_after_days)
    expected = {}
    for case in truth["claims"]:
        happened = datetime.fromisoformat(case["date"])
        if happened < since:
            continue  # before AMS read the evidence
        if (
            case["kind"] in WAREHOUSE
            and happened + timedelta(days=policy.WAREHOUSE_SETTLING_DAYS) > as_of
        ):
            continue  # Amazon may still settle it by itself
        if case["kind"] == ClaimKind.RETURN_NOT_RECEIVED and happened + opens_after > as_of:
            continue  # the customer may still send it back
        if case["kind"] == ClaimKind.FEE_TIER_CHANGE and (
            case["shipments_before"] < detection.FEE_STEADY_SHIPMENTS
            or case["shipments_after"] < detection.FEE_RAISED_SHIPMENTS
        ):
            continue  # too few shipments to tell a rise from the fee before it
        key = _identity(
            case["kind"],
            case["marketplace_id"],
            case["sku"],
            case["fnsku"],
            case["reference_id"],
            case["order_id"],
        )
        expected[key] = case
    kinds = {key[0] for key in expected}
    assert kinds == {
        ClaimKind.WAREHOUSE_LOST,
        ClaimKind.WAREHOUSE_DAMAGED,
        ClaimKind.RETURN_NOT_RECEIVED,
        ClaimKind.REFUND_OVER_PAID,
        ClaimKind.FEE_TIER_CHANGE,
    }, "the simulated history has every kind of case"

    with team_scope(team_id):
        claims = list(Claim.objects.filter(connection=connection, status=ClaimStatus.OPEN))
        valued = {
            (r.marketplace_id, r.sku)
            for r in Reimbursement.objects.filter(connection=connection)
            if r.reason in ("Lost_Warehouse", "Damaged_Warehouse", "Lost_Inbound")
        }
    found = {
        _identity(c.kind, c.marketplace_id, c.sku, c.fnsku, c.reference_id, c.order_id): c
        for c in claims
    }
    assert set(found) == set(expected)
    for key, case in expected.items():
        claim = found[key]
        assert claim.quantity == case["quantity"], key
        assert claim.currency == case["currency"], key
        if claim.kind == ClaimKind.FEE_TIER_CHANGE:
            assert claim.order_id == case["order_id"], key  # the first shipment at the new fee
        if claim.kind not in WAREHOUSE or (claim.marketplace_id, claim.sku) in valued:
            assert claim.estimate == Decimal(case["amount"]), key
        else:
            # Priced at the average sale price, or the listing's.
            assert claim.estimate > 0, (key, claim.estimate_basis)
        happened = datetime.fromisoformat(case["date"]).astimezone(zone(claim.marketplace_id))
        window = policy.window(claim.kind, "NA", happened.date())
        assert (claim.opens_on, claim.deadline) == (window.opens_on, window.deadline), key

    # Idempotent: detecting again finds the same cases, once each, with their statuses.
    with team_scope(team_id):
        before = {c.pk: (c.kind, c.key, c.status) for c in Claim.objects.all()}
        claims_refresh(
            team=Team.objects.get(id=team_id),
            connection_id=connection.id,
            evidence_since=since,
            now=as_of,
        )
        assert {c.pk: (c.kind, c.key, c.status) for c in Claim.objects.all()} == before
