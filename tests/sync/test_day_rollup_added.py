"""A backfill's blocks only add orders: each is added to its days of OrderDay from its staging
table alone, and the days end as a rebuild from all their lines would sum them. Blocks that do
not only add (an order seen again) rebuild their days, as before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.orders import rollups
from ams.orders.models import OrderDay
from devtools.bench import sync as bench
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.sync.orders_report import ingest_orders_report

pytestmark = pytest.mark.django_db(transaction=True)

# 2026-03-02 07:30 UTC is still March 1 in Los Angeles, and already March 2 in Berlin.
NEAR_MIDNIGHT = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
CHANNELS = {f.US: ("Amazon.com", "USD"), f.DE: ("Amazon.de", "EUR")}


def _line(
    order: str,
    sku: str,
    *,
    at: datetime = NEAR_MIDNIGHT,
    quantity: int = 1,
    price: str = "10.00",
    status: str = "Shipped",
    marketplace: str = f.US,
    discount: str = "",
    updated_hours: int = 1,
) -> str:
    channel, currency = CHANNELS[marketplace]
    cells = dict.fromkeys(bench.HEADER.split("\t"), "")
    cells.update(
        {
            "amazon-order-id": order,
            "purchase-date": f"{at:%Y-%m-%dT%H:%M:%S+00:00}",
            "last-updated-date": f"{at + timedelta(hours=updated_hours):%Y-%m-%dT%H:%M:%S+00:00}",
            "order-status": status,
            "fulfillment-channel": "Amazon",
            "sales-channel": channel,
            "sku": sku,
            "asin": "B0TEST",
            "quantity": str(quantity),
            "currency": currency,
            "item-price": price,
            "item-tax": "0.80" if price else "",
            "shipping-price": "4.99" if price else "",
            "item-promotion-discount": discount,
        }
    )
    return "\t".join(cells.values())


def _ingest(connection: SellerConnection, lines: list[str]) -> None:
    ingest_orders_report(connection, lines, marketplaces={f.US, f.DE})


def _days(
    team_id: int, connection: SellerConnection
) -> dict[tuple[str, date, str], tuple[Any, ...]]:
    with team_scope(team_id):
        return {
            (d.marketplace_id, d.day, d.currency): (
                d.orders,
                d.cancelled_orders,
                d.units,
                d.sales,
                d.item_price,
                d.shipping_price,
                d.tax,
                d.promotion_discount,
            )
            for d in OrderDay.objects.filter(connection=connection)
        }


def _rebuilt(
    team_id: int, connection: SellerConnection
) -> dict[tuple[str, date, str], tuple[Any, ...]]:
    """The days as a rebuild from all their lines sums them."""
    with team_scope(team_id):
        for marketplace in (f.US, f.DE):
            rollups.order_days_refresh(
                connection_id=connection.id,
                marketplace_id=marketplace,
                first=NEAR_MIDNIGHT - timedelta(days=3),
                last=NEAR_MIDNIGHT + timedelta(days=3),
            )
    return _days(team_id, connection)


@pytest.fixture
def added(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The marketplace of each batch whose days were added to instead of rebuilt, as they come."""
    calls: list[str] = []
    add = rollups._add_staged_days

    def spy(connection_id: int, marketplace_id: str, staged: str) -> None:
        calls.append(marketplace_id)
        add(connection_id, marketplace_id, staged)

    monkeypatch.setattr(rollups, "_add_staged_days", spy)
    return calls


def test_blocks_of_new_orders_are_added_to_their_days_as_a_rebuild_sums_them(
    personas: Personas, added: list[str]
):
    mine = f.connected(personas.team)
    theirs = f.connected(personas.outsider_team)
    _ingest(theirs, [_line("111-0000001-0000001", "MUG", quantity=50)])
    theirs_before = _days(personas.outsider_team.id, theirs)

    # An earlier run's order on the same day: the blocks after it add to its day's row.
    _ingest(mine, [_line("111-0000001-0000001", "MUG", quantity=2)])
    added.clear()
    _ingest(
        mine,
        [
            # Two SKUs of one order: one order, three units.
            _line("111-0000002-0000001", "MUG", quantity=1),
            _line("111-0000002-0000001", "LAMP", quantity=2, price="30.00"),
            _line("111-0000003-0000001", "MUG", status="Cancelled", price=""),
            _line("111-0000004-0000001", "MUG", status="Pending", price=""),
            _line("111-0000005-0000001", "CUP", discount="-2.50"),
            # An hour later: March 2 in Los Angeles.
            _line("111-0000006-0000001", "CUP", at=NEAR_MIDNIGHT + timedelta(hours=1)),
            _line("302-0000007-0000001", "TASSE", marketplace=f.DE, price="12.00"),
            _line(
                "302-0000008-0000001",
                "TASSE",
                marketplace=f.DE,
                at=NEAR_MIDNIGHT - timedelta(hours=9),
                price="12.00",
            ),
        ],
    )

    assert sorted(added) == sorted(
        [f.US] * 5 + [f.DE] * 2
    )  # every block (an order each) only added
    days = _days(personas.team.id, mine)
    assert days == _rebuilt(personas.team.id, mine)
    # orders, cancelled, units, sales (item price less promotions), item price, shipping, tax, promotions
    assert days[(f.US, date(2026, 3, 1), "USD")][:5] == (
        5,
        1,
        8,
        Decimal("57.50"),
        Decimal("60.00"),
    )
    assert days[(f.US, date(2026, 3, 2), "USD")][:3] == (1, 0, 1)
    assert days[(f.DE, date(2026, 3, 2), "EUR")][:3] == (1, 0, 1)
    assert days[(f.DE, date(2026, 3, 1), "EUR")][:3] == (1, 0, 1)
    assert _days(personas.outsider_team.id, theirs) == theirs_before


def test_a_block_that_sees_an_order_again_rebuilds_its_days(personas: Personas, added: list[str]):
    mine, theirs = f.connected(personas.team), f.connected(personas.outsider_team)
    # The outsider holds the same order id: for this team it is still new.
    _ingest(theirs, [_line("111-0000001-0000001", "MUG", quantity=50)])
    theirs_before = _days(personas.outsider_team.id, theirs)
    _ingest(mine, [_line("111-0000001-0000001", "MUG", quantity=2)])
    assert added == [f.US, f.US]

    added.clear()
    # The same order, updated: two more units of MUG, and a new SKU. Added, it would count twice.
    _ingest(
        mine,
        [
            _line("111-0000001-0000001", "MUG", quantity=4, updated_hours=2),
            _line("111-0000001-0000001", "LAMP", quantity=1, updated_hours=2),
        ],
    )

    assert added == []
    days = _days(personas.team.id, mine)
    assert days[(f.US, date(2026, 3, 1), "USD")][:3] == (1, 0, 5)
    assert days == _rebuilt(personas.team.id, mine)
    assert _days(personas.outsider_team.id, theirs) == theirs_before
