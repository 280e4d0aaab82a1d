"""One simulated seller account: identity, catalogue, history, orders, money and stock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from spapi_sim import ids
from spapi_sim.config import SimConfig
from spapi_sim.marketplaces import Marketplace, by_country
from spapi_sim.world.catalog import Product, build_catalog
from spapi_sim.world.finances import Ledger
from spapi_sim.world.history import DAY, FLAG_CANCELLED, History
from spapi_sim.world.orders import OrderBook

_NAMES = (
    "Northwind Trading Co.",
    "Brightleaf Goods",
    "Oakridge Home Supply",
    "Kestrel Outdoor",
    "Tidewell Living",
    "Maplestone Market",
    "Cobalt Bay Brands",
    "Lumen Street Store",
)


@dataclass(frozen=True)
class StockLevel:
    fulfillable: int
    reserved: int
    unfulfillable: int
    inbound_working: int
    inbound_shipped: int
    inbound_receiving: int
    researching: int = 0

    @property
    def total(self) -> int:
        return (
            self.fulfillable
            + self.reserved
            + self.unfulfillable
            + self.inbound_working
            + self.inbound_shipped
            + self.inbound_receiving
            + self.researching
        )


def seller_regions(config: SimConfig) -> list[tuple[str, tuple[Marketplace, ...]]]:
    """Group the configured marketplaces by region: one seller account is one region."""
    groups: dict[str, list[Marketplace]] = {}
    for code in config.marketplaces:
        m = by_country(code)
        groups.setdefault(m.region, []).append(m)
    return [(region, tuple(ms)) for region, ms in groups.items()]


class SellerWorld:
    def __init__(self, config: SimConfig, index: int) -> None:
        regions = seller_regions(config)
        self.index = index
        self.region, self.marketplaces = regions[index % len(regions)]
        self.selling_partner_id = ids.selling_partner_id(config.seed, index)
        self.name = _NAMES[index % len(_NAMES)] + ("" if index < len(_NAMES) else f" {index}")
        self.store_name = self.name.replace(" Co.", "").replace(".", "")
        start_date = config.anchor.date() - dt.timedelta(days=config.history_days)
        start = dt.datetime(start_date.year, start_date.month, start_date.day, tzinfo=dt.UTC)
        self.products: list[Product] = build_catalog(
            config.seed, index, config.skus_per_seller, self.marketplaces, config.history_days
        )
        self.by_sku = {p.sku: p for p in self.products}
        self.by_asin = {p.asin: p for p in self.products}
        self.history = History(
            seed=config.seed,
            seller_index=index,
            products=self.products,
            marketplaces=self.marketplaces,
            start=start,
            demand_scale=config.demand_scale,
        )
        self.book = OrderBook(self.history, config.seed, index)
        # Seconds from the history start to the anchor (where generated history ends).
        self.anchor_second = self.history.seconds(config.anchor)
        offset = ids.derive(config.seed, "settlement-offset", index) % 14
        self.ledger = Ledger(self.book, config.seed, index, int(offset))
        # Units of Fulfillment Inbound shipments (api/inbound.py) counted in at a fulfilment
        # centre, for the inventory ledger's Receipts rows: (second, product index, marketplace
        # index, shipment confirmation id, quantity, disposition). Appended under the inbound
        # store's lock; read by copying the list.
        self.inbound_receipts: list[tuple[int, int, int, str, int, str]] = []
        self.ledger.plan_fee_jumps(config.history_days)

    def build(self, now: dt.datetime) -> None:
        """Simulate the whole history up to ``now`` (otherwise it happens on first use)."""
        self.history.ensure_day(max(0, self.seconds(now)) // DAY)

    def seconds(self, moment: dt.datetime) -> int:
        return self.history.seconds(moment)

    def moment(self, seconds: int) -> dt.datetime:
        return self.history.moment(seconds)

    def marketplace_index(self, marketplace_id: str) -> int | None:
        for i, m in enumerate(self.marketplaces):
            if m.id == marketplace_id:
                return i
        return None

    def stock(self, now: int) -> list[dict[int, StockLevel]]:
        """Stock per marketplace index and SKU index at ``now`` (listed SKUs only).

        ``now`` may lie in an earlier day than the simulation has reached (a report created
        yesterday and downloaded today): the levels are then rebuilt backwards from the latest.
        """
        h = self.history
        day = max(0, now // DAY)
        h.ensure_day(day)
        fulfillable, unfulfillable = h.levels_at_day_start(day)
        day_first = h.day_start[day]
        reserved = [dict[int, int]() for _ in self.marketplaces]
        # The day's orders up to now take stock; orders placed but not shipped are reserved.
        for index in h.orders_between((day - 3) * DAY, now + 1):
            if h.o_flags[index] & FLAG_CANCELLED:
                continue
            m = h.o_mkt[index]
            ship = self.book.times(index)[2]
            for item in h.shipped_items(index):
                sku = h.i_sku[item]
                qty = h.i_qty[item]
                if index >= day_first:
                    fulfillable[m][sku] -= qty
                if self.products[sku].channel == "AFN" and ship is not None and ship > now:
                    reserved[m][sku] = reserved[m].get(sku, 0) + qty
        inbound = self._inbound(day)
        result: list[dict[int, StockLevel]] = []
        for m in range(len(self.marketplaces)):
            levels: dict[int, StockLevel] = {}
            for p in self.products:
                if not h.listed[m][p.index]:
                    continue
                working, shipped, receiving = inbound.get((m, p.index), (0, 0, 0))
                levels[p.index] = StockLevel(
                    fulfillable=max(0, fulfillable[m][p.index]),
                    reserved=reserved[m].get(p.index, 0),
                    unfulfillable=unfulfillable[m][p.index],
                    inbound_working=working,
                    inbound_shipped=shipped,
                    inbound_receiving=receiving,
                )
            result.append(levels)
        return result

    def _inbound(self, day: int) -> dict[tuple[int, int], tuple[int, int, int]]:
        """FBA units on their way on ``day``: (working, shipped, receiving) per (market, SKU)."""
        h = self.history
        result: dict[tuple[int, int], tuple[int, int, int]] = {}
        # Shipments take at most about two months, so only arrivals in that window matter.
        for arrival in range(day + 1, day + 90):
            for s in h.arrivals_by_day.get(arrival, ()):
                sku = h.s_sku[s]
                if self.products[sku].channel != "AFN" or h.s_created[s] > day:
                    continue
                key = (h.s_mkt[s], sku)
                working, shipped, receiving = result.get(key, (0, 0, 0))
                if day < h.s_created[s] + 2:
                    working += h.s_qty[s]
                elif day < arrival - 3:
                    shipped += h.s_qty[s]
                else:
                    receiving += h.s_qty[s]
                result[key] = (working, shipped, receiving)
        return result
