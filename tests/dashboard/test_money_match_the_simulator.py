"""After a finances sync, the fee breakdown equals the simulator's truth, month by month; and the
charges rollup stays exactly what a rebuild from the charges gives, after an ingest that changes
a transaction AMS already holds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ams.amazon.models import SellerConnection
from ams.core import marketplaces as timezones
from ams.core.tenancy import team_scope
from ams.finance.fee_rollups import charge_months_rebuild
from ams.finance.models import Charge, ChargeSkuMonth
from ams.finance.selectors import month_end
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from tests.factories import Personas
from tests.sync.harness import SimSeller

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def utc_days(monkeypatch: pytest.MonkeyPatch, seller: SimSeller) -> None:
    """The simulator's fee truth counts UTC days: so do the pages, for this comparison."""
    for marketplace in seller.info["sellers"][0]["marketplaces"]:
        monkeypatch.setitem(timezones.TIME_ZONES, marketplace["id"], "UTC")


def months(first: date, last: date) -> list[date]:
    found, month = [], first.replace(day=1)
    while month <= last:
        found.append(month)
        month = month_end(month) + timedelta(days=1)
    return found


def test_the_fee_breakdown_shows_the_simulators_truth(
    personas: Personas,
    connection: SellerConnection,
    seller: SimSeller,
    fast_sync: None,
    utc_days: None,
):
    team = personas.team
    assert (
        sync_run(team_id=team.id, connection_id=connection.id, family=Family.FINANCES)
        == SyncStatus.DONE
    )
    whole = seller.truth(families="fees")
    client = Client()
    client.force_login(personas.viewer)
    checked = 0
    for month in months(
        date.fromisoformat(whole["history_start"]), date.fromisoformat(whole["as_of"][:10])
    ):
        truth = seller.truth(
            families="fees", **{"from": month.isoformat(), "to": month_end(month).isoformat()}
        )["fees"]
        label = month.strftime("%Y-%m")
        html = client.get(
            f"/t/{team.slug}/fees/", {"month_from": label, "month_to": label}
        ).content.decode()
        shown: dict[str, dict[str, Decimal]] = {}
        for fee_type, currency, amount in re.findall(
            r'class="fee-type" data-type="([^"]+)" data-currency="(\w+)" data-amount="([^"]+)"',
            html,
        ):
            shown.setdefault(fee_type, {})[currency] = Decimal(amount)
        assert shown == {
            k: {c: Decimal(v) for c, v in d.items()} for k, d in truth["by_type"].items()
        }, label
        checked += len(shown)
    assert checked > 0


def _rollup(team_id: int, connection_id: int) -> dict[tuple[Any, ...], tuple[Decimal, int]]:
    with team_scope(team_id):
        return {
            (r.marketplace_id, r.month, r.currency, r.category, r.kind, r.description, r.sku): (
                r.amount,
                r.charges,
            )
            for r in ChargeSkuMonth.objects.filter(connection_id=connection_id)
        }


def _rebuilt(team_id: int, connection_id: int) -> dict[tuple[Any, ...], tuple[Decimal, int]]:
    with team_scope(team_id):
        charge_months_rebuild(connection_id=connection_id)
    return _rollup(team_id, connection_id)


def _scale(breakdowns: list[dict[str, Any]], leaf: str, factor: int) -> None:
    for b in breakdowns:
        if b.get("breakdowns"):
            _scale(b["breakdowns"], leaf, factor)
        elif b.get("breakdownType") == leaf:
            amount = b["breakdownAmount"]
            amount["currencyAmount"] = str(Decimal(str(amount["currencyAmount"])) * factor)


def test_the_charges_rollup_stays_exact_when_a_transaction_changes(
    personas: Personas,
    connection: SellerConnection,
    seller: SimSeller,
    fast_sync: None,
    sim_zones: None,
):
    team_id = personas.team.id
    assert (
        sync_run(team_id=team_id, connection_id=connection.id, family=Family.FINANCES)
        == SyncStatus.DONE
    )
    incremental = _rollup(team_id, connection.id)
    assert incremental
    assert incremental == _rebuilt(team_id, connection.id)
    # Multi-item shipments split their fees by SKU: every fee of a shipment has its SKU.
    with team_scope(team_id):
        assert not Charge.objects.filter(
            connection=connection, kind="AmazonFees", description="Commission", sku=""
        ).exists()

    # Amazon sends one of the transactions it sent before again, changed: posted 40 days earlier
    # (another month), in another marketplace, for another SKU, with twice the commission.
    client = seller.client()
    original = client.list_transactions
    changed: dict[str, Any] = {}

    def list_transactions(**kwargs: Any) -> dict[str, Any]:
        page = original(**kwargs)
        for t in (page.get("payload") or {}).get("transactions") or []:
            if changed or t["transactionType"] != "Shipment" or len(t["items"]) != 1:
                continue
            posted = datetime.fromisoformat(t["postedDate"].replace("Z", "+00:00")) - timedelta(
                days=40
            )
            t["postedDate"] = posted.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            t["marketplaceDetails"]["marketplaceId"] = "A1AM78C64UM0Y8"
            t["sellingPartnerMetadata"]["marketplaceId"] = "A1AM78C64UM0Y8"
            t["items"][0]["contexts"][0]["sku"] = "CHANGED-SKU"
            _scale(t["breakdowns"], "Commission", 2)
            _scale(t["items"][0]["breakdowns"], "Commission", 2)
            changed["id"] = t["transactionId"]
        return page

    client.list_transactions = list_transactions  # type: ignore[method-assign]
    assert (
        sync_run(
            team_id=team_id, connection_id=connection.id, family=Family.FINANCES, client=client
        )
        == SyncStatus.DONE
    )
    assert changed, "the second run read a shipment again"
    after = _rollup(team_id, connection.id)
    assert after != incremental
    assert any(key[6] == "CHANGED-SKU" and key[0] == "A1AM78C64UM0Y8" for key in after)
    assert after == _rebuilt(team_id, connection.id)
