"""Detection on exact situations: what is a case, what is not yet, what settles it, and the
statuses a case keeps across detections."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ams.claims import policy
from ams.claims.case_text import case_text
from ams.claims.models import Claim, ClaimKind, ClaimStatus
from ams.claims.services import claim_mark, claims_refresh
from ams.core.marketplaces import zone
from ams.core.tenancy import team_scope
from tests.amazon.factories import make_connection
from tests.claims import evidence as ev
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _now() -> datetime:
    return timezone.now().replace(microsecond=0)


def _claims(team_id: int) -> dict[tuple[str, str], Claim]:
    with team_scope(team_id):
        return {(c.kind, c.sku or c.order_id): c for c in Claim.objects.all()}


def _refresh(personas: Personas, connection, *, now: datetime | None = None) -> None:
    now = now or _now()
    with team_scope(personas.team.id):
        claims_refresh(
            team=personas.team,
            connection_id=connection.id,
            evidence_since=now - timedelta(days=150),
            now=now,
        )


def _local(moment: datetime):
    return moment.astimezone(zone(ev.US)).date()


def test_units_lost_or_damaged_and_not_settled_are_cases_with_amazons_deadline(
    personas: Personas,
):
    conn = make_connection(personas.team)
    now = _now()
    lost_at = now - timedelta(days=40)
    # Two units lost; Amazon reimbursed one of them.
    ev.adjustment(conn, at=lost_at, quantity=-2, reason="M", reference="11111111111")
    ev.reimbursement(
        conn,
        at=now - timedelta(days=35),
        quantity=1,
        reason="Lost_Warehouse",
        per_unit=Decimal("7.50"),
    )
    # One unit damaged: it moves from sellable to warehouse-damaged, never reimbursed.
    damaged_at = now - timedelta(days=50)
    for quantity, disposition in ((-1, "SELLABLE"), (1, "WAREHOUSE_DAMAGED")):
        ev.adjustment(
            conn,
            at=damaged_at,
            quantity=quantity,
            reason="E",
            disposition=disposition,
            fnsku="X00DAMAGED",
            sku="SKU-2",
            reference="22222222222",
        )
    ev.order_line(
        conn,
        order_id="111-0000001-0000001",
        at=now - timedelta(days=90),
        price=Decimal("20.00"),
        quantity=2,
        sku="SKU-2",
    )
    # Lost, then found again: not a case.
    ev.adjustment(
        conn, at=now - timedelta(days=45), quantity=-1, reason="M", fnsku="X00FOUND01", sku="SKU-3"
    )
    ev.adjustment(
        conn, at=now - timedelta(days=40), quantity=1, reason="F", fnsku="X00FOUND01", sku="SKU-3"
    )
    # Lost ten days ago: Amazon usually settles it by itself; not a case yet.
    ev.adjustment(
        conn, at=now - timedelta(days=10), quantity=-1, reason="M", fnsku="X00RECENT1", sku="SKU-4"
    )

    _refresh(personas, conn)
    found = _claims(personas.team.id)
    assert set(found) == {
        (ClaimKind.WAREHOUSE_LOST, "SKU-1"),
        (ClaimKind.WAREHOUSE_DAMAGED, "SKU-2"),
    }
    lost = found[(ClaimKind.WAREHOUSE_LOST, "SKU-1")]
    assert (lost.quantity, lost.estimate, lost.currency) == (1, Decimal("7.50"), "USD")
    assert lost.reference_id == "11111111111"
    assert lost.opens_on == _local(lost_at)
    assert lost.deadline == _local(lost_at) + timedelta(days=60)
    assert lost.status == ClaimStatus.OPEN
    damaged = found[(ClaimKind.WAREHOUSE_DAMAGED, "SKU-2")]
    assert (damaged.quantity, damaged.estimate) == (1, Decimal("10.00"))
    assert "average sale price" in damaged.estimate_basis
    assert damaged.deadline == _local(damaged_at) + timedelta(days=policy.WAREHOUSE_CLAIM_DAYS)

    # The seller files one and receives the other; detection keeps both statuses.
    with team_scope(personas.team.id):
        claim_mark(
            team=personas.team,
            claim=lost,
            status=ClaimStatus.FILED,
            case_id="1234567890",
            actor=personas.member,
            now=now,
        )
        claim_mark(
            team=personas.team,
            claim=damaged,
            status=ClaimStatus.RECEIVED,
            case_id="",
            actor=personas.member,
            now=now,
        )
    _refresh(personas, conn, now=now + timedelta(days=1))
    again = _claims(personas.team.id)
    assert again[(ClaimKind.WAREHOUSE_LOST, "SKU-1")].status == ClaimStatus.FILED
    assert again[(ClaimKind.WAREHOUSE_LOST, "SKU-1")].case_id == "1234567890"
    assert again[(ClaimKind.WAREHOUSE_DAMAGED, "SKU-2")].status == ClaimStatus.RECEIVED
    with team_scope(personas.team.id):
        assert Claim.objects.count() == 2

    # Amazon reimburses the second lost unit: the case settles itself.
    ev.reimbursement(
        conn,
        at=now + timedelta(days=2),
        quantity=1,
        reason="Lost_Warehouse",
        per_unit=Decimal("7.50"),
    )
    _refresh(personas, conn, now=now + timedelta(days=3))
    settled = _claims(personas.team.id)[(ClaimKind.WAREHOUSE_LOST, "SKU-1")]
    assert settled.status == ClaimStatus.RESOLVED
    assert "reimbursed" in settled.resolution
    with team_scope(personas.team.id):
        assert Claim.objects.count() == 2


def test_refunds_never_returned_and_refunds_above_the_price_paid(personas: Personas):
    conn = make_connection(personas.team)
    now = _now()
    old = now - timedelta(days=70)
    bought = now - timedelta(days=80)
    # Refunded 70 days ago, never returned: a case (North America: 60 to 120 days).
    ev.order_line(conn, order_id="111-0000001-0000001", at=bought, price=Decimal("20.00"))
    ev.refund(conn, order_id="111-0000001-0000001", at=old, principal=Decimal("20.00"))
    # Returned, or reimbursed by Amazon: not cases.
    ev.order_line(conn, order_id="111-0000002-0000002", at=bought, price=Decimal("20.00"))
    ev.refund(conn, order_id="111-0000002-0000002", at=old, principal=Decimal("20.00"))
    ev.customer_return(conn, order_id="111-0000002-0000002", at=old + timedelta(days=5))
    ev.order_line(conn, order_id="111-0000003-0000003", at=bought, price=Decimal("20.00"))
    ev.refund(conn, order_id="111-0000003-0000003", at=old, principal=Decimal("20.00"))
    ev.reimbursement(
        conn,
        at=old + timedelta(days=30),
        quantity=1,
        reason="CustomerReturn",
        per_unit=Decimal("20.00"),
        order_id="111-0000003-0000003",
    )
    # Refunded 30 days ago: the customer may still send it back.
    ev.order_line(conn, order_id="111-0000004-0000004", at=bought, price=Decimal("20.00"))
    ev.refund(
        conn,
        order_id="111-0000004-0000004",
        at=now - timedelta(days=30),
        principal=Decimal("20.00"),
    )
    # Merchant-fulfilled: the seller handles the return, not Amazon.
    ev.order_line(
        conn, order_id="111-0000005-0000005", at=bought, price=Decimal("20.00"), channel="MFN"
    )
    ev.refund(conn, order_id="111-0000005-0000005", at=old, principal=Decimal("20.00"))
    # Refunded before AMS read the returns: it cannot know.
    ev.order_line(
        conn, order_id="111-0000006-0000006", at=now - timedelta(days=170), price=Decimal("20.00")
    )
    ev.refund(
        conn,
        order_id="111-0000006-0000006",
        at=now - timedelta(days=160),
        principal=Decimal("20.00"),
    )
    # Paid 10.80 with tax, refunded 15.80, returned: 5.00 over.
    ev.order_line(
        conn, order_id="111-0000007-0000007", at=bought, price=Decimal("10.00"), tax=Decimal("0.80")
    )
    ev.refund(
        conn,
        order_id="111-0000007-0000007",
        at=old,
        principal=Decimal("15.00"),
        tax=Decimal("0.80"),
    )
    ev.customer_return(conn, order_id="111-0000007-0000007", at=old + timedelta(days=5))

    _refresh(personas, conn)
    found = _claims(personas.team.id)
    assert set(found) == {
        (ClaimKind.RETURN_NOT_RECEIVED, "SKU-1"),
        (ClaimKind.REFUND_OVER_PAID, "SKU-1"),
    }
    unreturned = found[(ClaimKind.RETURN_NOT_RECEIVED, "SKU-1")]
    assert unreturned.order_id == "111-0000001-0000001"
    assert (unreturned.quantity, unreturned.estimate) == (1, Decimal("20.00"))
    assert unreturned.opens_on == _local(old) + timedelta(days=60)
    assert unreturned.deadline == _local(old) + timedelta(days=120)
    over = found[(ClaimKind.REFUND_OVER_PAID, "SKU-1")]
    assert over.order_id == "111-0000007-0000007"
    assert over.estimate == Decimal("5.00")


def test_the_return_window_is_the_region_s(personas: Personas):
    """Europe's window opens 45 days after the refund, North America's after 60."""
    now = _now()
    refunded = now - timedelta(days=50)
    for region in ("NA", "EU"):
        conn = make_connection(personas.team, region=region)
        ev.order_line(
            conn,
            order_id=f"{region}-0000001",
            at=refunded - timedelta(days=3),
            price=Decimal("9.99"),
        )
        ev.refund(conn, order_id=f"{region}-0000001", at=refunded, principal=Decimal("9.99"))
        _refresh(personas, conn)
    found = {c.order_id: c for c in _claims(personas.team.id).values()}
    assert set(found) == {"EU-0000001"}
    assert found["EU-0000001"].deadline == _local(refunded) + timedelta(days=105)


def test_an_outsider_team_sees_none_of_the_cases(personas: Personas):
    conn = make_connection(personas.team)
    ev.adjustment(conn, at=_now() - timedelta(days=40), quantity=-1, reason="M")
    _refresh(personas, conn)
    with team_scope(personas.team.id):
        assert Claim.objects.count() == 1
    with team_scope(personas.outsider_team.id):
        assert Claim.objects.count() == 0


def test_an_fba_fee_that_rose_and_stayed_is_a_case_for_its_last_90_days(personas: Personas):
    conn = make_connection(personas.team)
    now = _now()
    day = timedelta(days=1)
    small, large = Decimal("3.22"), Decimal("4.75")
    # Steady at the small tier's fee, then the next tier's from 100 days ago.
    for n, (ago, fee, units) in enumerate(
        [
            (130, small, 1),
            (120, small, 2),
            (110, small, 1),
            (100, large, 1),
            (60, large, 2),
            (20, large, 1),
        ]
    ):
        ev.shipment_fee(
            conn,
            order_id=f"111-F{n}",
            at=now - ago * day,
            fee_per_unit=fee,
            quantity=units,
            sku="SKU-F",
        )
    # One higher charge only: not yet a rise that holds.
    for n, (ago, fee) in enumerate([(50, small), (40, small), (30, small), (10, large)]):
        ev.shipment_fee(
            conn, order_id=f"111-G{n}", at=now - ago * day, fee_per_unit=fee, sku="SKU-G"
        )
    # A fee that fell: nothing to claim.
    for n, (ago, fee) in enumerate(
        [(50, large), (40, large), (30, large), (20, small), (10, small)]
    ):
        ev.shipment_fee(
            conn, order_id=f"111-H{n}", at=now - ago * day, fee_per_unit=fee, sku="SKU-H"
        )

    _refresh(personas, conn)
    found = _claims(personas.team.id)
    assert set(found) == {(ClaimKind.FEE_TIER_CHANGE, "SKU-F")}
    claim = found[(ClaimKind.FEE_TIER_CHANGE, "SKU-F")]
    # Within Amazon's 90 days: the shipments of 60 and 20 days ago, 3 units.
    assert (claim.quantity, claim.estimate) == (3, Decimal("4.59"))
    assert claim.order_id == "111-F3"  # the first shipment at the higher fee
    assert claim.deadline == _local(now - 60 * day) + timedelta(days=policy.FEE_CLAIM_DAYS)
    text = case_text(claim)
    for fact in ("SKU: SKU-F", "3.22 USD", "4.75 USD", "order 111-F2", "order 111-F3", "4.59 USD"):
        assert fact in text, fact

    # The fee falls back: the case settles itself.
    ev.shipment_fee(conn, order_id="111-F9", at=now + day, fee_per_unit=small, sku="SKU-F")
    _refresh(personas, conn, now=now + 2 * day)
    assert _claims(personas.team.id)[(ClaimKind.FEE_TIER_CHANGE, "SKU-F")].status == (
        ClaimStatus.RESOLVED
    )
