"""Orders: after a full sync AMS's copy equals the simulator's truth; a second sync changes nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from ams.amazon.models import SellerConnection
from ams.core.marketplaces import zone
from ams.core.tenancy import team_scope
from ams.orders.models import Order, OrderDay, OrderLine, SkuSummary
from ams.procurement.models import SkuWindowCost
from ams.sync.models import Family, SyncState, SyncStatus
from ams.sync.services import sync_run
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)

STATUS_NAMES = {
    "Pending": "pending",
    "Unshipped": "unshipped",
    "Shipped": "shipped",
    "Canceled": "cancelled",
}


def orders_snapshot(connection: SellerConnection) -> dict[str, object]:
    with team_scope(connection.team_id):
        lines = OrderLine.objects.filter(connection=connection)
        orders = Order.objects.filter(connection=connection)
        revenue = {
            row["currency"]: row["total"]
            for row in lines.values("currency").annotate(total=Sum("item_price")).order_by()
            if row["total"] is not None
        }
        discounts = {
            row["currency"]: row["total"]
            for row in lines.exclude(promotion_discount=0)
            .values("currency")
            .annotate(total=Sum("promotion_discount"))
            .order_by()
            if row["total"] is not None
        }
        by_status = {
            row["status"]: row["n"]
            for row in orders.values("status").annotate(n=Count("id")).order_by()
        }
        days: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
        for day in OrderDay.objects.filter(connection=connection):
            days[day.marketplace_id][day.day.isoformat()] = {
                "orders": day.orders,
                "units": day.units,
            }
        return {
            "count": orders.count(),
            "units": lines.aggregate(u=Sum("quantity"))["u"] or 0,
            "by_status": by_status,
            "revenue": revenue,
            "discounts": discounts,
            "days": dict(days),
            "synced": sorted(orders.values_list("amazon_order_id", "synced_at")),
        }


def test_a_full_orders_sync_converges_on_the_truth_and_a_second_changes_nothing(
    connection: SellerConnection, seller: SimSeller, sim_zones: None, fast_sync: None
):
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.DONE
    )
    truth = seller.truth()["orders"]
    ours = orders_snapshot(connection)
    assert truth["count"] > 200

    assert ours["count"] == truth["count"]
    assert ours["units"] == truth["units"]
    assert ours["by_status"] == {
        STATUS_NAMES[k]: v["orders"] for k, v in truth["by_status"].items()
    }
    assert ours["revenue"] == {c: Decimal(v) for c, v in truth["revenue"].items()}
    assert ours["discounts"] == {
        c: Decimal(v) for c, v in truth["promotion_discounts"].items() if Decimal(v)
    }
    ids = {m["country_code"]: m["id"] for m in seller.info["sellers"][0]["marketplaces"]}
    expected_days = {
        ids[country]: {day: {"orders": v["orders"], "units": v["units"]} for day, v in days.items()}
        for country, days in truth["by_local_day"].items()
    }
    assert ours["days"] == expected_days
    with team_scope(connection.team_id):
        day_revenue = {
            r["currency"]: r["t"]
            for r in OrderDay.objects.filter(connection=connection)
            .values("currency")
            .annotate(t=Sum("item_price"))
            .order_by()
        }
    assert day_revenue == {c: Decimal(v) for c, v in truth["revenue"].items()}

    with team_scope(connection.team_id):
        state = SyncState.objects.get(connection=connection, family=Family.ORDERS)
    assert state.cursor["backfill_done"] is True
    assert state.last_completed_at is not None

    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.DONE
    )
    assert orders_snapshot(connection) == ours


def test_the_sku_windows_summarise_the_lines(connection: SellerConnection, fast_sync: None):
    sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
    with team_scope(connection.team_id):
        summaries = list(SkuSummary.objects.filter(connection=connection))
        assert summaries
        for summary in summaries[:10]:
            lines = OrderLine.objects.filter(
                connection=connection, marketplace_id=summary.marketplace_id, sku=summary.sku
            ).exclude(status="cancelled")
            start = datetime.combine(
                summary.as_of - timedelta(days=29), time.min, tzinfo=zone(summary.marketplace_id)
            )
            recent = lines.filter(purchased_at__gte=start)
            assert summary.units_30d == (recent.aggregate(u=Sum("quantity"))["u"] or 0)
            sales = sum(
                ((x.item_price or 0) - (x.promotion_discount or 0) for x in recent), Decimal(0)
            )
            assert summary.sales_30d == sales


def test_the_sync_prices_the_sku_windows_with_the_summary(
    connection: SellerConnection, fast_sync: None
):
    """Orders knows nothing of costs: the orders sync prices each new SKU summary row's windows
    (procurement.SkuWindowCost) with the summary, so the overview reads both as of the same day."""
    sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
    windows = ("7d", "30d", "90d", "mtd")
    with team_scope(connection.team_id):
        summaries = {
            (s.marketplace_id, s.sku, s.currency): (
                s.as_of,
                *(getattr(s, f"units_{w}") for w in windows),
            )
            for s in SkuSummary.objects.filter(connection=connection)
        }
        priced = {
            (p.marketplace_id, p.sku, p.currency): (
                p.as_of,
                *(getattr(p, f"units_{w}") for w in windows),
            )
            for p in SkuWindowCost.objects.filter(connection=connection)
        }
        # No cost saved: every unit sold is missing one, none is priced as free.
        costed = SkuWindowCost.objects.filter(connection=connection).exclude(cost_30d=0).count()
        missing = {
            (p.marketplace_id, p.sku, p.currency): p.missing_30d
            for p in SkuWindowCost.objects.filter(connection=connection)
        }
    assert summaries
    assert priced == summaries
    assert costed == 0
    assert missing == {key: units[2] for key, units in priced.items()}  # units[2]: units_30d
