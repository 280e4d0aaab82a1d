"""An item cancelled while its order goes on sold nothing: AMS stores the line as cancelled, with
no units or amounts, from the all-orders report (converted in the database, or by the Python
reader) and from Orders v2026-01-01, and no read model counts it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from psycopg import sql

from ams.amazon.models import SellerConnection
from ams.core.marketplaces import zone
from ams.core.tenancy import team_scope
from ams.orders.models import Order, OrderDay, OrderLine, SkuDay, SkuSummary
from ams.procurement.importing import CostRow
from ams.procurement.services import product_costs_save
from ams.profit.selectors import cost_of_goods
from ams.sync import convert_sql
from ams.sync.models import Family, SyncState, SyncStatus
from ams.sync.parsers import orders as parser
from ams.sync.services import sync_run
from tests.factories import Personas
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def _python_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-database conversion declines every line: the Python reader reads them all."""
    real: Callable[[set[str]], convert_sql.Conversion] = parser.report_sql

    def declining(marketplace_ids: set[str]) -> convert_sql.Conversion:
        conversion = real(marketplace_ids)

        def plan(cells: convert_sql.Cells) -> convert_sql.Plan:
            taken = conversion.plan(cells)
            return dataclasses.replace(taken, accept=[*taken.accept, sql.SQL("false")])

        return convert_sql.Conversion(plan)

    monkeypatch.setattr(parser, "report_sql", declining)


def _api_only(connection: SellerConnection, seller: SimSeller) -> None:
    """No report: the backfill is done, and searchOrders reads the whole history."""
    start = seller.truth()["history_start"]
    with team_scope(connection.team_id):
        SyncState.objects.update_or_create(
            team_id=connection.team_id,
            connection=connection,
            family=Family.ORDERS,
            defaults={
                "cursor": {
                    "backfill_done": True,
                    "updated_after": f"{start}T00:00:00+00:00",
                }
            },
        )


@pytest.mark.parametrize("path", ["in_database", "python", "orders_api"])
def test_an_item_cancelled_alone_is_no_sale_anywhere(
    connection: SellerConnection,
    seller: SimSeller,
    personas: Personas,
    monkeypatch: pytest.MonkeyPatch,
    sim_zones: None,
    fast_sync: None,
    path: str,
):
    if path == "python":
        _python_only(monkeypatch)
    elif path == "orders_api":
        _api_only(connection, seller)
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.DONE
    )
    truth = seller.truth()["orders"]
    cancelled = truth["cancelled_items"]
    assert cancelled, "the simulated history has items cancelled on their own"
    keys = {(c["order_id"], c["sku"]) for c in cancelled}

    with team_scope(connection.team_id):
        lines = list(OrderLine.objects.filter(connection=connection))
        orders = {o.amazon_order_id: o for o in Order.objects.filter(connection=connection)}
        sku_day_units = SkuDay.objects.filter(connection=connection).aggregate(u=Sum("units"))["u"]
        sku_day_orders = {
            (d.marketplace_id, d.sku, d.day): d.orders
            for d in SkuDay.objects.filter(connection=connection)
        }
        summary_units = SkuSummary.objects.filter(connection=connection).aggregate(
            u=Sum("units_90d")
        )["u"]
        day_units = OrderDay.objects.filter(connection=connection).aggregate(u=Sum("units"))["u"]
        day_revenue = {
            r["currency"]: r["t"]
            for r in OrderDay.objects.filter(connection=connection)
            .values("currency")
            .annotate(t=Sum("item_price"))
            .order_by()
        }

    by_key = {(line.amazon_order_id, line.sku): line for line in lines}
    for order_id, sku in keys:
        line = by_key[(order_id, sku)]
        assert line.item_status == "cancelled"
        assert line.item_cancelled
        assert line.quantity == 0
        assert (line.item_price, line.shipping_price, line.tax, line.promotion_discount) == (
            None,
            None,
            None,
            None,
        )
        assert orders[order_id].status != "cancelled"
        # The order's other items are sales as before.
        others = [o for o in lines if o.amazon_order_id == order_id and o.sku != sku]
        assert others
        assert all(not o.item_cancelled and o.quantity > 0 for o in others)
    assert not any(line.item_cancelled for key, line in by_key.items() if key not in keys)
    shipped = [line for line in lines if line.status == "shipped"]
    assert all(line.item_status == "shipped" for line in shipped if not line.item_cancelled)

    # Units and sales leave them out: the lines, the day and SKU rollups, the SKU windows.
    cancelled_orders = truth["by_status"].get("Canceled", {"units": 0})["units"]
    assert sum(line.quantity for line in lines) == truth["units"]
    assert day_units == truth["units"]
    assert day_revenue == {c: Decimal(v) for c, v in truth["revenue"].items()}
    assert sku_day_units == truth["units"] - cancelled_orders
    assert summary_units == truth["units"] - cancelled_orders
    # A SKU's day counts only the orders that sold it.
    sold: dict[tuple[str, str, Any], set[str]] = {}
    for line in lines:
        if line.status == "cancelled" or line.item_cancelled:
            continue
        local = line.purchased_at.astimezone(zone(line.marketplace_id)).date()
        sold.setdefault((line.marketplace_id, line.sku, local), set()).add(line.amazon_order_id)
    assert sku_day_orders == {k: len(v) for k, v in sold.items()}

    # Cost of goods prices the units sold, not the item cancelled.
    order_id, sku = sorted(keys)[0]
    currency = by_key[(order_id, sku)].currency
    span = seller.truth()
    start = date.fromisoformat(span["history_start"])
    with team_scope(connection.team_id):
        product_costs_save(
            team=personas.team,
            actor=None,
            rows=[CostRow(1, sku, None, currency, Decimal("2.50"), start - timedelta(days=1))],
        )
        goods = cost_of_goods(
            personas.team,
            first=start,
            last=date.fromisoformat(span["to"]) + timedelta(days=1),
            previous_first=start - timedelta(days=1),
        )
    sold_units = sum(
        line.quantity
        for line in lines
        if line.sku == sku and line.currency == currency and line.status != "cancelled"
    )
    (priced,) = [g for g in goods if g.now and g.currency == currency]
    assert priced.cost == Decimal("2.50") * sold_units

    # A second run changes nothing.
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
        == SyncStatus.DONE
    )
    with team_scope(connection.team_id):
        again = {
            (line.amazon_order_id, line.sku): (line.item_status, line.quantity, line.item_price)
            for line in OrderLine.objects.filter(connection=connection)
        }
    assert again == {k: (v.item_status, v.quantity, v.item_price) for k, v in by_key.items()}

    # The order's page shows the line cancelled, and prices the order by what it sold.
    order_id, sku = sorted(keys)[0]
    owner = Client()
    owner.force_login(personas.owner)
    url = reverse("order_detail", args=[personas.team.slug])
    page = owner.get(url, {"order": order_id})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-sku="{sku}" data-item-status="cancelled"' in html
    assert "this item was cancelled; it is not a sale" in html
    listing = owner.get(reverse("orders", args=[personas.team.slug]), {"sku": sku})
    assert 'data-item-status="cancelled"' in listing.content.decode()

    # An outsider sees nothing of it.
    outsider = Client()
    outsider.force_login(personas.outsider)
    assert outsider.get(url, {"order": order_id}).status_code == 404
    own = reverse("order_detail", args=[personas.outsider_team.slug])
    assert outsider.get(own, {"order": order_id}).status_code == 404


