"""Two items of one SKU in one order: the all-orders report lists them as two lines with the same
(order, SKU), and Orders v2026-01-01 as two order items. AMS keys a line by (order, SKU), so the
order's line for that SKU is both items added up, whichever path converts each line and wherever
the report's blocks are cut."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.orders.models import OrderDay, OrderLine
from ams.orders.writers import LINE_COLUMNS
from ams.sync import context
from ams.sync.models import Family
from ams.sync.parsers import orders as parser
from ams.sync.services import sync_run
from ams.sync.syncers import reports
from spapi import reports as spapi_reports
from tests.dashboard import factories as f
from tests.factories import Personas

ORDER = "999-0000000-0000009"


def _serve_with_repeated_item(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve the first orders report, a line at a time, with a new order of two items of one
    SKU (quantities 1 and 2, prices 10.00 and 20.00) after its second line. The second item's purchase date is written
    with an offset, the same instant: the database declines it and Python converts it."""
    real = spapi_reports.DocumentBytes
    served = {"done": False}

    class WithRepeatedItem(real):  # type: ignore[misc, valid-type]
        def __iter__(self) -> Iterator[bytes]:
            body = b"".join(super().__iter__())
            if served["done"] or b"amazon-order-id" not in body[:200]:
                yield body
                return
            served["done"] = True
            self.charset = "utf-8"
            header, first, second, *rest = body.decode().rstrip("\n").split("\n")
            names = header.split("\t")
            cells = dict(zip(names, first.split("\t"), strict=False))
            bought = datetime.fromisoformat(cells["purchase-date"])
            items = []
            for quantity, price, purchased in (
                ("1", "10.00", bought.strftime("%Y-%m-%dT%H:%M:%S+00:00")),
                ("2", "20.00", (bought - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S-08:00")),
            ):
                item = {
                    **cells,
                    "amazon-order-id": ORDER,
                    "quantity": quantity,
                    "item-price": price,
                    "purchase-date": purchased,
                }
                items.append("\t".join(item.get(name, "") for name in names))
            # A line at a time, so that blocks are cut where the test says.
            for line in (header, first, second, *items, *rest):
                yield (line + "\n").encode()

    monkeypatch.setattr(reports, "DocumentBytes", WithRepeatedItem)


@pytest.mark.django_db(transaction=True)
def test_the_reports_two_items_of_one_sku_are_one_line_with_both(
    personas: Personas,
    connection: SellerConnection,
    monkeypatch: pytest.MonkeyPatch,
    fast_sync: None,
):
    # Blocks of three lines: without keeping an order's lines together, the two items would
    # fall into two blocks (lines 1-3 and 4-6), and the second would overwrite the first.
    monkeypatch.setattr(context, "BLOCK_LINES", 3)
    _serve_with_repeated_item(monkeypatch)
    theirs = f.connected(personas.outsider_team)
    f.order(
        personas.outsider_team,
        theirs,
        at=datetime(2026, 3, 1, tzinfo=UTC),
        lines=[("MUG", 5, "9.99")],
        order_id=ORDER,
    )

    sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)

    with team_scope(connection.team_id):
        (line,) = OrderLine.objects.filter(connection=connection, amazon_order_id=ORDER)
        assert (line.quantity, line.item_price) == (3, Decimal("30.00"))
        # The day rollup counts the order's line once, with both items.
        units = sum(OrderDay.objects.filter(connection=connection).values_list("units", flat=True))
        assert units == sum(
            OrderLine.objects.filter(connection=connection).values_list("quantity", flat=True)
        )
    with team_scope(personas.outsider_team.id):
        (their_line,) = OrderLine.objects.filter(amazon_order_id=ORDER)
        assert (their_line.sku, their_line.quantity) == ("MUG", 5)


def test_the_apis_two_items_of_one_sku_are_one_line_with_both():
    item = {
        "product": {
            "sellerSku": "MUG",
            "asin": "B0MUG",
            "price": {"unitPrice": {"amount": "10.00", "currencyCode": "USD"}},
        },
        "proceeds": {
            "breakdowns": [
                {"type": "ITEM", "subtotal": {"amount": "10.00", "currencyCode": "USD"}},
                {"type": "TAX", "subtotal": {"amount": "0.70", "currencyCode": "USD"}},
            ]
        },
        "quantityOrdered": 1,
    }
    second = {
        **item,
        "quantityOrdered": 2,
        "proceeds": {
            "breakdowns": [
                {"type": "ITEM", "subtotal": {"amount": "20.00", "currencyCode": "USD"}},
                {"type": "DISCOUNT", "subtotal": {"amount": "-1.00", "currencyCode": "USD"}},
            ]
        },
    }
    other = {**item, "product": {**item["product"], "sellerSku": "CUP"}}  # type: ignore[dict-item]
    order = {
        "orderId": ORDER,
        "createdTime": "2026-03-01T10:00:00Z",
        "lastUpdatedTime": "2026-03-02T10:00:00Z",
        "salesChannel": {"marketplaceId": f.US, "marketplaceName": "Amazon.com"},
        "fulfillment": {"fulfillmentStatus": "SHIPPED", "fulfilledBy": "AMAZON"},
        "orderItems": [item, other, second],
    }

    rows = {row.sku: row for row in parser.api_rows(order, {f.US})}

    names = [c.name for c in LINE_COLUMNS]
    mug = dict(zip(names, rows["MUG"], strict=True))
    assert (mug["quantity"], mug["item_price"], mug["tax"], mug["promotion_discount"]) == (
        3,
        Decimal("30.00"),
        Decimal("0.70"),
        Decimal("1.00"),
    )
    assert dict(zip(names, rows["CUP"], strict=True))["quantity"] == 1
