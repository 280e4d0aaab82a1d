"""Writes of purchase orders: creation, lines, the steps of the order's life, receipts, payments.

The life of an order, and the only steps a service takes (``NEXT``):

    draft → sent → confirmed → partially received → received → closed
    draft, sent, confirmed (nothing received yet) → cancelled
    partially received → closed (the rest will not come)

Receipts move an order to partially received or received; the other steps are services of their
own. Every service checks its input and the order's state first and raises ``PurchasingError``
with a sentence for the seller, so a refused change writes nothing. ``PurchaseOrder.DoesNotExist``
means an order the team does not have (a 404).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from ams.accounts.models import User
from ams.products.models import Product
from ams.purchasing import emails, selectors
from ams.purchasing.errors import PurchasingError
from ams.purchasing.landed import line_weights
from ams.purchasing.models import (
    AllocationBasis,
    ChargeKind,
    LandedCharge,
    Payment,
    PaymentKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    StockPool,
    Supplier,
)
from ams.purchasing.pdf import purchase_order_pdf
from ams.purchasing.signals import goods_cost_changed
from ams.teams.models import Team

MAX_QUANTITY = 10_000_000
MAX_PRICE = Decimal("9999999999")

NEXT: dict[str, frozenset[str]] = {
    POStatus.DRAFT: frozenset({POStatus.SENT, POStatus.CANCELLED}),
    POStatus.SENT: frozenset(
        {
            POStatus.CONFIRMED,
            POStatus.PARTIALLY_RECEIVED,
            POStatus.RECEIVED,
            POStatus.CANCELLED,
        }
    ),
    POStatus.CONFIRMED: frozenset(
        {POStatus.PARTIALLY_RECEIVED, POStatus.RECEIVED, POStatus.CANCELLED}
    ),
    POStatus.PARTIALLY_RECEIVED: frozenset(
        {POStatus.PARTIALLY_RECEIVED, POStatus.RECEIVED, POStatus.CLOSED}
    ),
    # Goods beyond the order can still arrive (confirmed as such), and the order is closed.
    POStatus.RECEIVED: frozenset({POStatus.RECEIVED, POStatus.CLOSED}),
    POStatus.CLOSED: frozenset(),
    POStatus.CANCELLED: frozenset(),
}

# A class id for the advisory lock that serialises a team's order numbers.
_NUMBER_LOCK = 7_302_001


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int
    # None: the supplier's price for this quantity on the order's day.
    unit_price: Decimal | None = None
    expected_date: date | None = None


def _status_label(status: str) -> str:
    return POStatus(status).label.lower()


def _step(order: PurchaseOrder, to: POStatus) -> None:
    if to not in NEXT[order.status]:
        raise PurchasingError(
            f"{order.number} is {_status_label(order.status)}: it cannot become {to.label.lower()}."
        )
    order.status = to


def _locked(team: Team, order_id: int) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier")
        .get(team=team, pk=order_id)
    )


def _check_quantity(quantity: int, what: str) -> None:
    if quantity <= 0:
        raise PurchasingError(f"The quantity of {what} must be more than zero.")
    if quantity > MAX_QUANTITY:
        raise PurchasingError(f"The quantity of {what} is too large.")


def _check_price(price: Decimal, what: str) -> None:
    if price < 0:
        raise PurchasingError(f"The price of {what} cannot be negative.")
    if price > MAX_PRICE:
        raise PurchasingError(f"The price of {what} is too large.")


def _priced_lines(
    team: Team, supplier: Supplier, lines: Sequence[LineInput], *, on: date
) -> list[tuple[Product, LineInput, Decimal]]:
    products = {
        p.pk: p for p in Product.objects.filter(team=team, pk__in=[x.product_id for x in lines])
    }
    seen: set[int] = set()
    out: list[tuple[Product, LineInput, Decimal]] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            raise PurchasingError("A line names a product you do not have.")
        if line.product_id in seen:
            raise PurchasingError(f"{product.code} is on the order twice; give it one line.")
        seen.add(line.product_id)
        _check_quantity(line.quantity, product.code)
        price = line.unit_price
        if price is None:
            found = selectors.price_for(
                team, supplier=supplier, product_id=product.pk, quantity=line.quantity, on=on
            )
            if found is None:
                raise PurchasingError(
                    f"{supplier.name} has no price for {line.quantity} x {product.code} on {on}; "
                    "enter the unit price."
                )
            if found.currency != supplier.currency:
                raise PurchasingError(
                    f"{supplier.name}'s price for {product.code} is in {found.currency}, the order "
                    f"in {supplier.currency}; enter the unit price."
                )
            price = found.unit_price
        _check_price(price, product.code)
        out.append((product, line, price))
    return out


def _next_number(team: Team) -> str:
    # Two orders created at once must not take the same number: the second waits for the first.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_NUMBER_LOCK, team.id])
    count = PurchaseOrder.objects.filter(team=team).count()
    return f"PO-{count + 1:05d}"


@transaction.atomic
def create_purchase_order(
    *,
    team: Team,
    actor: User | None,
    supplier_id: int,
    lines: Sequence[LineInput] = (),
    expected_ship_date: date | None = None,
    expected_arrival_date: date | None = None,
    note: str = "",
    on: date | None = None,
) -> PurchaseOrder:
    """A draft order to the supplier, in its currency; lines without a price take the supplier's
    price for their quantity on ``on`` (today). Called by the page, and by anything that suggests
    what to reorder."""
    supplier = Supplier.objects.get(team=team, pk=supplier_id)
    day = on or timezone.now().date()
    _check_dates(expected_ship_date, expected_arrival_date)
    priced = _priced_lines(team, supplier, lines, on=day)
    order = PurchaseOrder.objects.create(
        team=team,
        number=_next_number(team),
        supplier=supplier,
        currency=supplier.currency,
        expected_ship_date=expected_ship_date,
        expected_arrival_date=expected_arrival_date,
        note=note.strip(),
        created_by=actor,
    )
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            team=team,
            order=order,
            product=product,
            quantity=line.quantity,
            unit_price=price,
            expected_date=line.expected_date,
        )
        for product, line, price in priced
    )
    return order


def _check_dates(ship: date | None, arrival: date | None) -> None:
    if ship is not None and arrival is not None and arrival < ship:
        raise PurchasingError("The goods cannot arrive before they ship.")


@transaction.atomic
def purchase_order_update(
    *,
    team: Team,
    order_id: int,
    expected_ship_date: date | None,
    expected_arrival_date: date | None,
    note: str,
) -> PurchaseOrder:
    """The expected dates and the note; they may change until the order is closed."""
    order = _locked(team, order_id)
    if order.status in (POStatus.CLOSED, POStatus.CANCELLED):
        raise PurchasingError(f"{order.number} is {_status_label(order.status)}: it cannot change.")
    _check_dates(expected_ship_date, expected_arrival_date)
    order.expected_ship_date = expected_ship_date
    order.expected_arrival_date = expected_arrival_date
    order.note = note.strip()
    order.save(update_fields=["expected_ship_date", "expected_arrival_date", "note"])
    return order


def _draft(team: Team, order_id: int) -> PurchaseOrder:
    order = _locked(team, order_id)
    if order.status != POStatus.DRAFT:
        raise PurchasingError(
            f"{order.number} is {_status_label(order.status)}: only a draft's lines can change."
        )
    return order


@transaction.atomic
def purchase_order_line_set(
    *, team: Team, order_id: int, line: LineInput, on: date | None = None
) -> PurchaseOrderLine:
    """Add the product to a draft, or change its line."""
    order = _draft(team, order_id)
    ((product, checked, price),) = _priced_lines(
        team, order.supplier, [line], on=on or timezone.now().date()
    )
    saved, _ = PurchaseOrderLine.objects.update_or_create(
        team=team,
        order=order,
        product=product,
        defaults={
            "quantity": checked.quantity,
            "unit_price": price,
            "expected_date": checked.expected_date,
        },
    )
    return saved


@transaction.atomic
def purchase_order_line_remove(*, team: Team, order_id: int, line_id: int) -> PurchaseOrderLine:
    order = _draft(team, order_id)
    line = PurchaseOrderLine.objects.get(team=team, order=order, pk=line_id)
    line.delete()
    return line


@transaction.atomic
def purchase_order_send(
    *, team: Team, actor: User, order_id: int, email: bool = True
) -> PurchaseOrder:
    """Approve a draft and send it: with ``email``, the PDF goes to the supplier once committed;
    without, the seller sent it another way and AMS records that it was sent."""
    order = _locked(team, order_id)
    _step(order, POStatus.SENT)
    lines = list(selectors.order_lines(team, order))
    if not lines:
        raise PurchasingError(f"{order.number} has no lines: add what you order first.")
    if email and not order.supplier.email:
        raise PurchasingError(
            f"{order.supplier.name} has no email address: add one, or mark the order as sent."
        )
    order.sent_at = timezone.now()
    order.sent_by = actor
    order.save(update_fields=["status", "sent_at", "sent_by"])
    if email:
        pdf = purchase_order_pdf(
            order=order, lines=lines, totals=selectors.order_totals(team, order), buyer=team.name
        )
        to, reply_to = order.supplier.email, actor.email
        transaction.on_commit(
            lambda: emails.send_purchase_order(
                order=order, pdf=pdf, to=to, reply_to=reply_to, buyer=team.name
            )
        )
    return order


@transaction.atomic
def purchase_order_confirm(*, team: Team, order_id: int) -> PurchaseOrder:
    """The supplier confirmed the order."""
    order = _locked(team, order_id)
    _step(order, POStatus.CONFIRMED)
    order.confirmed_at = timezone.now()
    order.save(update_fields=["status", "confirmed_at"])
    return order


@transaction.atomic
def purchase_order_cancel(*, team: Team, order_id: int) -> PurchaseOrder:
    order = _locked(team, order_id)
    _step(order, POStatus.CANCELLED)
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at"])
    return order


@transaction.atomic
def purchase_order_close(*, team: Team, order_id: int) -> PurchaseOrder:
    """Nothing more will arrive: a received order is done, a partial one stays short."""
    order = _locked(team, order_id)
    _step(order, POStatus.CLOSED)
    order.closed_at = timezone.now()
    order.save(update_fields=["status", "closed_at"])
    return order


@transaction.atomic
def receipt_record(
    *,
    team: Team,
    actor: User | None,
    order_id: int,
    received_on: date,
    quantities: Mapping[int, int],
    confirm_over: bool = False,
    note: str = "",
    stock_pool: str = StockPool.OWN,
) -> Receipt:
    """Goods counted in: units per order line id (lines not named received nothing this time),
    into ``stock_pool`` (the seller's own stock, or Amazon's fulfilment centres of a region).

    More than ordered is refused unless ``confirm_over``: the seller says the extra units came.
    The goods' cost changes from the receipt's day on (``signals.goods_cost_changed``)."""
    order = _locked(team, order_id)
    if order.status not in (
        POStatus.SENT,
        POStatus.CONFIRMED,
        POStatus.PARTIALLY_RECEIVED,
        POStatus.RECEIVED,
    ):
        raise PurchasingError(
            f"{order.number} is {_status_label(order.status)}: it cannot receive goods."
        )
    if received_on > timezone.now().date():
        raise PurchasingError("Goods cannot be received on a day still to come.")
    if stock_pool not in StockPool.values:
        raise PurchasingError("Say where the goods went: your own stock or an FBA region.")
    if order.sent_at is not None and received_on < order.sent_at.date():
        raise PurchasingError(
            f"{order.number} was sent on {order.sent_at.date()}; goods came later."
        )
    lines = {
        line.pk: line
        for line in PurchaseOrderLine.objects.select_for_update()
        .select_related("product")
        .filter(team=team, order=order)
    }
    over: list[str] = []
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise PurchasingError(f"A receipt line is not a line of {order.number}.")
        if quantity < 0:
            raise PurchasingError(f"The quantity of {line.product.code} cannot be negative.")
        if quantity > MAX_QUANTITY:
            raise PurchasingError(f"The quantity of {line.product.code} is too large.")
        if line.received_quantity + quantity > line.quantity:
            over.append(
                f"{line.product.code} ({line.received_quantity + quantity} of {line.quantity})"
            )
    received = {line_id: n for line_id, n in quantities.items() if n > 0}
    if not received:
        raise PurchasingError("The receipt has no units: enter what arrived.")
    if over and not confirm_over:
        raise PurchasingError(
            "More than ordered: " + ", ".join(over) + ". Confirm that these units arrived."
        )
    receipt = Receipt.objects.create(
        team=team,
        order=order,
        received_on=received_on,
        stock_pool=stock_pool,
        note=note.strip(),
        created_by=actor,
    )
    ReceiptLine.objects.bulk_create(
        ReceiptLine(
            team=team,
            receipt=receipt,
            line=lines[line_id],
            product=lines[line_id].product,
            quantity=n,
            unit_cost=lines[line_id].unit_price,
            currency=order.currency,
        )
        for line_id, n in received.items()
    )
    for line_id, n in received.items():
        line = lines[line_id]
        line.received_quantity += n
        line.save(update_fields=["received_quantity"])
    complete = all(line.received_quantity >= line.quantity for line in lines.values())
    _step(order, POStatus.RECEIVED if complete else POStatus.PARTIALLY_RECEIVED)
    order.save(update_fields=["status"])
    goods_cost_changed.send(
        sender=Receipt,
        team_id=team.id,
        product_ids=frozenset(lines[line_id].product_id for line_id in received),
        day=received_on,
    )
    return receipt


@transaction.atomic
def payment_record(
    *,
    team: Team,
    actor: User | None,
    order_id: int,
    kind: str,
    amount: Decimal,
    paid_on: date,
    note: str = "",
) -> Payment:
    """Money paid to the supplier for the order, in the order's currency."""
    order = _locked(team, order_id)
    if order.status in (POStatus.DRAFT, POStatus.CANCELLED):
        raise PurchasingError(
            f"{order.number} is {_status_label(order.status)}: it takes no payment."
        )
    if kind not in PaymentKind.values:
        raise PurchasingError("A payment is a deposit, a balance or another payment.")
    if amount <= 0:
        raise PurchasingError("A payment is more than zero.")
    if amount > MAX_PRICE:
        raise PurchasingError("That payment is too large.")
    return Payment.objects.create(
        team=team,
        order=order,
        kind=kind,
        amount=amount,
        currency=order.currency,
        paid_on=paid_on,
        note=note.strip(),
        created_by=actor,
    )


