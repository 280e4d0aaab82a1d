"""The overview's stock at a glance is kept per marketplace by the syncs that change what it
counts: after an inventory run and after an orders run, the read model equals the count from the
SKU rows, and it holds nothing of another team's."""

from __future__ import annotations

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.inventory import stock_health as inventory_health
from ams.inventory.models import StockHealthSummary
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_stock_at_a_glance_follows_the_inventory_and_orders_syncs(
    personas: Personas, connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    team_id = connection.team_id
    f.stock(
        personas.outsider_team, f.connected(personas.outsider_team), "THEIRS-1", fulfillable=999
    )

    assert (
        sync_run(team_id=team_id, connection_id=connection.id, family=Family.INVENTORY)
        == SyncStatus.DONE
    )
    with team_scope(team_id):
        after_inventory = inventory_health.stock_health(team_id)
        assert after_inventory is not None
        assert after_inventory == inventory_health.stock_health_live(team_id)
        marketplaces = set(StockHealthSummary.objects.values_list("marketplace_id", flat=True))
        assert marketplaces == {m["id"] for m in seller.info["sellers"][0]["marketplaces"]}
        assert after_inventory.skus > 0
        assert after_inventory.at_risk == 0

    # The orders bring rates of sale: SKUs can now be at risk of running out.
    assert (
        sync_run(team_id=team_id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.DONE
    )
    with team_scope(team_id):
        after_orders = inventory_health.stock_health(team_id)
        assert after_orders == inventory_health.stock_health_live(team_id)
        assert after_orders is not None
        assert after_orders.at_risk + after_orders.out_of_stock > 0
    with team_scope(personas.outsider_team.id):
        theirs = inventory_health.stock_health(personas.outsider_team.id)
        assert theirs is not None
        assert (theirs.skus, theirs.available) == (1, 999)
