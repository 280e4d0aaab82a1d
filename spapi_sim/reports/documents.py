"""Report documents: rows generated on demand from the world, never held in memory whole."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from spapi_sim import ids
from spapi_sim.marketplaces import Marketplace
from spapi_sim.money import q, s
from spapi_sim.reports import columns as C
from spapi_sim.world.buyers import buyer
from spapi_sim.world.catalog import LISTING_ACTIVE, Product
from spapi_sim.world.finances import SettlementPeriod, summarize
from spapi_sim.world.history import DAY, FLAG_CANCELLED, INCIDENT_LOST, OUTCOME_FOUND
from spapi_sim.world.orders import CANCELED, PENDING, SHIPPED
from spapi_sim.world.seller import SellerWorld

Row = list[str]


@dataclass(frozen=True)
class DocumentSpec:
    report_type: str
    marketplaces: tuple[int, ...]
    data_start: int
    data_end: int
    as_of: int
    settlement: SettlementPeriod | None = None


def _ts(world: SellerWorld, seconds: int) -> str:
    return world.moment(seconds).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class _Stamps:
    """``_ts`` for many instants: the date part is formatted once per day (an order report
    writes two timestamps a row, and strftime was a fifth of its time)."""

    def __init__(self, world: SellerWorld) -> None:
        start = world.moment(0)
        self._midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        self._offset = int((start - self._midnight).total_seconds())
        self._days: dict[int, str] = {}

    def __call__(self, seconds: int) -> str:
        day, rest = divmod(seconds + self._offset, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (self._midnight + timedelta(days=day)).strftime("%Y-%m-%dT")
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}+00:00"


def _utc(world: SellerWorld, seconds: int) -> str:
    return world.moment(seconds).strftime("%Y-%m-%d %H:%M:%S UTC")


def _volume_cubic_inches(product: Product) -> Decimal:
    side_cm = (product.weight_grams / 0.25) ** (1 / 3)
    return Decimal(str(round((side_cm / 2.54) ** 3, 2)))


def rows(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    """The header, then the data rows of the document."""
    yield list(C.COLUMNS[spec.report_type])
    generator = _GENERATORS[spec.report_type]
    yield from generator(world, spec)


def has_data(world: SellerWorld, spec: DocumentSpec) -> bool:
    """Amazon ends a report with no data as CANCELLED rather than DONE with an empty file."""
    for _ in _GENERATORS[spec.report_type](world, spec):
        return True
    return False


def estimated_rows(world: SellerWorld, spec: DocumentSpec) -> int:
    """Roughly how many rows the document will hold, without generating it: the orders in its
    date range for the order reports, one row per SKU and marketplace for the others. It sets
    the report's simulated processing time, so it only has to grow with the real size."""
    if spec.report_type in (C.ORDERS_BY_LAST_UPDATE, C.ORDERS_BY_ORDER_DATE):
        end = min(spec.data_end, spec.as_of)
        return len(world.history.orders_between(spec.data_start, end + 1))
    return len(world.products) * max(1, len(spec.marketplaces))


# -- orders ---------------------------------------------------------------------------------


