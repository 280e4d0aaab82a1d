"""Money: settlements with every line, transactions with every fee, reconciled to the cent."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.finance.models import Charge, Settlement, SettlementLine, Transaction
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)

KINDS = {
    "Shipment": "Order",
    "Refund": "Refund",
    "ServiceFee": "ServiceFee",
    "Adjustment": "Adjustment",
}


def test_settlements_and_fees_converge_and_reconcile(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    team_id = connection.team_id
    assert (
        sync_run(team_id=team_id, connection_id=connection.id, family=Family.FINANCES)
        == SyncStatus.DONE
    )
    assert (
        sync_run(team_id=team_id, connection_id=connection.id, family=Family.SETTLEMENTS)
        == SyncStatus.DONE
    )
    truth = seller.truth()

    with team_scope(team_id):
        fees: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for row in (
            Charge.objects.filter(connection=connection, kind="AmazonFees")
            .values("description", "currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            fees[row["description"]][row["currency"]] = row["total"]
        kinds: dict[str, int] = defaultdict(int)
        for t in Transaction.objects.filter(connection=connection):
            kinds[KINDS[t.transaction_type]] += 1
        settlements = {s.settlement_id: s for s in Settlement.objects.filter(connection=connection)}
        lines = SettlementLine.objects.filter(connection=connection).count()

    assert dict(fees) == {
        k: {c: Decimal(v) for c, v in d.items()} for k, d in truth["fees"]["by_type"].items()
    }
    assert dict(kinds) == truth["fees"]["events_by_kind"]
    with team_scope(team_id):
        reimbursed = {
            r["currency"]: r["t"]
            for r in Transaction.objects.filter(
                connection=connection, transaction_type="Adjustment"
            )
            .values("currency")
            .annotate(t=Sum("total_amount"))
            .order_by()
        }
    assert reimbursed == {c: Decimal(v) for c, v in truth["reimbursements"]["amount"].items()}

    published = [s for s in truth["settlements"] if s["report_available"]]
    assert published, "the simulated history has closed settlements"
    assert set(settlements) == {s["settlement_id"] for s in published}
    assert lines == sum(s["lines"] for s in published)
    for expected in published:
        ours = settlements[expected["settlement_id"]]
        assert ours.total_amount == Decimal(expected["total"])
        assert ours.currency == expected["currency"]
        assert ours.line_count == expected["lines"]
        assert ours.lines_reconciled is True
        assert ours.deposit_at is not None

    # The events AMS holds for each settlement add up to its report.
    assert all(s.transactions_reconciled for s in settlements.values())

    with team_scope(team_id):
        before = sorted(Charge.objects.filter(connection=connection).values_list("id", "synced_at"))
    assert (
        sync_run(team_id=team_id, connection_id=connection.id, family=Family.SETTLEMENTS)
        == SyncStatus.DONE
    )
    assert (
        sync_run(team_id=team_id, connection_id=connection.id, family=Family.FINANCES)
        == SyncStatus.DONE
    )
    with team_scope(team_id):
        assert SettlementLine.objects.filter(connection=connection).count() == lines
        assert (
            sorted(Charge.objects.filter(connection=connection).values_list("id", "synced_at"))
            == before
        )