def test_an_item_cancelled_alone_is_read_the_same_from_both_sources() -> None:
    """The report's line and the API's item give the same row: a row read from both is not
    rewritten."""
    marketplace = "ATVPDKIKX0DER"
    report_row = {
        "amazon-order-id": "111-0000000-0000001",
        "purchase-date": "2024-05-01T10:00:00+00:00",
        "last-updated-date": "2024-05-02T18:30:00+00:00",
        "order-status": "Shipped",
        "item-status": "Cancelled",
        "fulfillment-channel": "Amazon",
        "sales-channel": "Amazon.com",
        "sku": "MUG-1",
        "asin": "B000000001",
        "quantity": "1",
        "currency": "USD",
        "item-price": "89.95",
        "item-tax": "7.20",
    }
    from_report = parser.report_converter({marketplace})(report_row)
    api_order: dict[str, Any] = {
        "orderId": "111-0000000-0000001",
        "createdTime": "2024-05-01T10:00:00Z",
        "lastUpdatedTime": "2024-05-02T18:30:00Z",
        "salesChannel": {"marketplaceId": marketplace, "marketplaceName": "Amazon.com"},
        "fulfillment": {"fulfillmentStatus": "SHIPPED", "fulfilledBy": "AMAZON"},
        "orderItems": [
            {
                "orderItemId": "1",
                "quantityOrdered": 1,
                "product": {
                    "sellerSku": "MUG-1",
                    "asin": "B000000001",
                    "price": {"unitPrice": {"amount": "89.95", "currencyCode": "USD"}},
                },
                "cancellation": {
                    "cancellationExecution": {"cancelledBy": "BUYER", "cancelReason": "x"}
                },
                "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": 0},
            }
        ],
    }
    (from_api,) = parser.api_rows(api_order, {marketplace})
    assert from_report.item_status == from_api.item_status == "cancelled"
    assert from_report.quantity == from_api.quantity == 0
    assert from_report.item_price is None
    assert from_api.item_price is None
    # A cancellation asked for but not executed is no cancellation.
    requested = api_order["orderItems"][0]
    requested["cancellation"] = {"cancellationRequest": {"requester": "BUYER"}}
    requested["fulfillment"] = {"quantityFulfilled": 1, "quantityUnfulfilled": 0}
    (kept,) = parser.api_rows(api_order, {marketplace})
    assert (kept.item_status, kept.quantity) == ("shipped", 1)
    # Timestamps agree to the second, so the two rows are the same row.
    assert from_report.last_updated_at == from_api.last_updated_at
    assert from_report.last_updated_at - from_report.purchased_at == timedelta(hours=32, minutes=30)
