"""The day-by-day simulation of one seller: demand meets stock, orders, refunds, inbound shipments.

Everything that later days depend on (stock, what sold, what was lost, what came back) is decided
here, in one pass, and kept in compact arrays: about 15 bytes per order. Details nobody else
depends on (exact ship time, ids) are derived lazily from a hash of the order's index, so serving
history never allocates per-order objects that live on.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from spapi_sim import ids
from spapi_sim.marketplaces import Marketplace
from spapi_sim.world.catalog import CATEGORIES, LISTING_ACTIVE, Product
from spapi_sim.world.demand import (
    WEEKDAY_FACTOR,
    event_factor,
    poisson,
    seasonal_factor,
    trend_factor,
)

DAY = 86400

FLAG_CANCELLED = 1
FLAG_REFUNDED = 2
FLAG_PROMO = 4

# Units lost or damaged inside a fulfilment centre (the inventory ledger's adjustment reasons M
# and E). Amazon reimburses most of them by itself, finds some lost ones again (reason F), and
# leaves the rest for the seller to claim: the truth's "claims" (spapi_sim/world/claims.py).
INCIDENT_LOST = "lost"
INCIDENT_DAMAGED = "damaged"
OUTCOME_REIMBURSED = "reimbursed"
OUTCOME_FOUND = "found"
OUTCOME_OPEN = "open"


@dataclass(frozen=True)
class Incident:
    number: int
    kind: str  # INCIDENT_LOST or INCIDENT_DAMAGED
    market: int
    sku: int
    second: int
    quantity: int
    outcome: str  # OUTCOME_*
    # When Amazon reimbursed or found the units; 0 for an open incident.
    settled: int


class History:
    def __init__(
        self,
        *,
        seed: int,
        seller_index: int,
        products: list[Product],
        marketplaces: tuple[Marketplace, ...],
        start: dt.datetime,
        demand_scale: float = 1.0,
    ) -> None:
        self.seed = seed
        self.seller_index = seller_index
        self.products = products
        self.marketplaces = marketplaces
        self.start = start
        self.start_date = start.date()
        self._lock = threading.RLock()
        n = len(products)
        mcount = len(marketplaces)
        setup = ids.rng(seed, "history-setup", seller_index)
        self.growth = [setup.uniform(-0.1, 0.6) for _ in CATEGORIES]

        # Demand: per marketplace, one weighted table per category of the SKUs that can sell.
        self.rate = [array("d", bytes(8 * n)) for _ in range(mcount)]
        self.listed = [bytearray(n) for _ in range(mcount)]
        self.tables: list[list[tuple[list[int], list[float], float]]] = []
        for m, marketplace in enumerate(marketplaces):
            per_category: list[tuple[list[int], list[float], float]] = []
            for c in range(len(CATEGORIES)):
                skus: list[int] = []
                cum: list[float] = []
                total = 0.0
                for p in products:
                    if p.category_index != c:
                        continue
                    status = p.status_in(marketplace.country_code)
                    if status is None:
                        continue
                    self.listed[m][p.index] = 1
                    if status != LISTING_ACTIVE:
                        continue
                    r = p.base_rate * marketplace.demand_share * demand_scale
                    self.rate[m][p.index] = r
                    total += r
                    skus.append(p.index)
                    cum.append(total)
                per_category.append((skus, cum, total))
            self.tables.append(per_category)

        # Promotions: a third of the SKUs run 3-10 day deals a couple of times a year.
        self.promo_pct = array("d", bytes(8 * n))
        self.promos_by_day: dict[int, list[int]] = {}
        # Stock per marketplace: sellable units, unsellable returns, and the pending inbound
        # shipment (index into the shipment arrays, -1 when none).
        self.stock = [array("l", bytes(8 * n)) for _ in range(mcount)]
        self.unfulfillable = [array("l", bytes(8 * n)) for _ in range(mcount)]
        self.pending = [array("l", [-1]) * n for _ in range(mcount)]
        self.reorder_point = [array("l", bytes(8 * n)) for _ in range(mcount)]
        for p in products:
            if setup.random() < 0.33:
                self.promo_pct[p.index] = round(setup.uniform(0.1, 0.3), 2)
            for m in range(mcount):
                r = self.rate[m][p.index]
                if not self.listed[m][p.index]:
                    continue
                self.reorder_point[m][p.index] = max(1, math.ceil(r * 30))
                if p.launch_day <= 0:
                    self.stock[m][p.index] = max(
                        setup.randint(0, 3), math.ceil(r * setup.uniform(20, 90))
                    )
        self.days_planned = 0
        self._launch_day = array("l", [p.launch_day for p in products])
        self._afn = bytearray(1 if p.channel == "AFN" else 0 for p in products)
        self._reorder_salt = ids.derive(seed, "reorder", seller_index)
        self._item_cancel_salt = ids.derive(seed, "item-cancel", seller_index)

        # Orders, in purchase-time order, and their items.
        self.day_start = array("l", [0])
        self.o_time = array("l")
        self.o_mkt = array("B")
        self.o_item = array("l")
        self.o_nitems = array("B")
        self.o_flags = array("B")
        self.i_sku = array("l")
        self.i_qty = array("B")
        self.refund_day: dict[int, int] = {}
        self.refunds_by_day: dict[int, list[int]] = {}
        self.lost_units = array("l")
        # Inbound shipments (AFN) and merchant restocks (MFN).
        self.s_created = array("l")
        self.s_arrival = array("l")
        self.s_mkt = array("B")
        self.s_sku = array("l")
        self.s_qty = array("l")
        self.s_lost = array("l")
        self.arrivals_by_day: dict[int, list[int]] = {}
        self.reimbursements_by_day: dict[int, list[int]] = {}
        # Customer returns arriving at a warehouse: (marketplace, sku, qty, sellable, order).
        self.returns_by_day: dict[int, list[tuple[int, int, int, bool, int]]] = {}
        # Cases to claim (spapi_sim/world/claims.py). Hash-derived draws and a generator of their
        # own, so planting them changes no order, no stock level and no sellable return.
        self._claims_salt = ids.derive(seed, "claims", seller_index)
        self.incidents: list[Incident] = []
        self.incidents_by_day: dict[int, list[int]] = {}
        self.incidents_settled_by_day: dict[int, list[int]] = {}
        self._last_incident: dict[tuple[int, int], int] = {}
        self._afn_listed = [
            sum(1 for p in products if p.channel == "AFN" and self.listed[m][p.index])
            for m in range(mcount)
        ]
        # Refunded FBA units the customer never sent back: (sku, qty) per order, and the day
        # Amazon reimbursed the seller for them by itself, where it did.
        self.unreturned: dict[int, list[tuple[int, int]]] = {}
        self.return_reimbursed_by_day: dict[int, list[tuple[int, int, int]]] = {}
        # Stock at the start of the latest simulated day, before its orders: with the day's
        # orders up to "now" it gives the stock at any instant of that day.
        self.stock_start_of_day = [a[:] for a in self.stock]
        self.unfulfillable_start_of_day = [a[:] for a in self.unfulfillable]
        self.days = 0
        self._plan_promotions(0)
        for p in products:
            for m in range(mcount):
                if not self.listed[m][p.index]:
                    continue
                if p.launch_day > 0:
                    qty = max(5, math.ceil(self.rate[m][p.index] * 60))
                    self._add_shipment(m, p.index, max(0, p.launch_day - 20), p.launch_day, qty, 0)
                elif p.channel == "AFN" and setup.random() < 0.2:
                    # Shipments already on their way when the history starts.
                    qty = max(3, math.ceil(self.rate[m][p.index] * setup.uniform(30, 60)))
                    arrival = setup.randint(1, 30)
                    lost = setup.randint(1, 2) if qty > 2 and setup.random() < 0.12 else 0
                    shipment = self._add_shipment(
                        m, p.index, arrival - setup.randint(14, 30), arrival, qty, lost
                    )
                    if lost:
                        self.reimbursements_by_day.setdefault(
                            arrival + setup.randint(7, 30), []
                        ).append(shipment)

    # -- building -------------------------------------------------------------------------

    def _plan_promotions(self, until_day: int) -> None:
        """Plan promotions a year at a time so an extending clock keeps having deals."""
        while self.days_planned <= until_day:
            year_start = self.days_planned
            r = ids.rng(self.seed, "promotions", self.seller_index, year_start)
            for p in self.products:
                if self.promo_pct[p.index] == 0:
                    continue
                for _ in range(r.randint(1, 3)):
                    first = year_start + r.randrange(365)
                    for day in range(first, first + r.randint(3, 10)):
                        self.promos_by_day.setdefault(day, []).append(p.index)
            self.days_planned += 365

    def _add_shipment(
        self, m: int, sku: int, created: int, arrival: int, qty: int, lost: int
    ) -> int:
        index = len(self.s_created)
        self.s_created.append(created)
        self.s_arrival.append(arrival)
        self.s_mkt.append(m)
        self.s_sku.append(sku)
        self.s_qty.append(qty)
        self.s_lost.append(lost)
        self.arrivals_by_day.setdefault(arrival, []).append(index)
        self.pending[m][sku] = index
        return index

    def ensure_day(self, day: int) -> None:
        """Simulate every day up to and including ``day`` (no-op when already done)."""
        if day < self.days:
            return
        with self._lock:
            while self.days <= day:
                self._simulate_day(self.days)
                self.days += 1

    def _simulate_day(self, d: int) -> None:
        date = self.start_date + dt.timedelta(days=d)
        if d + 30 >= self.days_planned:
            self._plan_promotions(d + 30)
        for s in self.arrivals_by_day.get(d, ()):
            m = self.s_mkt[s]
            sku = self.s_sku[s]
            self.stock[m][sku] += self.s_qty[s] - self.s_lost[s]
            if self.pending[m][sku] == s:
                self.pending[m][sku] = -1
        for m, sku, qty, sellable, _order in self.returns_by_day.get(d, ()):
            if sellable:
                self.stock[m][sku] += qty
            else:
                self.unfulfillable[m][sku] += qty
        self.stock_start_of_day = [a[:] for a in self.stock]
        self.unfulfillable_start_of_day = [a[:] for a in self.unfulfillable]

        weekday = WEEKDAY_FACTOR[date.weekday()] * event_factor(date)
        base = d * DAY
        candidates: list[tuple[int, int, int, int, int]] = []
        promoted = self.promos_by_day.get(d, ())
        for m in range(len(self.marketplaces)):
            r = ids.rng(self.seed, "orders", self.seller_index, d, m)
            for c, (skus, cum, total) in enumerate(self.tables[m]):
                if total <= 0:
                    continue
                season = (
                    weekday * seasonal_factor(CATEGORIES[c], date) * trend_factor(self.growth[c], d)
                )
                n = poisson(r, total * season)
                if n:
                    candidates.extend(
                        (base + int(r.random() * DAY), m, sku, c, 0)
                        for sku in r.choices(skus, cum_weights=cum, k=n)
                    )
            for sku in promoted:
                rate = self.rate[m][sku]
                if rate <= 0:
                    continue
                c = self.products[sku].category_index
                season = weekday * seasonal_factor(CATEGORIES[c], date)
                extra = poisson(r, 2.0 * rate * season)
                candidates.extend(
                    (base + int(r.random() * DAY), m, sku, c, FLAG_PROMO) for _ in range(extra)
                )
        candidates.sort()
        promo_today = set(promoted)
        fate = ids.rng(self.seed, "fate", self.seller_index, d)
        rand = fate.random
        launch = self._launch_day
        afn_flags = self._afn
        o_time, o_mkt, o_item, o_nitems, o_flags = (
            self.o_time,
            self.o_mkt,
            self.o_item,
            self.o_nitems,
            self.o_flags,
        )
        i_sku, i_qty = self.i_sku, self.i_qty
        lost = 0
        stocks = self.stock
        reorder_points = self.reorder_point
        pendings = self.pending
        # The hot loop of the whole simulator: one pass per would-be order, so it sticks to
        # local names and plain arrays.
        for t, m, sku, c, flags in candidates:
            if launch[sku] > d:
                continue
            roll = rand()
            qty = 1 if roll < 0.88 else 2 if roll < 0.97 else 3
            stock = stocks[m]
            available = stock[sku]
            if available <= 0:
                # Out of stock: the buyer goes elsewhere. A lost sale, never negative stock.
                lost += qty
                continue
            if qty > available:
                qty = available
            if sku in promo_today:
                flags |= FLAG_PROMO
            afn = afn_flags[sku]
            if rand() < (0.012 if afn else 0.03):
                flags |= FLAG_CANCELLED
            items = [(sku, qty)]
            if rand() < 0.06:
                skus, cum, _total = self.tables[m][c]
                other = fate.choices(skus, cum_weights=cum, k=1)[0]
                # Amazon splits FBA and merchant-fulfilled items into separate orders.
                if (
                    other != sku
                    and stock[other] > 0
                    and launch[other] <= d
                    and afn_flags[other] == afn
                ):
                    items.append((other, 1))
            order = len(o_time)
            first_item = len(i_sku)
            o_time.append(t)
            o_mkt.append(m)
            o_item.append(first_item)
            o_nitems.append(len(items))
            for item_sku, item_qty in items:
                i_sku.append(item_sku)
                i_qty.append(item_qty)
            if not flags & FLAG_CANCELLED:
                reorder_point = reorder_points[m]
                pending = pendings[m]
                if len(items) > 1:
                    # An item cancelled on its own never leaves the warehouse.
                    items = [
                        item
                        for position, item in enumerate(items)
                        if not self._cancels_item(position, first_item + position)
                    ]
                for item_sku, item_qty in items:
                    stock[item_sku] -= item_qty
                    if stock[item_sku] <= reorder_point[item_sku] and pending[item_sku] < 0:
                        self._reorder(m, item_sku, d)
                if rand() < (0.035 if afn else 0.02):
                    flags |= FLAG_REFUNDED
                    refund_day = d + 3 + min(57, int(fate.expovariate(0.1)))
                    self.refund_day[order] = refund_day
                    self.refunds_by_day.setdefault(refund_day, []).append(order)
                    for item_sku, item_qty in items:
                        if afn_flags[item_sku]:
                            sellable = rand() < 0.7
                            if not sellable and self._never_returned(
                                order, item_sku, refund_day, item_qty
                            ):
                                continue
                            self.returns_by_day.setdefault(refund_day + 1, []).append(
                                (m, item_sku, item_qty, sellable, order)
                            )
            o_flags.append(flags)
        self.lost_units.append(lost)
        self.day_start.append(len(o_time))
        self._plan_incidents(d)

    # -- cases to claim -------------------------------------------------------------------

    def claim_draw(self, order: int, sku: int, slot: int) -> float:
        """A uniform draw in [0, 1) for one decision about one order line."""
        key = self._claims_salt ^ (((order * 1_000_003 + sku) * 16 + slot) & (2**64 - 1))
        return ids.unit(ids.mix64(key))

    def _never_returned(self, order: int, sku: int, refund_day: int, qty: int) -> bool:
        """Half the refunded units that would come back unsellable never come back at all
        (unsellable stock sells nothing, so no order depends on them). Amazon charges the
        customer and reimburses the seller for half of those, 25-40 days after the refund."""
        if self.claim_draw(order, sku, 1) >= 0.5:
            return False
        self.unreturned.setdefault(order, []).append((sku, qty))
        if self.claim_draw(order, sku, 2) < 0.5:
            day = refund_day + 25 + int(15 * self.claim_draw(order, sku, 3))
            self.return_reimbursed_by_day.setdefault(day, []).append((order, sku, qty))
        return True

    def return_reimbursed_day(self, order: int, sku: int) -> int | None:
        """The day Amazon reimbursed an unreturned unit by itself, or None."""
        if self.claim_draw(order, sku, 2) >= 0.5:
            return None
        return self.refund_day[order] + 25 + int(15 * self.claim_draw(order, sku, 3))

    def over_refund_rate(self, order: int) -> Decimal:
        """The share of the first line's price Amazon refunded on top of what the customer paid
        (0 for most orders): one FBA refund in eight."""
        if not self.o_flags[order] & FLAG_REFUNDED:
            return Decimal(0)
        sku = self.i_sku[self.o_item[order]]
        if not self._afn[sku] or self.claim_draw(order, -1, 4) >= 0.125:
            return Decimal(0)
        return (Decimal("0.25"), Decimal("0.5"), Decimal("1"))[
            int(3 * self.claim_draw(order, -1, 5))
        ]

    def _plan_incidents(self, d: int) -> None:
        """Units lost or damaged in a fulfilment centre on day ``d``: a few a month per
        marketplace, at most one per SKU and marketplace in 120 days (so each reimbursement
        belongs to one incident). The stock levels do not move with them."""
        r = ids.rng(self.seed, "incidents", self.seller_index, d)
        n = len(self.products)
        for m in range(len(self.marketplaces)):
            if r.random() >= min(0.6, 0.004 * self._afn_listed[m]):
                continue
            for _attempt in range(20):
                sku = r.randrange(n)
                last = self._last_incident.get((m, sku))
                if (
                    self._afn[sku]
                    and self.listed[m][sku]
                    and self._launch_day[sku] <= d
                    and self.stock[m][sku] > 0
                    and (last is None or d - last >= 120)
                ):
                    break
            else:
                continue
            kind = INCIDENT_LOST if r.random() < 0.6 else INCIDENT_DAMAGED
            qty = 1 if kind == INCIDENT_DAMAGED or r.random() < 0.7 else 2
            second = d * DAY + 8 * 3600 + r.randrange(8 * 3600)
            roll = r.random()
            if roll < 0.5:
                outcome = OUTCOME_REIMBURSED
            elif roll < 0.7 and kind == INCIDENT_LOST:
                outcome = OUTCOME_FOUND
            else:
                outcome = OUTCOME_OPEN
            settled = 0 if outcome == OUTCOME_OPEN else second + (3 + r.randrange(20)) * DAY
            incident = Incident(len(self.incidents), kind, m, sku, second, qty, outcome, settled)
            self.incidents.append(incident)
            self.incidents_by_day.setdefault(d, []).append(incident.number)
            if settled:
                self.incidents_settled_by_day.setdefault(settled // DAY, []).append(incident.number)
            self._last_incident[(m, sku)] = d

    def _reorder(self, m: int, sku: int, d: int) -> None:
        """Send a replenishment: an FBA inbound shipment, or the merchant's own restock."""
        # Hash-derived draws, separate from the order stream, so order fates never depend on
        # how replenishment is modelled (and no generator has to be seeded per reorder).
        key = self._reorder_salt ^ ((m * 1_000_003 + sku) * 100_003 + d)

        def draw(slot: int) -> float:
            return ids.unit(ids.mix64(key + slot * 0x9E3779B97F4A7C15))

        rate = self.rate[m][sku]
        qty = max(3, math.ceil(rate * (45 + 55 * draw(1))))
        if self._afn[sku]:
            lead = 14 + int(22 * draw(2)) + (10 + int(21 * draw(4)) if draw(3) < 0.1 else 0)
            # Some units of an inbound shipment go missing at the warehouse; Amazon reimburses them.
            lost = 1 + int(2 * draw(6)) if qty > 2 and draw(5) < 0.12 else 0
        else:
            lead = 4 + int(7 * draw(2))
            lost = 0
        shipment = self._add_shipment(m, sku, d, d + lead, qty, lost)
        if lost:
            self.reimbursements_by_day.setdefault(d + lead + 7 + int(24 * draw(7)), []).append(
                shipment
            )

    def levels_at_day_start(self, day: int) -> tuple[list[array[int]], list[array[int]]]:
        """Sellable and unsellable stock at the start of ``day`` (after its arrivals), as copies.

        The simulation keeps only the latest day's levels; earlier days are rebuilt by undoing
        the days in between (their sales, arrivals and returns).
        """
        with self._lock:
            latest = self.days - 1
            stock = [a[:] for a in self.stock_start_of_day]
            unsellable = [a[:] for a in self.unfulfillable_start_of_day]
        for k in range(latest - 1, day - 1, -1):
            for s in self.arrivals_by_day.get(k + 1, ()):
                stock[self.s_mkt[s]][self.s_sku[s]] -= self.s_qty[s] - self.s_lost[s]
            for m, sku, qty, sellable, _order in self.returns_by_day.get(k + 1, ()):
                if sellable:
                    stock[m][sku] -= qty
                else:
                    unsellable[m][sku] -= qty
            for order in range(self.day_start[k], self.day_start[k + 1]):
                if self.o_flags[order] & FLAG_CANCELLED:
                    continue
                m = self.o_mkt[order]
                for item in self.shipped_items(order):
                    stock[m][self.i_sku[item]] += self.i_qty[item]
        return stock, unsellable

    # -- reading --------------------------------------------------------------------------

    def seconds(self, moment: dt.datetime) -> int:
        return int((moment - self.start).total_seconds())

    def moment(self, seconds: int) -> dt.datetime:
        return self.start + dt.timedelta(seconds=seconds)

    def orders_between(self, first_second: int, end_second: int) -> range:
        """Indices of orders purchased in [first_second, end_second), simulating as needed."""
        if end_second <= 0:
            return range(0)
        first_second = max(0, first_second)
        self.ensure_day((end_second - 1) // DAY)
        first_day = first_second // DAY
        last_day = (end_second - 1) // DAY
        lo = bisect_right(
            self.o_time, first_second - 1, self.day_start[first_day], self.day_start[first_day + 1]
        )
        hi = bisect_right(
            self.o_time, end_second - 1, self.day_start[last_day], self.day_start[last_day + 1]
        )
        return range(lo, hi)

    def order_items(self, order: int) -> range:
        first = self.o_item[order]
        return range(first, first + self.o_nitems[order])

    def _cancels_item(self, position: int, item: int) -> bool:
        # A hash, not a draw from the day's generator: every other fate stays as it was.
        return position > 0 and ids.mix64(self._item_cancel_salt ^ item) % 3 == 0

    def item_cancelled(self, order: int, item: int) -> bool:
        """An item cancelled on its own while the rest of its order goes on (Amazon's
        ``item-status`` Cancelled under an order Shipped): a later item of some orders of more
        than one item. It carries no sale, leaves no stock and posts no fee."""
        if self.o_flags[order] & FLAG_CANCELLED:
            return False
        return self._cancels_item(item - self.o_item[order], item)

    def shipped_items(self, order: int) -> list[int]:
        """The order's items less those cancelled on their own."""
        return [item for item in self.order_items(order) if not self.item_cancelled(order, item)]

    def promo_discount_rate(self, sku: int) -> Decimal:
        return Decimal(str(self.promo_pct[sku]))
