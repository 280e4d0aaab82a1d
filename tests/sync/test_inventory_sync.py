"""Inventory: AMS's stock per SKU, marketplace and bucket equals the simulator's truth."""

from __future__ import annotations

from typing import Any

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.inventory.models import InventoryHealth, RestockAdvice, StockLevel, StockSnapshot
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)

BUCKETS = ("fulfillable", "reserved", "unfulfillable", "inbound_working", "inbound_shipped", "inbound_receiving", "researching", "total")


def stock(connection: SellerConnection, countries: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    fba: dict[str, dict[str, dict[str, int]]] = {}
    fbm: dict[str, dict[str, int]] = {}
    with team_scope(connection.team_id):
        for level in StockLevel.objects.filter(connection=connection):
            country = countries[level.marketplace_id]
            if level.fulfillment_channel == "AFN":
                fba.setdefault(level.sku, {})[country] = {b: getattr(level, b) for b in BUCKETS}
            else:
                fbm.setdefault(level.sku, {})[country] = level.fulfillable
    return fba, fbm


def test_inventory_converges_on_the_truth(connection: SellerConnection, seller: SimSeller, fast_sync: None):
    assert sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY) == SyncStatus.DONE
    truth = seller.truth()["inventory"]
    countries = {m["id"]: m["country_code"] for m in seller.info["sellers"][0]["marketplaces"]}
    fba, fbm = stock(connection, countries)
    assert fba == truth["fba"]
    assert fbm == truth["fbm"]
    with team_scope(connection.team_id):
        assert StockSnapshot.objects.filter(connection=connection).count() == StockLevel.objects.filter(connection=connection).count()
        assert RestockAdvice.objects.filter(connection=connection).count() == sum(len(v) for v in truth["fba"].values())
        assert InventoryHealth.objects.filter(connection=connection).exclude(snapshot_date=None).exists()
        before = sorted(StockLevel.objects.filter(connection=connection).values_list("id", "synced_at"))

    assert sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY) == SyncStatus.DONE
    with team_scope(connection.team_id):
        assert sorted(StockLevel.objects.filter(connection=connection).values_list("id", "synced_at")) == before
