"""Money: one list of financial events from which Finances v0, Finances 2024-06-19 and the V2
settlement flat file are all rendered, so the three always agree to the cent."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from spapi_sim import ids
from spapi_sim.marketplaces import Marketplace
from spapi_sim.money import ZERO, q
from spapi_sim.world.catalog import SIZE_TIERS, Product
from spapi_sim.world.history import DAY, INCIDENT_LOST, OUTCOME_REIMBURSED, Incident
from spapi_sim.world.orders import OrderBook, OrderView

SETTLEMENT_DAYS = 14
# Finished days whose events are kept for paging clients (bounded, so memory stays flat).
_RECENT_DAYS = 8

# Amount types as the V2 settlement flat file writes them.
ITEM_PRICE = "ItemPrice"
ITEM_FEES = "ItemFees"
ITEM_WITHHELD_TAX = "ItemWithheldTax"
PROMOTION = "Promotion"
OTHER = "other-transaction"
REIMBURSEMENT = "FBA Inventory Reimbursement"


@dataclass(frozen=True)
class Charge:
    amount_type: str
    description: str
    amount: Decimal


@dataclass(frozen=True)
class EventItem:
    sku: str
    asin: str
    quantity: int
    order_item_id: str
    adjustment_item_id: str
    charges: tuple[Charge, ...]
    promotion_id: str


@dataclass(frozen=True)
class FinanceEvent:
    kind: str  # Order (a shipment), Refund, ServiceFee, Adjustment
    event_id: str
    posted: int
    marketplace: Marketplace
    order_id: str
    shipment_id: str
    adjustment_id: str
    fulfillment: str  # AFN / MFN / ""
    items: tuple[EventItem, ...]
    charges: tuple[Charge, ...]  # event-level charges (service fees, reimbursements)
    reason: str = ""
    # The reason the FBA reimbursements report gives (Lost_Inbound, Lost_Warehouse, …).
    report_reason: str = ""

    def all_charges(self) -> Iterator[Charge]:
        for item in self.items:
            yield from item.charges
        yield from self.charges

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.all_charges()), ZERO)


@dataclass(frozen=True)
class SettlementPeriod:
    marketplace: Marketplace
    number: int
    start: int  # seconds since history start, inclusive
    end: int  # exclusive
    settlement_id: str
    group_id: str

    @property
    def deposit(self) -> int:
        return self.end + DAY


class Ledger:
    def __init__(
        self, book: OrderBook, seed: int, seller_index: int, settlement_offset_days: int
    ) -> None:
        self.book = book
        self.history = book.history
        self.seed = seed
        self.seller_index = seller_index
        # The first period starts before the history does, so every event has a settlement.
        self._offset = (settlement_offset_days - SETTLEMENT_DAYS) * DAY
        self.summaries: dict[tuple[str, int], SettlementSummary] = {}
        # SKU index → the day from which Amazon charges it the wrong fee (plan_fee_jumps).
        self.fee_jumps: dict[int, int] = {}
        self.day_cache: dict[int, dict[str, MarketDay]] = {}
        self._recent_days: OrderedDict[int, list[FinanceEvent]] = OrderedDict()
        self._cache_lock = threading.Lock()
        # Units a storage fee is charged on: the usual stock level of the FBA catalogue.
        self._stored_units = [
            sum(
                point
                for sku, point in enumerate(self.history.reorder_point[mi])
                if self.history.products[sku].channel == "AFN"
            )
            for mi in range(len(self.history.marketplaces))
        ]

    # -- fees -----------------------------------------------------------------------------

    def plan_fee_jumps(self, history_days: int) -> None:
        """A planted case: for one FBA SKU in ten (not of the largest tier), from a day in the
        last two thirds of the history, Amazon charges the next size tier's fulfilment fee
        though the product did not change."""
        r = ids.rng(self.seed, "fee-jumps", self.seller_index)
        first = max(1, history_days // 3)
        last = max(first, history_days - 10)
        for p in self.history.products:
            if p.channel != "AFN" or p.size_tier >= len(SIZE_TIERS) - 1:
                continue
            day = r.randint(first, last)
            if r.random() < 0.1:
                self.fee_jumps[p.index] = day

    def fba_fee_at(self, product: Product, m: Marketplace, second: int) -> Decimal:
        """The FBA fee per unit Amazon charges for a unit shipped at ``second``."""
        jump = self.fee_jumps.get(product.index)
        if jump is not None and second >= jump * DAY:
            return q(SIZE_TIERS[product.size_tier + 1][1] * m.fx, m.currency)
        return product.fba_fee(m)

    # -- events ---------------------------------------------------------------------------

    def shipment_event(self, order: OrderView) -> FinanceEvent:
        assert order.ship_second is not None
        m = order.marketplace
        items = []
        for ln in order.sold_lines:
            charges = [Charge(ITEM_PRICE, "Principal", ln.item_price)]
            if ln.item_tax:
                charges.append(Charge(ITEM_PRICE, "Tax", ln.item_tax))
            if ln.shipping_price:
                charges.append(Charge(ITEM_PRICE, "Shipping", ln.shipping_price))
                if ln.shipping_tax:
                    charges.append(Charge(ITEM_PRICE, "ShippingTax", ln.shipping_tax))
            withheld = ln.item_tax + ln.shipping_tax
            if withheld:
                # Marketplace facilitator tax: Amazon collects it and remits it, so it nets out.
                charges.append(
                    Charge(ITEM_WITHHELD_TAX, "MarketplaceFacilitatorTax-Principal", -withheld)
                )
            if ln.promotion_discount:
                charges.append(Charge(PROMOTION, "Principal", -ln.promotion_discount))
            charges.append(
                Charge(
                    ITEM_FEES,
                    "Commission",
                    -ln.product.referral_fee(ln.net_sales + ln.shipping_price, m),
                )
            )
            if order.channel == "AFN":
                charges.append(
                    Charge(
                        ITEM_FEES,
                        "FBAPerUnitFulfillmentFee",
                        -self.fba_fee_at(ln.product, m, order.ship_second) * ln.quantity,
                    )
                )
            items.append(
                EventItem(
                    sku=ln.product.sku,
                    asin=ln.product.asin,
                    quantity=ln.quantity,
                    order_item_id=ln.order_item_id,
                    adjustment_item_id="",
                    charges=tuple(charges),
                    promotion_id=order.promotion_id or "" if ln.promotion_discount else "",
                )
            )
        return FinanceEvent(
            kind="Order",
            event_id=f"S{order.index}",
            posted=order.ship_second,
            marketplace=m,
            order_id=order.order_id,
            shipment_id=ids.alnum(
                ids.derive(self.seed, "shipment", self.seller_index, order.index), 9
            ),
            adjustment_id="",
            fulfillment=order.channel,
            items=tuple(items),
            charges=(),
        )

    def refund_event(self, order: OrderView) -> FinanceEvent:
        assert order.refund_second is not None
        m = order.marketplace
        items = []
        # A planted case: now and then Amazon refunds more than the customer paid.
        over_rate = self.history.over_refund_rate(order.index)
        for position, ln in enumerate(order.sold_lines):
            referral = ln.product.referral_fee(ln.net_sales + ln.shipping_price, m)
            # Amazon keeps 20 % of the referral fee (at most $5.00) as a refund administration fee.
            admin_fee = min(
                q(referral * Decimal("0.2"), m.currency), q(Decimal("5") * m.fx, m.currency)
            )
            extra = q(ln.item_price * over_rate, m.currency) if position == 0 else ZERO
            charges = [Charge(ITEM_PRICE, "Principal", -ln.item_price - extra)]
            if ln.item_tax:
                charges.append(Charge(ITEM_PRICE, "Tax", -ln.item_tax))
            if ln.shipping_price:
                charges.append(Charge(ITEM_PRICE, "Shipping", -ln.shipping_price))
                if ln.shipping_tax:
                    charges.append(Charge(ITEM_PRICE, "ShippingTax", -ln.shipping_tax))
            withheld = ln.item_tax + ln.shipping_tax
            if withheld:
                charges.append(
                    Charge(ITEM_WITHHELD_TAX, "MarketplaceFacilitatorTax-Principal", withheld)
                )
            if ln.promotion_discount:
                charges.append(Charge(PROMOTION, "Principal", ln.promotion_discount))
            charges.append(Charge(ITEM_FEES, "Commission", referral))
            charges.append(Charge(ITEM_FEES, "RefundCommission", -admin_fee))
            items.append(
                EventItem(
                    sku=ln.product.sku,
                    asin=ln.product.asin,
                    quantity=ln.quantity,
                    order_item_id=ln.order_item_id,
                    adjustment_item_id=f"{ids.derive(self.seed, 'adj-item', ln.item_index) % 10**14:014d}",
                    charges=tuple(charges),
                    promotion_id=order.promotion_id or "" if ln.promotion_discount else "",
                )
            )
        return FinanceEvent(
            kind="Refund",
            event_id=f"R{order.index}",
            posted=order.refund_second,
            marketplace=m,
            order_id=order.order_id,
            shipment_id="",
            adjustment_id=f"{ids.derive(self.seed, 'adjustment', self.seller_index, order.index) % 10**14:014d}",
            fulfillment=order.channel,
            items=tuple(items),
            charges=(),
        )

    def _service_fees(self, day: int) -> Iterator[FinanceEvent]:
        h = self.history
        date = h.start_date + dt.timedelta(days=day)
        if date.day == 2:
            m = h.marketplaces[0]
            yield FinanceEvent(
                kind="ServiceFee",
                event_id=f"F{day}",
                posted=day * DAY + 4 * 3600,
                marketplace=m,
                order_id="",
                shipment_id="",
                adjustment_id="",
                fulfillment="",
                items=(),
                charges=(
                    Charge(OTHER, "Subscription Fee", -q(Decimal("39.99") * m.fx, m.currency)),
                ),
                reason="Subscription Fee",
            )
        if date.day == 7:
            for mi, m in enumerate(h.marketplaces):
                # Monthly storage fee: a few cents per stored unit, three times as much in Q4.
                units = self._stored_units[mi]
                if not units:
                    continue
                rate = Decimal("0.09") if date.month in (11, 12, 1) else Decimal("0.03")
                yield FinanceEvent(
                    kind="ServiceFee",
                    event_id=f"G{day}-{mi}",
                    posted=day * DAY + 5 * 3600,
                    marketplace=m,
                    order_id="",
                    shipment_id="",
                    adjustment_id="",
                    fulfillment="",
                    items=(),
                    charges=(Charge(OTHER, "Storage Fee", -q(rate * units * m.fx, m.currency)),),
                    reason="FBA Inventory Storage Fee",
                )

    def reimbursement_event(self, shipment: int, day: int) -> FinanceEvent:
        h = self.history
        m = h.marketplaces[h.s_mkt[shipment]]
        product = h.products[h.s_sku[shipment]]
        qty = h.s_lost[shipment]
        per_unit = self.unit_value(product, m)
        return FinanceEvent(
            kind="Adjustment",
            event_id=f"A{shipment}",
            posted=day * DAY + 7 * 3600 + shipment % 3600,
            marketplace=m,
            order_id="",
            shipment_id="",
            adjustment_id=self.reimbursement_id(shipment),
            fulfillment="AFN",
            items=(
                EventItem(
                    sku=product.sku,
                    asin=product.asin,
                    quantity=qty,
                    order_item_id="",
                    adjustment_item_id="",
                    charges=(Charge(REIMBURSEMENT, "WAREHOUSE_LOST", per_unit * qty),),
                    promotion_id="",
                ),
            ),
            charges=(),
            reason="WAREHOUSE_LOST",
            report_reason="Lost_Inbound",
        )

    def incident_reimbursement_event(self, incident: Incident) -> FinanceEvent:
        """Amazon's own reimbursement of units lost or damaged in a fulfilment centre."""
        h = self.history
        m = h.marketplaces[incident.market]
        product = h.products[incident.sku]
        reason = "WAREHOUSE_LOST" if incident.kind == INCIDENT_LOST else "WAREHOUSE_DAMAGED"
        amount = self.unit_value(product, m) * incident.quantity
        return FinanceEvent(
            kind="Adjustment",
            event_id=f"I{incident.number}",
            posted=incident.settled,
            marketplace=m,
            order_id="",
            shipment_id="",
            adjustment_id=self.incident_reimbursement_id(incident.number),
            fulfillment="AFN",
            items=(
                EventItem(
                    sku=product.sku,
                    asin=product.asin,
                    quantity=incident.quantity,
                    order_item_id="",
                    adjustment_item_id="",
                    charges=(Charge(REIMBURSEMENT, reason, amount),),
                    promotion_id="",
                ),
            ),
            charges=(),
            reason=reason,
            report_reason="Lost_Warehouse"
            if incident.kind == INCIDENT_LOST
            else "Damaged_Warehouse",
        )

    def return_reimbursement_event(self, order: int, sku: int, qty: int, day: int) -> FinanceEvent:
        """Amazon's own reimbursement of a refunded unit the customer never sent back."""
        h = self.history
        m = h.marketplaces[h.o_mkt[order]]
        product = h.products[sku]
        return FinanceEvent(
            kind="Adjustment",
            event_id=f"C{order}-{sku}",
            posted=day * DAY + 7 * 3600 + order % 3600,
            marketplace=m,
            order_id=self.book.order_id(order),
            shipment_id="",
            adjustment_id=f"{ids.derive(self.seed, 'return-reimbursement', self.seller_index, order, sku) % 10**10:010d}",
            fulfillment="AFN",
            items=(
                EventItem(
                    sku=product.sku,
                    asin=product.asin,
                    quantity=qty,
                    order_item_id="",
                    adjustment_item_id="",
                    charges=(Charge(REIMBURSEMENT, "CUSTOMER_RETURN", product.price_in(m) * qty),),
                    promotion_id="",
                ),
            ),
            charges=(),
            reason="CUSTOMER_RETURN",
            report_reason="CustomerReturn",
        )

    @staticmethod
    def unit_value(product: Product, m: Marketplace) -> Decimal:
        """What Amazon pays for one lost or damaged unit."""
        return q(product.price_usd * Decimal("0.55") * m.fx, m.currency)

    def incident_reimbursement_id(self, number: int) -> str:
        return f"{ids.derive(self.seed, 'incident-reimbursement', self.seller_index, number) % 10**10:010d}"

    def reimbursements_on_day(self, day: int) -> list[FinanceEvent]:
        """Every reimbursement Amazon posts on ``day``: lost inbound units, units lost or damaged
        in a fulfilment centre, refunded units never returned."""
        h = self.history
        events = [
            self.reimbursement_event(shipment, day)
            for shipment in h.reimbursements_by_day.get(day, ())
        ]
        events.extend(
            self.incident_reimbursement_event(h.incidents[number])
            for number in h.incidents_settled_by_day.get(day, ())
            if h.incidents[number].outcome == OUTCOME_REIMBURSED
        )
        events.extend(
            self.return_reimbursement_event(order, sku, qty, day)
            for order, sku, qty in h.return_reimbursed_by_day.get(day, ())
        )
        events.sort(key=lambda e: (e.posted, e.event_id))
        return events

    def reimbursement_id(self, shipment: int) -> str:
        return (
            f"{ids.derive(self.seed, 'reimbursement', self.seller_index, shipment) % 10**10:010d}"
        )

    def events_on_day(self, day: int, now: int) -> list[FinanceEvent]:
        """Every event posted on ``day`` (UTC) at or before ``now``, in posting order.

        A finished day never changes; the last few are kept because clients page through a
        day's events a hundred at a time.
        """
        if day < 0 or day * DAY > now:
            return []
        finished = (day + 1) * DAY <= now
        if finished:
            with self._cache_lock:
                cached = self._recent_days.get(day)
                if cached is not None:
                    self._recent_days.move_to_end(day)
                    return cached
        events = self._derive_day(day, now)
        if finished:
            with self._cache_lock:
                self._recent_days[day] = events
                while len(self._recent_days) > _RECENT_DAYS:
                    self._recent_days.popitem(last=False)
        return events

    def _derive_day(self, day: int, now: int) -> list[FinanceEvent]:
        h = self.history
        h.ensure_day(day)
        events: list[FinanceEvent] = []
        # Orders ship within about two days of purchase.
        for index in h.orders_between((day - 3) * DAY, (day + 1) * DAY):
            # Cheap timing first: only orders shipping today are expanded.
            ship = self.book.times(index)[2]
            if ship is not None and day * DAY <= ship < (day + 1) * DAY:
                events.append(self.shipment_event(self.book.view(index)))
        events.extend(
            self.refund_event(self.book.view(index)) for index in h.refunds_by_day.get(day, ())
        )
        events.extend(self.reimbursements_on_day(day))
        events.extend(self._service_fees(day))
        events = [e for e in events if e.posted <= now]
        events.sort(key=lambda e: (e.posted, e.event_id))
        return events

    def events_between(self, first: int, end: int, now: int) -> Iterator[FinanceEvent]:
        end = min(end, now + 1)
        for day in range(max(0, first // DAY), (end - 1) // DAY + 1 if end > 0 else 0):
            for event in self.events_on_day(day, now):
                if first <= event.posted < end:
                    yield event

    def events_for_order(self, order: OrderView, now: int) -> list[FinanceEvent]:
        events = []
        if order.ship_second is not None and order.ship_second <= now:
            events.append(self.shipment_event(order))
        if order.refund_second is not None and order.refund_second <= now:
            events.append(self.refund_event(order))
        return events

    # -- settlements ----------------------------------------------------------------------

    def periods(self, now: int) -> list[SettlementPeriod]:
        """Settlement periods per marketplace that have started by ``now`` (the last is open)."""
        result = []
        for mi in range(len(self.history.marketplaces)):
            number = 0
            start = self._offset
            while start <= now:
                result.append(self.period(mi, number))
                number += 1
                start = self._offset + number * SETTLEMENT_DAYS * DAY
        result.sort(key=lambda p: (p.start, p.marketplace.id))
        return result

    def period_of(self, marketplace: Marketplace, posted: int) -> SettlementPeriod:
        mi = self.history.marketplaces.index(marketplace)
        return self.period(mi, (posted - self._offset) // (SETTLEMENT_DAYS * DAY))

    def period(self, mi: int, number: int) -> SettlementPeriod:
        m = self.history.marketplaces[mi]
        start = self._offset + number * SETTLEMENT_DAYS * DAY
        key = ids.derive(self.seed, "settlement", self.seller_index, mi, number)
        return SettlementPeriod(
            marketplace=m,
            number=number,
            start=start,
            end=start + SETTLEMENT_DAYS * DAY,
            settlement_id=str(10_000_000_000 + key % 89_999_999_999),
            group_id=ids.alnum(key, 43),
        )

    def settlement_events(self, period: SettlementPeriod, now: int) -> Iterator[FinanceEvent]:
        for event in self.events_between(period.start, period.end, now):
            if event.marketplace.id == period.marketplace.id:
                yield event


@dataclass(frozen=True)
class SettlementSummary:
    total: Decimal
    lines: int
    events: int


@dataclass
class MarketDay:
    """One marketplace's financial events of one day, totalled."""

    total: Decimal = ZERO
    lines: int = 0
    events: int = 0
    charges: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    reimbursements: int = 0
    reimbursed_units: int = 0
    reimbursed: Decimal = ZERO

    def add_event(self, event: FinanceEvent) -> None:
        self.events += 1
        self.kinds[event.kind] = self.kinds.get(event.kind, 0) + 1
        for charge in event.all_charges():
            self.total += charge.amount
            self.lines += 1
            key = (charge.amount_type, charge.description)
            self.charges[key] = self.charges.get(key, ZERO) + charge.amount
        if event.kind == "Adjustment":
            self.reimbursements += 1
            self.reimbursed_units += sum(i.quantity for i in event.items)
            self.reimbursed += event.total

    def merge(self, other: MarketDay) -> None:
        self.total += other.total
        self.lines += other.lines
        self.events += other.events
        for key, amount in other.charges.items():
            self.charges[key] = self.charges.get(key, ZERO) + amount
        for kind, count in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + count
        self.reimbursements += other.reimbursements
        self.reimbursed_units += other.reimbursed_units
        self.reimbursed += other.reimbursed


def day_totals(ledger: Ledger, day: int, now: int) -> dict[str, MarketDay]:
    """Per marketplace id, the totals of a day's events posted by ``now``.

    A day that is over never changes, so its totals are kept: a few numbers per day, which lets
    the truth and settlement summaries answer without re-deriving every event.
    """
    finished = (day + 1) * DAY <= now
    if finished and day in ledger.day_cache:
        return ledger.day_cache[day]
    totals: dict[str, MarketDay] = {}
    for event in ledger.events_on_day(day, now):
        totals.setdefault(event.marketplace.id, MarketDay()).add_event(event)
    if finished:
        ledger.day_cache[day] = totals
    return totals


def totals_between(
    ledger: Ledger, first: int, end: int, now: int, marketplace_id: str | None = None
) -> dict[str, MarketDay]:
    """Totals of the events posted in [first, end), per marketplace id (day-aligned bounds)."""
    result: dict[str, MarketDay] = {}
    end = min(end, now + 1)
    if end <= 0:
        return result
    for day in range(max(0, first // DAY), (end - 1) // DAY + 1):
        if day * DAY >= first and (day + 1) * DAY <= end:
            days = day_totals(ledger, day, now)
        else:
            # A partial day at the edge: total only the events inside the bounds.
            days = {}
            for event in ledger.events_on_day(day, now):
                if first <= event.posted < end:
                    days.setdefault(event.marketplace.id, MarketDay()).add_event(event)
        for market, summary in days.items():
            if marketplace_id is None or market == marketplace_id:
                result.setdefault(market, MarketDay()).merge(summary)
    return result


def summarize(ledger: Ledger, period: SettlementPeriod, now: int) -> SettlementSummary:
    """Total and size of a settlement; closed periods never change, so they are cached."""
    closed = period.end <= now
    key = (period.marketplace.id, period.number)
    if closed and key in ledger.summaries:
        return ledger.summaries[key]
    totals = totals_between(ledger, period.start, period.end, now, period.marketplace.id).get(
        period.marketplace.id, MarketDay()
    )
    summary = SettlementSummary(totals.total, totals.lines, totals.events)
    if closed:
        ledger.summaries[key] = summary
    return summary
