"""Landed cost: an order's charges (freight, duty, insurance, prep, other) spread over its lines.

``allocate`` is the arithmetic any holder of charges can call (an order today, a shipment later):
an amount in cents over weights, by the largest remainder, so the parts always add up to the
charge to the cent. The weights are a line's units, value (units x price), weight (units x the
product's unit weight) or volume (units x the product's unit length x width x height); a line
whose product lacks the weight or the size cannot take a charge by it, and says so.

A line's share then follows its goods: each receipt of the line takes the part of it that its units
are of the line's units (received beyond the order: of what was received), so a partial receipt
carries part of the charge and the rest waits for the rest of the goods.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from ams.purchasing.errors import PurchasingError
from ams.purchasing.models import (
    AllocationBasis,
    LandedCharge,
    PurchaseOrderLine,
    ReceiptLine,
)
from ams.teams.models import Team

# (amount, its currency, the day of the rate) → the amount in the home currency, to the cent.
ToHome = Callable[[Decimal, str, date], Decimal]


def allocate(total: int, weights: Sequence[Decimal | int]) -> list[int]:
    """``total`` cents over ``weights`` in proportion, by the largest remainder: each part is the
    floor of its exact share, and the cents left go one each to the largest remainders (the first
    line first among equals). The parts add up to ``total`` exactly."""
    whole = sum(Decimal(w) for w in weights)
    if whole <= 0:
        raise PurchasingError("The charge has nothing to be spread over: every line weighs 0.")
    exact = [Decimal(total) * Decimal(w) / whole for w in weights]
    parts = [int(x) for x in exact]  # floor: all non-negative
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def line_weights(lines: Sequence[PurchaseOrderLine], basis: str) -> list[Decimal]:
    """Each line's weight for ``basis``; a clear error naming a product that lacks what it needs."""
    out: list[Decimal] = []
    for line in lines:
        product = line.product
        if basis == AllocationBasis.UNITS:
            out.append(Decimal(line.quantity))
        elif basis == AllocationBasis.VALUE:
            out.append(line.quantity * line.unit_price)
        elif basis == AllocationBasis.WEIGHT:
            if product.unit_weight_g is None:
                raise PurchasingError(
                    f"{product.code} has no unit weight: enter it on the product, or spread "
                    "the charge by units or value."
                )
            out.append(line.quantity * product.unit_weight_g)
        elif basis == AllocationBasis.VOLUME:
            sizes = (product.unit_length_cm, product.unit_width_cm, product.unit_height_cm)
            if any(size is None for size in sizes):
                raise PurchasingError(
                    f"{product.code} has no unit size (length, width and height): enter it on "
                    "the product, or spread the charge by units or value."
                )
            length, width, height = (Decimal(size or 0) for size in sizes)
            out.append(line.quantity * length * width * height)
        else:
            raise PurchasingError("Spread a charge by units, value, weight or volume.")
    return out


def charge_by_line(
    charge: LandedCharge, lines: Sequence[PurchaseOrderLine], home_cents: int
) -> dict[int, int]:
    """The charge (``home_cents``, already in the home currency) per order line id."""
    parts = allocate(home_cents, line_weights(lines, charge.basis))
    return {line.pk: part for line, part in zip(lines, parts, strict=True)}


def _share(value: int, part: int, whole: int) -> int:
    return (2 * value * part + whole) // (2 * whole)


def landed_by_receipt_line(
    team: Team, *, order_ids: Iterable[int], to_home: ToHome
) -> dict[int, Decimal]:
    """The landed cost of each receipt line of the orders ``order_ids``, in the home currency: each charge converted at its payment day's rate (else the order's first
    receipt's), spread over the order's lines, and each line's share over its receipts by units."""
    charges = list(LandedCharge.objects.filter(team=team, order_id__in=list(order_ids)))
    if not charges:
        return {}
    by_order: dict[int, list[LandedCharge]] = defaultdict(list)
    for charge in charges:
        by_order[charge.order_id].append(charge)
    lines_of: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
    for line in (
        PurchaseOrderLine.objects.filter(team=team, order_id__in=list(by_order))
        .select_related("product")
        .order_by("pk")
    ):
        lines_of[line.order_id].append(line)
    receipts_of: dict[int, list[ReceiptLine]] = defaultdict(list)
    for rl in (
        ReceiptLine.objects.filter(team=team, line__order_id__in=list(by_order))
        .select_related("receipt")
        .order_by("receipt__received_on", "pk")
    ):
        receipts_of[rl.line_id].append(rl)
    line_by_id = {line.pk: line for lines in lines_of.values() for line in lines}
    line_cents: dict[int, int] = defaultdict(int)
    for order_id, order_charges in by_order.items():
        lines = lines_of[order_id]
        first_receipt = min(
            (rl.receipt.received_on for line in lines for rl in receipts_of[line.pk]),
            default=None,
        )
        for charge in order_charges:
            day = charge.paid_on or first_receipt
            if day is None:
                continue
            home = to_home(charge.amount, charge.currency, day)
            cents = int(home * 100)
            for line_id, part in charge_by_line(charge, lines, cents).items():
                line_cents[line_id] += part
    out: dict[int, Decimal] = {}
    for line_id, cents in line_cents.items():
        got = receipts_of[line_id]
        line = line_by_id[line_id]
        whole = max(line.quantity, sum(rl.quantity for rl in got))
        before = 0
        for rl in got:
            part = _share(cents, before + rl.quantity, whole) - _share(cents, before, whole)
            before += rl.quantity
            out[rl.pk] = Decimal(part) / 100
    return out
