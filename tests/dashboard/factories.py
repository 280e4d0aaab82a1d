"""Synced rows written directly, as the sync would leave them: orders with lines and the day
rollup, SKU summaries, stock, listings, settlements with lines, and a completed sync state."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils import timezone

from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.catalog.models import Listing
from ams.core.tenancy import team_scope
from ams.finance.models import Settlement, SettlementLine
from ams.inventory.models import StockLevel
from ams.inventory.stock_health import stock_health_refresh
from ams.orders.models import Order, OrderDay, OrderLine, SkuSummary
from ams.sync.models import Family, SyncState, SyncStatus
from ams.teams.models import Team
from tests.amazon.factories import make_connection
from tests.factories import Personas

US = "ATVPDKIKX0DER"
DE = "A1PA6795UKMFR9"
_ids = itertools.count(1)


def connected(team: Team) -> SellerConnection:
    connection = make_connection(team, marketplaces=())
    with team_scope(team.id):
        for marketplace_id, country, currency in ((US, "US", "USD"), (DE, "DE", "EUR")):
            ConnectionMarketplace.objects.create(
                team=team,
                connection=connection,
                marketplace_id=marketplace_id,
                country_code=country,
                currency=currency,
            )
        for family in Family:
            SyncState.objects.create(
                team=team,
                connection=connection,
                family=family,
                status=SyncStatus.DONE,
                last_completed_at=timezone.now(),
            )
    return connection


def order(
    team: Team,
    connection: SellerConnection,
    *,
    at: datetime,
    lines: list[tuple[str, int, str]],
    marketplace_id: str = US,
    status: str = "shipped",
    channel: str = "AFN",
    currency: str = "USD",
    order_id: str | None = None,
) -> Order:
    """An order with lines (sku, quantity, item price); the day rollup is the sync's job."""
    amazon_id = order_id or f"111-{next(_ids):07d}-0000001"
    now = timezone.now()
    with team_scope(team.id):
        made = Order.objects.create(
            team=team,
            connection=connection,
            marketplace_id=marketplace_id,
            amazon_order_id=amazon_id,
            purchased_at=at,
            last_updated_at=at,
            status=status,
            fulfillment_channel=channel,
            sales_channel="Amazon.com",
            currency=currency,
            synced_at=now,
        )
        for sku, quantity, price in lines:
            OrderLine.objects.create(
                team=team,
                connection=connection,
                marketplace_id=marketplace_id,
                amazon_order_id=amazon_id,
                sku=sku,
                asin="B000TEST01",
                purchased_at=at,
                last_updated_at=at,
                status=status,
                fulfillment_channel=channel,
                quantity=quantity,
                currency=currency,
                item_price=Decimal(price),
                shipping_price=Decimal(0),
                tax=Decimal(0),
                promotion_discount=Decimal(0),
                synced_at=now,
            )
    return made


def order_day(
    team: Team,
    connection: SellerConnection,
    day: date,
    *,
    orders: int,
    units: int,
    sales: str,
    marketplace_id: str = US,
    currency: str = "USD",
) -> None:
    with team_scope(team.id):
        OrderDay.objects.create(
            team=team,
            connection=connection,
            marketplace_id=marketplace_id,
            day=day,
            currency=currency,
            orders=orders,
            cancelled_orders=0,
            units=units,
            sales=Decimal(sales),
            item_price=Decimal(sales),
            shipping_price=Decimal(0),
            tax=Decimal(0),
            promotion_discount=Decimal(0),
        )


def sku_summary(
    team: Team, connection: SellerConnection, sku: str, *, units_30d: int, marketplace_id: str = US
) -> None:
    zero = Decimal(0)
    with team_scope(team.id):
        SkuSummary.objects.create(
            team=team,
            connection=connection,
            marketplace_id=marketplace_id,
            sku=sku,
            currency="USD",
            as_of=date(2026, 1, 1),
            units_7d=0,
            units_30d=units_30d,
            units_90d=units_30d,
            units_mtd=0,
            sales_7d=zero,
            sales_30d=zero,
            sales_90d=zero,
            sales_mtd=zero,
        )
    stock_health(team, connection)


def stock(
    team: Team,
    connection: SellerConnection,
    sku: str,
    *,
    fulfillable: int,
    channel: str = "AFN",
    marketplace_id: str = US,
    inbound: int = 0,
) -> None:
    with team_scope(team.id):
        StockLevel.objects.create(
            team=team,
            connection=connection,
            marketplace_id=marketplace_id,
            sku=sku,
            fulfillment_channel=channel,
            fulfillable=fulfillable,
            inbound_working=0,
            inbound_shipped=inbound,
            inbound_receiving=0,
            reserved=1,
            unfulfillable=0,
            researching=0,
            total=fulfillable + inbound + 1,
            synced_at=timezone.now(),
        )
    stock_health(team, connection)


def stock_health(team: Team, connection: SellerConnection) -> None:
    """Rebuild the stock-at-a-glance read model, as the sync does after each run."""
    with team_scope(team.id):
        marketplaces = list(
            ConnectionMarketplace.objects.filter(connection=connection).values_list(
                "marketplace_id", flat=True
            )
        )
        stock_health_refresh(connection_id=connection.id, marketplace_ids=marketplaces or [US])


