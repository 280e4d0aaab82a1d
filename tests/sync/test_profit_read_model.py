"""A real sync against the simulator keeps the profit read model: after the orders and finances
runs it holds what building it from scratch gives, and it is not empty."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.finance.models import Charge
from ams.orders.models import SkuDay
from ams.profit.models import SkuProfitDay
from ams.profit.rollups import team_rebuild
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from tests.profit.test_read_model import held
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_orders_and_finances_runs_keep_it_equal_to_a_rebuild(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    team_id = connection.team_id
    for family in (Family.ORDERS, Family.FINANCES):
        assert (
            sync_run(team_id=team_id, connection_id=connection.id, family=family) == SyncStatus.DONE
        )
    team = connection.team
    kept = held(team)
    with team_scope(team_id):
        units = SkuDay.objects.filter(units__gt=0).aggregate(u=Sum("units"))["u"]
        fees = -(
            Charge.objects.filter(kind="AmazonFees").exclude(sku="").aggregate(a=Sum("amount"))["a"]
            or 0
        )
        read = SkuProfitDay.objects.aggregate(u=Sum("units"), c=Sum("charges"))
        assert read["u"] == units > 0
        assert read["c"] > 0
        # Fees net of those refunded: every fee charge of a SKU, whatever its transaction.
        assert SkuProfitDay.objects.aggregate(f=Sum("fees"))["f"] == Decimal(fees)
        team_rebuild()
    assert held(team) == kept