def _goods_cost_changed(team: Team, order: PurchaseOrder) -> None:
    """The order's received goods cost something else from its first receipt on."""
    first = order.receipts.order_by("received_on").values_list("received_on", flat=True).first()
    if first is None:
        return
    goods_cost_changed.send(
        sender=LandedCharge,
        team_id=team.id,
        product_ids=frozenset(
            PurchaseOrderLine.objects.filter(team=team, order=order).values_list(
                "product_id", flat=True
            )
        ),
        day=first,
    )


@transaction.atomic
def landed_charge_add(
    *,
    team: Team,
    order_id: int,
    kind: str,
    amount: Decimal,
    currency: str,
    basis: str,
    paid_on: date | None = None,
    note: str = "",
) -> LandedCharge:
    """A charge on the order (freight, duty, insurance, prep, other) in its own currency, spread
    over the lines by ``basis``; the received goods are valued again with it."""
    order = _locked(team, order_id)
    if order.status == POStatus.CANCELLED:
        raise PurchasingError(f"{order.number} is cancelled: it takes no charges.")
    if kind not in ChargeKind.values:
        raise PurchasingError("A charge is freight, duty, insurance, prep or other.")
    if basis not in AllocationBasis.values:
        raise PurchasingError("Spread a charge by units, value, weight or volume.")
    if amount <= 0:
        raise PurchasingError("A charge is more than zero.")
    if amount > MAX_PRICE:
        raise PurchasingError("That charge is too large.")
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise PurchasingError(f"{currency!r} is not a currency code (three letters, like USD).")
    if paid_on is not None and paid_on > timezone.now().date():
        raise PurchasingError("A charge cannot be paid on a day still to come.")
    lines = list(selectors.order_lines(team, order))
    if not lines:
        raise PurchasingError(f"{order.number} has no lines to spread the charge over.")
    line_weights(lines, basis)  # a product without its weight or size is named before any write
    charge = LandedCharge.objects.create(
        team=team,
        order=order,
        kind=kind,
        amount=amount,
        currency=currency,
        basis=basis,
        paid_on=paid_on,
        note=note.strip()[:200],
    )
    _goods_cost_changed(team, order)
    return charge


@transaction.atomic
def landed_charge_remove(*, team: Team, order_id: int, charge_id: int) -> None:
    order = _locked(team, order_id)
    deleted, _ = LandedCharge.objects.filter(team=team, order=order, pk=charge_id).delete()
    if not deleted:
        raise PurchasingError("That charge is not on this order.")
    _goods_cost_changed(team, order)
