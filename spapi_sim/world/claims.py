"""The reimbursement cases planted in a seller's history, as the truth lists them.

Three kinds, each revealed by the reports Amazon serves and each hidden among look-alikes that
are not cases:

* ``warehouse_lost`` / ``warehouse_damaged``: units the inventory ledger shows lost (reason M)
  or damaged (E) in a fulfilment centre that Amazon neither reimbursed nor found again. Most
  incidents are reimbursed (``Lost_Warehouse`` / ``Damaged_Warehouse``) or found (reason F)
  within 3-22 days; those are not cases.
* ``return_not_received``: refunded FBA units the customer never sent back (absent from the
  customer returns report) and that Amazon did not reimburse by itself (half of them it does,
  ``CustomerReturn``, 25-40 days after the refund).
* ``refund_over_paid``: refunds larger than what the customer paid (Amazon refunded a quarter,
  half or all of the line's price on top).
* ``fee_tier_change``: an FBA SKU whose fulfilment fee per unit jumped to the next size tier's
  while the product did not change, per marketplace where it shipped since. ``amount`` and
  ``quantity`` count the units charged the higher fee in the last ``FEE_CLAIM_DAYS`` (the
  charges still claimable), ``date`` is the oldest of those charges, ``jump_date`` the first
  charge at the higher fee; ``shipments_before`` and ``shipments_after`` count the shipments at
  the old and the new fee (a jump shows only against a steady fee before it).

The amounts are what Amazon would owe: the unit value it pays for a lost unit, the product
price refunded, the part refunded over what was paid.
"""

from __future__ import annotations

from typing import Any

from spapi_sim.api.finances import POSTED_LATENCY
from spapi_sim.money import ZERO, q, s
from spapi_sim.reports.documents import incident_reference
from spapi_sim.world.finances import ITEM_PRICE, PROMOTION
from spapi_sim.world.history import DAY, FLAG_CANCELLED, INCIDENT_LOST, OUTCOME_OPEN
from spapi_sim.world.seller import SellerWorld

WAREHOUSE_LOST = "warehouse_lost"
WAREHOUSE_DAMAGED = "warehouse_damaged"
RETURN_NOT_RECEIVED = "return_not_received"
REFUND_OVER_PAID = "refund_over_paid"
FEE_TIER_CHANGE = "fee_tier_change"
# Amazon refunds an FBA fee charged on wrong dimensions if asked within 90 days of the charge.
FEE_CLAIM_DAYS = 90