def listing(
    team: Team,
    connection: SellerConnection,
    sku: str,
    *,
    status: str = "active",
    issue: str = "",
    title: str = "",
    marketplace_id: str = US,
    price: str = "19.99",
) -> None:
    with team_scope(team.id):
        Listing.objects.create(
            team=team,
            connection=connection,
            marketplace_id=marketplace_id,
            sku=sku,
            asin="B000TEST01",
            title=title or f"Product {sku}",
            status=status,
            fulfillment_channel="AFN",
            currency="USD",
            price=Decimal(price),
            quantity=None,
            issues=1 if issue else 0,
            issue_summary=issue,
            synced_at=timezone.now(),
        )


def settlement(
    team: Team,
    connection: SellerConnection,
    settlement_id: str,
    *,
    deposit: datetime,
    amounts: list[str],
    total: str | None = None,
    transactions_reconciled: bool | None = True,
    currency: str = "USD",
) -> Settlement:
    lines_total = sum((Decimal(a) for a in amounts), Decimal(0))
    total_amount = Decimal(total) if total is not None else lines_total
    with team_scope(team.id):
        made = Settlement.objects.create(
            team=team,
            connection=connection,
            settlement_id=settlement_id,
            starts_at=datetime(2026, 1, 1, tzinfo=UTC),
            ends_at=datetime(2026, 1, 15, tzinfo=UTC),
            deposit_at=deposit,
            currency=currency,
            total_amount=total_amount,
            line_count=len(amounts),
            lines_total=lines_total,
            lines_reconciled=lines_total == total_amount,
            transactions_total=total_amount if transactions_reconciled is not None else None,
            transactions_reconciled=transactions_reconciled,
            synced_at=timezone.now(),
        )
        for n, amount in enumerate(amounts, start=1):
            SettlementLine.objects.create(
                team=team,
                connection=connection,
                settlement_id=settlement_id,
                line_number=n,
                transaction_type="Order" if Decimal(amount) > 0 else "ServiceFee",
                order_id=f"111-{n:07d}-0000001",
                amount_type="ItemPrice" if Decimal(amount) > 0 else "ItemFees",
                amount_description="Principal",
                amount=Decimal(amount),
                currency="USD",
                sku="MUG-1",
                quantity=1,
                synced_at=timezone.now(),
            )
    return made


def seed(personas: Personas) -> Personas:
    """A team with orders, stock, listings and settlements in two marketplaces; the outsider's team has its own."""
    team, other = personas.team, personas.outsider_team
    c = connected(team)
    # 05:00 UTC on 2 Feb is still 1 Feb in Los Angeles: the US marketplace's day.
    order(
        team,
        c,
        at=datetime(2026, 2, 2, 5, 0, tzinfo=UTC),
        lines=[("MUG-1", 2, "20.00"), ("LAMP-1", 1, "35.00")],
        order_id="111-0000001-0000001",
    )
    order(
        team,
        c,
        at=datetime(2026, 2, 3, 18, 0, tzinfo=UTC),
        lines=[("MUG-1", 1, "10.00")],
        status="cancelled",
        order_id="111-0000002-0000001",
    )
    order(
        team,
        c,
        at=datetime(2026, 2, 3, 9, 0, tzinfo=UTC),
        lines=[("LAMP-1", 1, "30.00")],
        marketplace_id=DE,
        currency="EUR",
        channel="MFN",
        order_id="302-0000003-0000001",
    )
    order_day(team, c, date(2026, 2, 1), orders=1, units=3, sales="55.00")
    order_day(team, c, date(2026, 2, 3), orders=1, units=1, sales="10.00")
    order_day(
        team,
        c,
        date(2026, 2, 3),
        orders=1,
        units=1,
        sales="30.00",
        marketplace_id=DE,
        currency="EUR",
    )
    sku_summary(team, c, "MUG-1", units_30d=60)
    sku_summary(team, c, "LAMP-1", units_30d=3)
    stock(team, c, "MUG-1", fulfillable=20, inbound=100)  # 10 days of cover
    stock(team, c, "LAMP-1", fulfillable=30)  # 300 days
    stock(team, c, "CASE-1", fulfillable=5, channel="MFN")  # no sales
    listing(team, c, "MUG-1", title="Blue mug")
    listing(team, c, "LAMP-1", status="suppressed", issue="Missing main image", title="Desk lamp")
    settlement(
        team, c, "S-OK", deposit=datetime(2026, 1, 17, tzinfo=UTC), amounts=["100.00", "-15.00"]
    )
    settlement(
        team,
        c,
        "S-BAD",
        deposit=datetime(2026, 2, 1, tzinfo=UTC),
        amounts=["50.00", "-5.00"],
        total="46.00",
    )
    settlement(
        team,
        c,
        "S-WAIT",
        deposit=datetime(2026, 2, 15, tzinfo=UTC),
        amounts=["10.00"],
        transactions_reconciled=None,
    )
    oc = connected(other)
    order(
        other,
        oc,
        at=datetime(2026, 2, 2, 12, 0, tzinfo=UTC),
        lines=[("SECRET-SKU", 1, "99.00")],
        order_id="999-SECRET-0000001",
    )
    stock(other, oc, "SECRET-SKU", fulfillable=1)
    listing(other, oc, "SECRET-SKU")
    settlement(other, oc, "S-SECRET", deposit=datetime(2026, 1, 17, tzinfo=UTC), amounts=["1.00"])
    return personas
