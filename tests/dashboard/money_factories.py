"""Transactions with their charges, a product cost and the charges rollup, as the finances sync
would leave them, on top of ``tests.dashboard.factories.seed``."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.finance.fee_rollups import charge_months_rebuild
from ams.finance.models import Charge, Transaction
from ams.procurement.models import ProductCost
from ams.teams.models import Team
from tests.dashboard import factories as f
from tests.factories import Personas

ORDER = "111-0000001-0000001"  # MUG-1 x2 for 20.00, LAMP-1 x1 for 35.00; US local day 2026-02-01
_ids = itertools.count(1)

PRINCIPAL = ("Sales", "ProductCharges", "Principal")
COMMISSION = ("Expenses", "AmazonFees", "Commission")
FBA_FEE = ("Expenses", "AmazonFees", "FBAPerUnitFulfillmentFee")
REFUND_COMMISSION = ("Expenses", "AmazonFees", "RefundCommission")
STORAGE = ("Expenses", "AmazonFees", "Storage Fee")


def transaction(
    team: Team,
    connection: SellerConnection,
    *,
    at: datetime,
    kind: str,
    charges: list[tuple[str, tuple[str, str, str], str]],
    order_id: str = "",
    marketplace_id: str = f.US,
    currency: str = "USD",
    settlement_id: str = "",
    event_group_id: str = "",
    status: str = "RELEASED",
) -> Transaction:
    """A transaction and its charges (sku, (category, kind, type), amount); its total is their sum."""
    transaction_id = f"T{next(_ids):05d}"
    now = timezone.now()
    with team_scope(team.id):
        made = Transaction.objects.create(
            team=team,
            connection=connection,
            transaction_id=transaction_id,
            transaction_type=kind,
            status=status,
            description=kind,
            posted_at=at,
            marketplace_id=marketplace_id,
            currency=currency,
            total_amount=sum((Decimal(a) for _s, _p, a in charges), Decimal(0)),
            order_id=order_id,
            settlement_id=settlement_id,
            event_group_id=event_group_id,
            synced_at=now,
        )
        for position, (sku, (category, charge_kind, description), amount) in enumerate(charges):
            Charge.objects.create(
                team=team,
                connection=connection,
                transaction_id=transaction_id,
                position=position,
                posted_at=at,
                sku=sku,
                category=category,
                kind=charge_kind,
                description=description,
                amount=Decimal(amount),
                currency=currency,
                synced_at=now,
            )
    return made


def seed_money(personas: Personas) -> Personas:
    f.seed(personas)
    team, other = personas.team, personas.outsider_team
    with team_scope(team.id):
        c = SellerConnection.objects.get(team=team)
        ProductCost.objects.create(
            team=team,
            sku="MUG-1",
            currency="USD",
            unit_cost=Decimal("5.00"),
            effective_from=date(2026, 1, 1),
        )
    transaction(
        team,
        c,
        at=datetime(2026, 2, 3, 10, 0, tzinfo=UTC),
        kind="Shipment",
        order_id=ORDER,
        settlement_id="S-OK",
        charges=[
            ("MUG-1", PRINCIPAL, "20.00"),
            ("MUG-1", COMMISSION, "-3.00"),
            ("MUG-1", FBA_FEE, "-3.40"),
            ("LAMP-1", PRINCIPAL, "35.00"),
            ("LAMP-1", COMMISSION, "-5.25"),
            ("LAMP-1", FBA_FEE, "-4.10"),
        ],
    )
    transaction(
        team,
        c,
        at=datetime(2026, 2, 10, 12, 0, tzinfo=UTC),
        kind="Refund",
        order_id=ORDER,
        charges=[
            ("LAMP-1", PRINCIPAL, "-35.00"),
            ("LAMP-1", COMMISSION, "5.25"),
            ("LAMP-1", REFUND_COMMISSION, "-1.05"),
        ],
    )
    transaction(
        team,
        c,
        at=datetime(2026, 2, 7, 5, 0, tzinfo=UTC),
        kind="ServiceFee",
        charges=[("", STORAGE, "-12.00")],
    )
    transaction(
        team,
        c,
        at=datetime(2026, 2, 4, 9, 0, tzinfo=UTC),
        kind="Shipment",
        order_id="302-0000003-0000001",
        marketplace_id=f.DE,
        currency="EUR",
        charges=[("LAMP-1", PRINCIPAL, "30.00"), ("LAMP-1", COMMISSION, "-4.50")],
    )
    # 07:00 UTC on 1 March is still 28 February in Los Angeles: a February fee of the US marketplace.
    transaction(
        team,
        c,
        at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        kind="Shipment",
        order_id="111-0000009-0000001",
        charges=[("MUG-1", PRINCIPAL, "5.00"), ("MUG-1", COMMISSION, "-1.00")],
    )
    with team_scope(team.id):
        charge_months_rebuild(connection_id=c.id)
    with team_scope(other.id):
        oc = SellerConnection.objects.get(team=other)
    transaction(
        other,
        oc,
        at=datetime(2026, 2, 3, 10, 0, tzinfo=UTC),
        kind="Shipment",
        order_id="999-SECRET-0000001",
        settlement_id="S-SECRET",
        charges=[("SECRET-SKU", PRINCIPAL, "99.00"), ("SECRET-SKU", COMMISSION, "-77.77")],
    )
    with team_scope(other.id):
        charge_months_rebuild(connection_id=oc.id)
    return personas