def planted_cases(world: SellerWorld, lo: int, hi: int, now: int) -> list[dict[str, Any]]:
    """The open cases whose event (loss, damage, refund) happened in [lo, hi) and by ``now``."""
    h = world.history
    cases: list[dict[str, Any]] = []
    first_day = max(0, lo // DAY)
    last_day = max(0, (min(hi, now + 1) - 1) // DAY)
    for incident in h.incidents:
        if not lo <= incident.second < hi or incident.second > now:
            continue
        if incident.outcome != OUTCOME_OPEN and incident.settled <= now:
            continue
        m = world.marketplaces[incident.market]
        p = world.products[incident.sku]
        cases.append(
            {
                "kind": WAREHOUSE_LOST if incident.kind == INCIDENT_LOST else WAREHOUSE_DAMAGED,
                "marketplace_id": m.id,
                "sku": p.sku,
                "fnsku": p.fnsku,
                "reference_id": incident_reference(world, incident.number),
                "order_id": "",
                "date": world.moment(incident.second).isoformat(),
                "quantity": incident.quantity,
                "currency": m.currency,
                "amount": s(world.ledger.unit_value(p, m) * incident.quantity),
            }
        )
    for day in range(first_day, last_day + 1):
        for order in h.refunds_by_day.get(day, ()):
            view = world.book.view(order)
            refunded = view.refund_second
            if refunded is None or not lo <= refunded < hi or refunded > now:
                continue
            m = view.marketplace
            event = world.ledger.refund_event(view)
            for sku, qty in h.unreturned.get(order, ()):
                reimbursed = h.return_reimbursed_day(order, sku)
                if reimbursed is not None and reimbursed * DAY + 7 * 3600 + order % 3600 <= now:
                    continue
                p = world.products[sku]
                net = ZERO
                for item in event.items:
                    if item.sku == p.sku:
                        net -= sum(
                            (
                                c.amount
                                for c in item.charges
                                if (c.amount_type, c.description)
                                in ((ITEM_PRICE, "Principal"), (PROMOTION, "Principal"))
                            ),
                            ZERO,
                        )
                cases.append(
                    {
                        "kind": RETURN_NOT_RECEIVED,
                        "marketplace_id": m.id,
                        "sku": p.sku,
                        "fnsku": p.fnsku,
                        "reference_id": "",
                        "order_id": view.order_id,
                        "date": world.moment(refunded).isoformat(),
                        "quantity": qty,
                        "currency": m.currency,
                        "amount": s(q(net, m.currency)),
                    }
                )
            rate = h.over_refund_rate(order)
            if rate:
                line = view.lines[0]
                cases.append(
                    {
                        "kind": REFUND_OVER_PAID,
                        "marketplace_id": m.id,
                        "sku": line.product.sku,
                        "fnsku": line.product.fnsku,
                        "reference_id": "",
                        "order_id": view.order_id,
                        "date": world.moment(refunded).isoformat(),
                        "quantity": line.quantity,
                        "currency": m.currency,
                        "amount": s(q(line.item_price * rate, m.currency)),
                    }
                )
    cases.extend(_fee_jumps(world, lo, hi, now))
    cases.sort(key=lambda c: (c["date"], c["kind"], c["sku"]))
    return cases


def _fee_jumps(world: SellerWorld, lo: int, hi: int, now: int) -> list[dict[str, Any]]:
    ledger = world.ledger
    h = world.history
    if not ledger.fee_jumps:
        return []
    visible = now - POSTED_LATENCY  # what the finances API lists
    # (marketplace, SKU) → [(ship instant, units, order id)] of every shipment AMS can see.
    shipped: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for order in h.orders_between(0, visible + 1):
        if h.o_flags[order] & FLAG_CANCELLED:
            continue
        ship = world.book.times(order)[2]
        if ship is None or ship > visible:
            continue
        # An item cancelled on its own is never shipped and posts no fee.
        for item in h.shipped_items(order):
            sku = h.i_sku[item]
            if sku in ledger.fee_jumps:
                shipped.setdefault((h.o_mkt[order], sku), []).append((ship, h.i_qty[item], order))
    cases = []
    window_start = now - FEE_CLAIM_DAYS * DAY
    for (mi, sku), shipments in sorted(shipped.items()):
        jump = ledger.fee_jumps[sku] * DAY
        shipments.sort()
        before = [s_ for s_ in shipments if s_[0] < jump]
        after = [s_ for s_ in shipments if s_[0] >= jump]
        claimable = [s_ for s_ in after if s_[0] >= window_start]
        if not after or not claimable or not lo <= after[0][0] < hi:
            continue
        m = world.marketplaces[mi]
        p = world.products[sku]
        extra = ledger.fba_fee_at(p, m, jump) - p.fba_fee(m)
        units = sum(qty for _t, qty, _o in claimable)
        cases.append(
            {
                "kind": FEE_TIER_CHANGE,
                "marketplace_id": m.id,
                "sku": p.sku,
                "fnsku": p.fnsku,
                "reference_id": "",
                "order_id": world.book.order_id(after[0][2]),
                "date": world.moment(claimable[0][0]).isoformat(),
                "jump_date": world.moment(after[0][0]).isoformat(),
                "quantity": units,
                "currency": m.currency,
                "amount": s(extra * units),
                "shipments_before": len(before),
                "shipments_after": len(after),
            }
        )
    return cases
