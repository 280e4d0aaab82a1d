"""The overview's rollups stay exact through incremental syncs: after the simulator's clock moves on
(orders ship or are cancelled, refunds and fees post), the SKU days and charge days equal a
recount of the synced rows."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from ams.amazon.models import SellerConnection
from ams.core.marketplaces import zone
from ams.core.tenancy import team_scope
from ams.finance.models import Charge, ChargeDay, Transaction
from ams.orders.models import Order, OrderLine, SkuDay
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from tests.sync.harness import SimSeller

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def sku_days_recounted(
    connection: SellerConnection,
) -> dict[tuple[object, ...], tuple[int, Decimal]]:
    units: dict[tuple[object, ...], int] = defaultdict(int)
    sales: dict[tuple[object, ...], Decimal] = defaultdict(Decimal)
    for line in OrderLine.objects.filter(connection=connection).exclude(status="cancelled"):
        key = (
            line.marketplace_id,
            line.purchased_at.astimezone(zone(line.marketplace_id)).date(),
            line.sku,
            line.currency,
        )
        units[key] += line.quantity
        if line.item_price is not None:
            sales[key] += line.item_price - (line.promotion_discount or 0)
    return {key: (n, sales[key]) for key, n in units.items()}


def charge_days_recounted(connection: SellerConnection) -> dict[tuple[object, ...], Decimal]:
    transactions = {t.transaction_id: t for t in Transaction.objects.filter(connection=connection)}
    result: dict[tuple[object, ...], Decimal] = defaultdict(Decimal)
    for charge in Charge.objects.filter(connection=connection):
        t = transactions[charge.transaction_id]
        day = t.posted_at.astimezone(zone(t.marketplace_id)).date()
        result[
            (
                t.marketplace_id,
                day,
                charge.currency,
                t.transaction_type,
                charge.category,
                charge.kind,
            )
        ] += charge.amount
    return dict(result)


def snapshot(
    connection: SellerConnection,
) -> tuple[dict[tuple[object, ...], tuple[int, Decimal]], dict[tuple[object, ...], Decimal]]:
    with team_scope(connection.team_id):
        sku_days: dict[tuple[object, ...], tuple[int, Decimal]] = {
            (d.marketplace_id, d.day, d.sku, d.currency): (d.units, d.sales)
            for d in SkuDay.objects.filter(connection=connection)
        }
        assert sku_days == sku_days_recounted(connection)
        charge_days: dict[tuple[object, ...], Decimal] = {
            (d.marketplace_id, d.day, d.currency, d.transaction_type, d.category, d.kind): d.amount
            for d in ChargeDay.objects.filter(connection=connection)
        }
        assert charge_days == charge_days_recounted(connection)
    return sku_days, charge_days


def test_sku_days_and_charge_days_stay_exact_through_incremental_syncs(
    connection: SellerConnection, seller: SimSeller, sim_zones: None, fast_sync: None
):
    def sync() -> None:
        for family in (Family.ORDERS, Family.FINANCES):
            assert (
                sync_run(team_id=connection.team_id, connection_id=connection.id, family=family)
                == SyncStatus.DONE
            )

    sync()
    with team_scope(connection.team_id):
        statuses = dict(
            Order.objects.filter(connection=connection).values_list("amazon_order_id", "status")
        )
    before = snapshot(connection)
    assert before[0]
    assert before[1]

    seller.control("/_sim/clock", {"advance_seconds": 3 * 86400})
    sync()
    with team_scope(connection.team_id):
        changed = [
            order_id
            for order_id, status in Order.objects.filter(connection=connection).values_list(
                "amazon_order_id", "status"
            )
            if order_id in statuses and statuses[order_id] != status
        ]
    assert changed, "the second sync should change some orders"
    after = snapshot(connection)
    assert after != before
