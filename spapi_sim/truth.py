"""What "Amazon" holds for a seller, totalled, so tests can compare AMS's copy with it.

Every figure here is what an exact copy of the data served by the API would add up to at the
current simulated instant. Money is always a decimal string.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from spapi_sim.api.finances import POSTED_LATENCY
from spapi_sim.clock import iso
from spapi_sim.money import ZERO, q, s
from spapi_sim.reports.store import SETTLEMENT_DELAY
from spapi_sim.world.catalog import LISTING_ACTIVE
from spapi_sim.world.claims import planted_cases
from spapi_sim.world.finances import summarize, totals_between
from spapi_sim.world.history import DAY, FLAG_PROMO
from spapi_sim.world.orders import CANCELED, PENDING
from spapi_sim.world.seller import SellerWorld

FAMILIES = (
    "orders",
    "inventory",
    "listings",
    "settlements",
    "fees",
    "reimbursements",
    "claims",
)


def truth(
    world: SellerWorld,
    now_moment: dt.datetime,
    first: dt.date | None,
    last: dt.date | None,
    families: set[str] | None = None,
) -> dict[str, Any]:
    now = world.seconds(now_moment)
    world.history.ensure_day(max(0, now) // DAY)
    first = first or world.history.start_date
    last = last or now_moment.date()
    lo = world.seconds(dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC))
    hi = min(
        now + 1, world.seconds(dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC)) + DAY
    )
    wanted = families or set(FAMILIES)
    result: dict[str, Any] = {
        "selling_partner_id": world.selling_partner_id,
        "as_of": iso(now_moment),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "history_start": world.history.start_date.isoformat(),
    }
    if "orders" in wanted:
        result["orders"] = _orders(world, lo, hi, now)
    if "inventory" in wanted:
        result["inventory"] = _inventory(world, now)
    if "listings" in wanted:
        result["listings"] = _listings(world)
    if "settlements" in wanted:
        result["settlements"] = _settlements(world, lo, hi, now)
    if "claims" in wanted:
        result["claims"] = planted_cases(world, lo, hi, now)
    if "fees" in wanted or "reimbursements" in wanted:
        # What the finances API lists: it refuses a PostedBefore later than two minutes ago.
        fees, reimbursements = _money(world, lo, min(hi, now - POSTED_LATENCY), now)
        if "fees" in wanted:
            result["fees"] = fees
        if "reimbursements" in wanted:
            result["reimbursements"] = reimbursements
    return result


def _orders(world: SellerWorld, lo: int, hi: int, now: int) -> dict[str, Any]:
    """Orders by purchase time in [lo, hi).

    Revenue is the item price (unit price times quantity, before promotions) of orders AMS can see
    priced: those neither Pending nor Canceled, exactly as the Orders API and reports show them.
    An item cancelled on its own counts in neither units nor revenue (``cancelled_items``).
    """
    h = world.history
    book = world.book
    by_status: dict[str, dict[str, int]] = {}
    by_day: dict[str, dict[str, int]] = {}
    by_day_status: dict[str, dict[str, dict[str, int]]] = {}
    by_local_day: dict[str, dict[str, dict[str, int]]] = {}
    by_marketplace: dict[str, dict[str, Any]] = {}
    revenue: dict[str, Decimal] = {}
    discounts: dict[str, Decimal] = {}
    price_cache: dict[tuple[int, int], Decimal] = {}
    cancelled_items: list[dict[str, Any]] = []
    count = units_total = 0
    for index in h.orders_between(lo, hi):
        mi = h.o_mkt[index]
        m = world.marketplaces[mi]
        status, _updated = book.status(index, now)
        units = 0
        price = ZERO
        for item in h.order_items(index):
            sku = h.i_sku[item]
            qty = h.i_qty[item]
            if h.item_cancelled(index, item):
                # Cancelled on its own: no units, no sale.
                cancelled_items.append(
                    {
                        "order_id": book.order_id(index),
                        "sku": world.products[sku].sku,
                        "marketplace_id": m.id,
                        "quantity": qty,
                    }
                )
                continue
            units += qty
            unit = price_cache.get((sku, mi))
            if unit is None:
                unit = price_cache[(sku, mi)] = world.products[sku].price_in(m)
            price += unit * qty
        count += 1
        units_total += units
        bucket = by_status.setdefault(status, {"orders": 0, "units": 0})
        bucket["orders"] += 1
        bucket["units"] += units
        t = h.o_time[index]
        day = (h.start_date + dt.timedelta(days=t // DAY)).isoformat()
        d = by_day.setdefault(day, {"orders": 0, "units": 0})
        d["orders"] += 1
        d["units"] += units
        ds = by_day_status.setdefault(day, {}).setdefault(status, {"orders": 0, "units": 0})
        ds["orders"] += 1
        ds["units"] += units
        local = m.local_date(world.moment(t)).isoformat()
        ld = by_local_day.setdefault(m.country_code, {}).setdefault(
            local, {"orders": 0, "units": 0}
        )
        ld["orders"] += 1
        ld["units"] += units
        mk = by_marketplace.setdefault(
            m.country_code,
            {"marketplace_id": m.id, "currency": m.currency, "orders": 0, "units": 0},
        )
        mk["orders"] += 1
        mk["units"] += units
        if status not in (PENDING, CANCELED):
            revenue[m.currency] = revenue.get(m.currency, ZERO) + price
            if h.o_flags[index] & FLAG_PROMO:
                first_item = h.o_item[index]
                sku = h.i_sku[first_item]
                discount = q(
                    price_cache[(sku, mi)] * h.i_qty[first_item] * h.promo_discount_rate(sku),
                    m.currency,
                )
                discounts[m.currency] = discounts.get(m.currency, ZERO) + discount
    return {
        "count": count,
        "units": units_total,
        "by_status": dict(sorted(by_status.items())),
        "by_day": by_day,
        "by_day_and_status": by_day_status,
        "by_local_day": by_local_day,
        "by_marketplace": by_marketplace,
        "revenue": {c: s(q(v, c)) for c, v in sorted(revenue.items())},
        "promotion_discounts": {c: s(q(v, c)) for c, v in sorted(discounts.items())},
        # Items cancelled on their own while their order went on (units and revenue leave them
        # out): order id, SKU, marketplace id and the quantity that was ordered.
        "cancelled_items": cancelled_items,
        "lost_sales_units": sum(h.lost_units[max(0, lo // DAY) : max(0, (hi - 1) // DAY + 1)]),
    }


def _inventory(world: SellerWorld, now: int) -> dict[str, Any]:
    stock = world.stock(now)
    fba: dict[str, dict[str, dict[str, int]]] = {}
    fbm: dict[str, dict[str, int]] = {}
    totals = {
        "fulfillable": 0,
        "reserved": 0,
        "unfulfillable": 0,
        "inbound_working": 0,
        "inbound_shipped": 0,
        "inbound_receiving": 0,
        "researching": 0,
        "total": 0,
        "fbm": 0,
    }
    for mi, m in enumerate(world.marketplaces):
        for sku_index, level in stock[mi].items():
            p = world.products[sku_index]
            if p.channel == "AFN":
                row = {
                    "fulfillable": level.fulfillable,
                    "reserved": level.reserved,
                    "unfulfillable": level.unfulfillable,
                    "inbound_working": level.inbound_working,
                    "inbound_shipped": level.inbound_shipped,
                    "inbound_receiving": level.inbound_receiving,
                    "researching": level.researching,
                    "total": level.total,
                }
                fba.setdefault(p.sku, {})[m.country_code] = row
                for key, value in row.items():
                    totals[key] += value
            else:
                fbm.setdefault(p.sku, {})[m.country_code] = level.fulfillable
                totals["fbm"] += level.fulfillable
    return {"fba": fba, "fbm": fbm, "totals": totals}


def _listings(world: SellerWorld) -> dict[str, Any]:
    by_marketplace: dict[str, dict[str, int]] = {}
    for m in world.marketplaces:
        counts = {"ACTIVE": 0, "INACTIVE": 0, "SUPPRESSED": 0}
        for p in world.products:
            status = p.status_in(m.country_code)
            if status is not None:
                counts[status] += 1
        by_marketplace[m.country_code] = counts
    total = {
        k: sum(c[k] for c in by_marketplace.values()) for k in ("ACTIVE", "INACTIVE", "SUPPRESSED")
    }
    return {
        "skus": len(world.products),
        "by_status": total,
        "by_marketplace": by_marketplace,
        "buyable": sum(
            1 for p in world.products for _c, st in p.listing_status if st == LISTING_ACTIVE
        ),
    }


def _settlements(world: SellerWorld, lo: int, hi: int, now: int) -> list[dict[str, Any]]:
    result = []
    for period in world.ledger.periods(now):
        if period.end <= lo or period.start >= hi:
            continue
        summary = summarize(world.ledger, period, now)
        closed = period.end <= now
        result.append(
            {
                "settlement_id": period.settlement_id,
                "financial_event_group_id": period.group_id,
                "marketplace_id": period.marketplace.id,
                "currency": period.marketplace.currency,
                "start": iso(world.moment(period.start)),
                "end": iso(world.moment(period.end)),
                "deposit_date": iso(world.moment(period.deposit)),
                "processing_status": "Closed" if closed else "Open",
                "report_available": closed and period.end + SETTLEMENT_DELAY <= now,
                "total": s(q(summary.total, period.marketplace.currency)),
                "lines": summary.lines,
                "events": summary.events,
            }
        )
    return result


def _money(world: SellerWorld, lo: int, hi: int, now: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fee sums by type and currency, and reimbursements, for events posted in [lo, hi)."""
    fees: dict[str, dict[str, Decimal]] = {}
    charges: dict[str, dict[str, Decimal]] = {}
    events_by_kind: dict[str, int] = {}
    reimbursed: dict[str, Decimal] = {}
    reimbursed_units = reimbursement_count = 0
    currencies = {m.id: m.currency for m in world.marketplaces}
    for market, totals in totals_between(world.ledger, lo, hi, now).items():
        currency = currencies[market]
        for kind, count in totals.kinds.items():
            events_by_kind[kind] = events_by_kind.get(kind, 0) + count
        for (amount_type, description), amount in totals.charges.items():
            bucket = charges.setdefault(f"{amount_type}/{description}", {})
            bucket[currency] = bucket.get(currency, ZERO) + amount
            if amount_type in ("ItemFees", "other-transaction"):
                fee = fees.setdefault(description, {})
                fee[currency] = fee.get(currency, ZERO) + amount
        if totals.reimbursements:
            reimbursement_count += totals.reimbursements
            reimbursed_units += totals.reimbursed_units
            reimbursed[currency] = reimbursed.get(currency, ZERO) + totals.reimbursed
    return (
        {
            "by_type": {
                k: {c: s(q(v, c)) for c, v in sorted(d.items())} for k, d in sorted(fees.items())
            },
            "charges": {
                k: {c: s(q(v, c)) for c, v in sorted(d.items())} for k, d in sorted(charges.items())
            },
            "events_by_kind": dict(sorted(events_by_kind.items())),
        },
        {
            "count": reimbursement_count,
            "units": reimbursed_units,
            "amount": {c: s(q(v, c)) for c, v in sorted(reimbursed.items())},
        },
    )
