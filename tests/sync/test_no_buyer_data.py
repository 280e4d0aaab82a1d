"""After a full sync, no buyer's name, address, email or phone is anywhere in the database.

The simulator serves buyer data wherever Amazon may (spapi_sim/world/buyers.py): the all-orders
report's ship city, state and postal code, the Orders API's address and buyer email. AMS keeps
none of it; every text column of every table is searched for every value the simulator can give.
"""

from __future__ import annotations

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.orders.models import Order
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from spapi_sim.world.buyers import ALL_VALUES
from tests.catalogue import columns_holding
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_full_sync_keeps_no_buyer_data(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    for family in Family:
        status = sync_run(team_id=connection.team_id, connection_id=connection.id, family=family)
        assert status in (SyncStatus.DONE, SyncStatus.PARTIAL), family
    with team_scope(connection.team_id):
        assert Order.objects.filter(connection=connection).exists()
    assert columns_holding(ALL_VALUES, scopes=[connection.team_id]) == {}