def _orders(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    by_update = spec.report_type == C.ORDERS_BY_LAST_UPDATE
    h = world.history
    now = spec.as_of
    end = min(spec.data_end, now)
    first = spec.data_start - (4 * DAY if by_update else 0)
    markets = set(spec.marketplaces)
    stamp = _Stamps(world)
    for index in h.orders_between(first, end + 1):
        if h.o_mkt[index] not in markets:
            continue
        status, updated = world.book.status(index, now)
        if by_update and not spec.data_start <= updated <= end:
            continue
        order = world.book.view(index)
        m = order.marketplace
        order_status = {CANCELED: "Cancelled"}.get(status, status)
        who = buyer(order.order_id)
        for ln in order.lines:
            item_status = (
                "Cancelled"
                if status == CANCELED or ln.cancelled
                else "Shipped"
                if status == SHIPPED
                else "Unshipped"
            )
            priced = status not in (PENDING, CANCELED)
            row = [
                order.order_id,
                "",
                stamp(order.purchase_second),
                stamp(updated),
                order_status,
                "Amazon" if order.channel == "AFN" else "Merchant",
                m.name,
                "",
                "Standard",
                ln.product.title,
                ln.product.sku,
                ln.product.asin,
                item_status,
                str(ln.quantity),
                m.currency,
                s(ln.item_price) if priced else "",
                s(ln.item_tax) if priced else "",
                s(ln.shipping_price) if priced else "",
                s(ln.shipping_tax) if priced else "",
                "",
                "",
                s(-ln.promotion_discount) if priced and ln.promotion_discount else "",
                "",
                # The city-level address Amazon's report carries (a client must not keep it).
                who.city,
                who.state,
                who.postal_code,
                m.country_code,
                (order.promotion_id or "") if ln.promotion_discount else "",
                "false",
                "",
                "",
            ]
            if spec.report_type == C.ORDERS_BY_ORDER_DATE:
                row.insert(28, "")
            yield row


# -- listings and inventory ---------------------------------------------------------------------


def _primary(world: SellerWorld, spec: DocumentSpec) -> tuple[int, Marketplace]:
    mi = spec.marketplaces[0]
    return mi, world.marketplaces[mi]


def _merchant_listings(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    mi, m = _primary(world, spec)
    stock = world.stock(spec.as_of)[mi]
    for p in world.products:
        status = p.status_in(m.country_code)
        if status is None:
            continue
        level = stock[p.index]
        afn = p.channel == "AFN"
        open_day = max(0, p.launch_day)
        yield [
            p.title,
            "",
            f"{ids.derive(0, 'listing', p.sku, m.id) % 10**10:010d}",
            p.sku,
            s(p.price_in(m)),
            "" if afn else str(level.fulfillable),
            world.moment(open_day * DAY).strftime("%Y-%m-%d %H:%M:%S PST"),
            "",
            "y",
            "1",
            "",
            "",
            "11",
            "",
            "",
            "",
            p.asin,
            "",
            "",
            "",
            "",
            "",
            p.asin,
            "",
            "",
            "0",
            "AMAZON_NA" if afn else "DEFAULT",
            "" if afn else "Migrated Template",
            "Active" if status == LISTING_ACTIVE else "Inactive",
        ]


def _myi(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    mi, m = _primary(world, spec)
    stock = world.stock(spec.as_of)[mi]
    for p in world.products:
        if p.channel != "AFN" or p.status_in(m.country_code) is None:
            continue
        lv = stock[p.index]
        warehouse = lv.fulfillable + lv.unfulfillable + lv.reserved
        yield [
            p.sku,
            p.fnsku,
            p.asin,
            p.title,
            "New",
            s(p.price_in(m)),
            "No",
            "",
            "Yes",
            str(warehouse),
            str(lv.fulfillable),
            str(lv.unfulfillable),
            str(lv.reserved),
            str(warehouse + lv.inbound_working + lv.inbound_shipped + lv.inbound_receiving),
            s(_volume_cubic_inches(p)),
            str(lv.inbound_working),
            str(lv.inbound_shipped),
            str(lv.inbound_receiving),
            str(lv.researching),
            "0",
            "0",
        ]


def _units_shipped(world: SellerWorld, mi: int, as_of: int) -> dict[int, list[int]]:
    """Units sold per SKU in the last 7/30/60/90 days (non-cancelled orders)."""
    h = world.history
    result: dict[int, list[int]] = {}
    for index in h.orders_between(as_of - 90 * DAY, as_of + 1):
        if h.o_mkt[index] != mi or h.o_flags[index] & FLAG_CANCELLED:
            continue
        age = as_of - h.o_time[index]
        for item in h.shipped_items(index):
            counts = result.setdefault(h.i_sku[item], [0, 0, 0, 0])
            qty = h.i_qty[item]
            for slot, days in enumerate((7, 30, 60, 90)):
                if age < days * DAY:
                    counts[slot] += qty
    return result


def _planning(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    mi, m = _primary(world, spec)
    stock = world.stock(spec.as_of)[mi]
    sold = _units_shipped(world, mi, spec.as_of)
    snapshot = world.moment(spec.as_of).strftime("%Y-%m-%d")
    for p in world.products:
        if p.channel != "AFN" or p.status_in(m.country_code) is None:
            continue
        lv = stock[p.index]
        t7, t30, t60, t90 = sold.get(p.index, [0, 0, 0, 0])
        price = p.price_in(m)
        daily = t30 / 30
        days_of_supply = str(math.floor(lv.fulfillable / daily)) if daily else ""
        volume = _volume_cubic_inches(p)
        inbound = lv.inbound_working + lv.inbound_shipped + lv.inbound_receiving
        values = {
            "snapshot-date": snapshot,
            "sku": p.sku,
            "fnsku": p.fnsku,
            "asin": p.asin,
            "product-name": p.title,
            "condition": "New",
            "available": str(lv.fulfillable),
            "pending-removal-quantity": "0",
            "inv-age-0-to-90-days": str(lv.fulfillable),
            "currency": m.currency,
            "units-shipped-t7": str(t7),
            "units-shipped-t30": str(t30),
            "units-shipped-t60": str(t60),
            "units-shipped-t90": str(t90),
            "alert": "out_of_stock" if lv.fulfillable == 0 else "",
            "your-price": s(price),
            "sales-price": s(price),
            "featuredoffer-price": s(price),
            "item-volume": s(volume),
            "volume-unit-measurement": "cubic inches",
            "storage-type": "Standard-Size",
            "storage-volume": s(volume * lv.fulfillable),
            "marketplace": m.country_code,
            "product-group": p.category.name,
            "days-of-supply": days_of_supply,
            "sales-shipped-last-7-days": s(price * t7),
            "sales-shipped-last-30-days": s(price * t30),
            "sales-shipped-last-60-days": s(price * t60),
            "sales-shipped-last-90-days": s(price * t90),
            "inbound-quantity": str(inbound),
            "inbound-working": str(lv.inbound_working),
            "inbound-shipped": str(lv.inbound_shipped),
            "inbound-received": str(lv.inbound_receiving),
            "reserved-quantity": str(lv.reserved),
            "unfulfillable-quantity": str(lv.unfulfillable),
            "no-sale-last-6-months": "0",
        }
        yield [values.get(column, "") for column in C.COLUMNS[C.FBA_PLANNING]]


def _restock(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    mi, m = _primary(world, spec)
    stock = world.stock(spec.as_of)[mi]
    sold = _units_shipped(world, mi, spec.as_of)
    for p in world.products:
        if p.channel != "AFN" or p.status_in(m.country_code) is None:
            continue
        lv = stock[p.index]
        t30 = sold.get(p.index, [0, 0, 0, 0])[1]
        price = p.price_in(m)
        inbound = lv.inbound_working + lv.inbound_shipped + lv.inbound_receiving
        daily = t30 / 30
        total_supply = lv.fulfillable + lv.reserved + inbound
        recommended = max(0, math.ceil(daily * 60) - total_supply)
        yield [
            m.country_code,
            p.title,
            p.fnsku,
            p.sku,
            p.asin,
            "New",
            "",
            "",
            m.currency,
            s(price),
            s(price * t30),
            str(t30),
            str(total_supply + lv.unfulfillable),
            str(inbound),
            str(lv.fulfillable),
            "0",
            "0",
            str(lv.reserved),
            str(lv.unfulfillable),
            str(lv.inbound_working),
            str(lv.inbound_shipped),
            str(lv.inbound_receiving),
            "Amazon",
            str(math.floor(total_supply / daily)) if daily else "",
            str(math.floor(lv.fulfillable / daily)) if daily else "",
            "out_of_stock" if lv.fulfillable == 0 else ("low_stock" if recommended else ""),
            str(recommended),
            world.moment(spec.as_of + DAY).strftime("%Y-%m-%d") if recommended else "",
            "Create shipping plan" if recommended else "",
            "Standard",
        ]


# -- ledger and reimbursements ------------------------------------------------------------------


def _ledger(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    h = world.history
    end = min(spec.data_end, spec.as_of)
    markets = set(spec.marketplaces)
    fc = "SIM1"
    events: list[tuple[int, Row]] = []

    def row(
        t: int, p: Product, kind: str, ref: str, qty: int, disposition: str, reason: str, mi: int
    ) -> None:
        events.append(
            (
                t,
                [
                    world.moment(t).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    p.fnsku,
                    p.asin,
                    p.sku,
                    p.title,
                    kind,
                    ref,
                    str(qty),
                    fc,
                    disposition,
                    reason,
                    world.marketplaces[mi].country_code,
                    str(abs(qty)),
                    "0",
                ],
            )
        )

    for day in range(max(0, spec.data_start // DAY), end // DAY + 1):
        h.ensure_day(day)
        events.clear()
        for index in h.orders_between((day - 3) * DAY, (day + 1) * DAY):
            mi = h.o_mkt[index]
            if mi not in markets or h.o_flags[index] & FLAG_CANCELLED:
                continue
            _t, _p, ship, _c = world.book.times(index)
            if (
                ship is None
                or not (day * DAY <= ship < (day + 1) * DAY)
                or not spec.data_start <= ship <= end
            ):
                continue
            order_id = world.book.order_id(index)
            for item in h.shipped_items(index):
                p = world.products[h.i_sku[item]]
                if p.channel == "AFN":
                    row(ship, p, "Shipments", order_id, -h.i_qty[item], "SELLABLE", "", mi)
        for mi, sku, qty, sellable, order in h.returns_by_day.get(day, ()):
            t = day * DAY + 6 * 3600
            if mi in markets and spec.data_start <= t <= end:
                row(
                    t,
                    world.products[sku],
                    "CustomerReturns",
                    world.book.order_id(order),
                    qty,
                    "SELLABLE" if sellable else "CUSTOMER_DAMAGED",
                    "",
                    mi,
                )
        for shipment in h.arrivals_by_day.get(day, ()):
            mi = h.s_mkt[shipment]
            p = world.products[h.s_sku[shipment]]
            t = day * DAY + 5 * 3600
            if mi not in markets or p.channel != "AFN" or not spec.data_start <= t <= end:
                continue
            ref = "FBA15" + f"{shipment:07d}"
            # Units lost before they reached the shelves were never received: Amazon reimburses
            # them as Lost_Inbound (the reimbursements report), the ledger shows no adjustment.
            row(t, p, "Receipts", ref, h.s_qty[shipment] - h.s_lost[shipment], "SELLABLE", "", mi)
        for t, sku, mi, ref, qty, disposition in list(world.inbound_receipts):
            if t // DAY == day and mi in markets and spec.data_start <= t <= end:
                row(t, world.products[sku], "Receipts", ref, qty, disposition, "", mi)
        for number in h.incidents_by_day.get(day, ()):
            incident = h.incidents[number]
            p = world.products[incident.sku]
            mi = incident.market
            t = incident.second
            if mi not in markets or not spec.data_start <= t <= end:
                continue
            ref = incident_reference(world, number)
            if incident.kind == INCIDENT_LOST:
                row(t, p, "Adjustments", ref, -incident.quantity, "SELLABLE", "M", mi)
            else:
                # Damaged in the warehouse: the units move from sellable to warehouse-damaged.
                row(t, p, "Adjustments", ref, -incident.quantity, "SELLABLE", "E", mi)
                row(t, p, "Adjustments", ref, incident.quantity, "WAREHOUSE_DAMAGED", "E", mi)
        for number in h.incidents_settled_by_day.get(day, ()):
            incident = h.incidents[number]
            t = incident.settled
            if (
                incident.outcome != OUTCOME_FOUND
                or incident.market not in markets
                or not spec.data_start <= t <= end
            ):
                continue
            ref = incident_reference(world, number, found=True)
            p = world.products[incident.sku]
            row(t, p, "Adjustments", ref, incident.quantity, "SELLABLE", "F", incident.market)
        events.sort(key=lambda e: e[0])
        for _t, r in events:
            yield r


def _reimbursements(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    h = world.history
    end = min(spec.data_end, spec.as_of)
    markets = set(spec.marketplaces)
    market_ids = {world.marketplaces[mi].id for mi in markets}
    for day in range(max(0, spec.data_start // DAY), end // DAY + 1):
        h.ensure_day(day)
        for event in world.ledger.reimbursements_on_day(day):
            if event.marketplace.id not in market_ids:
                continue
            if not spec.data_start <= event.posted <= end:
                continue
            item = event.items[0]
            p = world.by_sku[item.sku]
            amount = item.charges[0].amount
            yield [
                _ts(world, event.posted),
                event.adjustment_id,
                "",
                event.order_id,
                event.report_reason,
                p.sku,
                p.fnsku,
                p.asin,
                p.title,
                "NewItem",
                event.marketplace.currency,
                s(amount / item.quantity),
                s(amount),
                str(item.quantity),
                "0",
                str(item.quantity),
                "",
                "",
            ]


def incident_reference(world: SellerWorld, number: int, *, found: bool = False) -> str:
    """The ledger's ReferenceID of an adjustment: a transaction item id of Amazon's."""
    label = "incident-found" if found else "incident"
    return f"{ids.derive(0, world.selling_partner_id, label, number) % 10**11:011d}"


_RETURN_REASONS = (
    "UNWANTED_ITEM",
    "NOT_AS_DESCRIBED",
    "DEFECTIVE",
    "SWITCHEROO",
    "ORDERED_WRONG_ITEM",
)


def license_plate(world: SellerWorld, order: int, sku: int) -> str:
    return "LPN" + ids.alnum(ids.derive(0, world.selling_partner_id, "lpn", order, sku), 9)


def _customer_returns(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    """The FBA customer returns report: one row per return received at a fulfilment centre."""
    h = world.history
    end = min(spec.data_end, spec.as_of)
    markets = set(spec.marketplaces)
    for day in range(max(0, spec.data_start // DAY), end // DAY + 1):
        h.ensure_day(day)
        for mi, sku, qty, sellable, order in h.returns_by_day.get(day, ()):
            # The same instant as the ledger's CustomerReturns row.
            t = day * DAY + 6 * 3600
            if mi not in markets or not spec.data_start <= t <= end:
                continue
            p = world.products[sku]
            reason = _RETURN_REASONS[
                ids.derive(0, "return-reason", order, sku) % len(_RETURN_REASONS)
            ]
            yield [
                _ts(world, t),
                world.book.order_id(order),
                p.sku,
                p.asin,
                p.fnsku,
                p.title,
                str(qty),
                "SIM1",
                "SELLABLE" if sellable else "CUSTOMER_DAMAGED",
                reason,
                "Unit returned to inventory",
                license_plate(world, order, sku),
                "",
            ]


# -- settlements ----------------------------------------------------------------------------------


def settlement_market_name(m: Marketplace) -> str:
    return m.domain.removeprefix("www.")


def _settlement(world: SellerWorld, spec: DocumentSpec) -> Iterator[Row]:
    period = spec.settlement
    assert period is not None
    summary = summarize(world.ledger, period, spec.as_of)
    m = period.marketplace
    yield [
        period.settlement_id,
        _utc(world, period.start),
        _utc(world, period.end - 1),
        _utc(world, period.deposit),
        s(q(summary.total, m.currency)),
        m.currency,
    ] + [""] * 18
    market_name = settlement_market_name(m)
    for event in world.ledger.settlement_events(period, spec.as_of):
        posted_date = world.moment(event.posted).strftime("%Y-%m-%d 00:00:00 UTC")
        posted = _utc(world, event.posted)
        for item in event.items:
            for charge in item.charges:
                yield [
                    period.settlement_id,
                    "",
                    "",
                    "",
                    "",
                    m.currency,
                    event.kind,
                    event.order_id,
                    "",
                    event.adjustment_id,
                    event.shipment_id,
                    market_name,
                    charge.amount_type,
                    charge.description,
                    s(charge.amount),
                    event.fulfillment,
                    posted_date,
                    posted,
                    item.order_item_id,
                    "",
                    item.adjustment_item_id,
                    item.sku,
                    str(item.quantity),
                    item.promotion_id if charge.amount_type == "Promotion" else "",
                ]
        for charge in event.charges:
            yield [
                period.settlement_id,
                "",
                "",
                "",
                "",
                m.currency,
                event.kind,
                "",
                "",
                event.adjustment_id,
                "",
                market_name,
                charge.amount_type,
                charge.description,
                s(charge.amount),
                "",
                posted_date,
                posted,
                "",
                "",
                "",
                "",
                "",
                "",
            ]


_GENERATORS = {
    C.ORDERS_BY_LAST_UPDATE: _orders,
    C.ORDERS_BY_ORDER_DATE: _orders,
    C.MERCHANT_LISTINGS: _merchant_listings,
    C.FBA_MYI: _myi,
    C.FBA_PLANNING: _planning,
    C.RESTOCK: _restock,
    C.LEDGER_DETAIL: _ledger,
    C.REIMBURSEMENTS: _reimbursements,
    C.CUSTOMER_RETURNS: _customer_returns,
    C.SETTLEMENT_V2: _settlement,
}
