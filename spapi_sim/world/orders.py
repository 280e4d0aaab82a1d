"""One order as AMS would see it at a given instant, expanded lazily from the compact history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from spapi_sim import ids
from spapi_sim.marketplaces import Marketplace
from spapi_sim.money import ZERO, q
from spapi_sim.world.catalog import Product
from spapi_sim.world.history import DAY, FLAG_CANCELLED, FLAG_PROMO, FLAG_REFUNDED, History

# Order ids are 3-7-7 digits; the first group depends on the marketplace.
_ORDER_PREFIX = {
    "US": ("111", "112", "113", "114"),
    "CA": ("701", "702"),
    "MX": ("701", "702"),
    "UK": ("202", "203", "204", "205", "206"),
    "DE": ("302", "303", "304", "305", "306"),
    "JP": ("249", "250", "503"),
}
_MODULUS = 10**14
_ORDER_MULTIPLIER = 48_271_989_017
_ITEM_MULTIPLIER = 69_621_305_911
_PER_SELLER = 10**12

# Order statuses, in the v0 vocabulary (Orders v2026-01-01 maps them to fulfillment statuses).
PENDING = "Pending"
UNSHIPPED = "Unshipped"
SHIPPED = "Shipped"
CANCELED = "Canceled"

STATUS_2026 = {
    PENDING: "PENDING",
    UNSHIPPED: "UNSHIPPED",
    SHIPPED: "SHIPPED",
    CANCELED: "CANCELLED",
}


@dataclass(frozen=True)
class OrderLine:
    item_index: int
    order_item_id: str
    product: Product
    quantity: int
    unit_price: Decimal
    item_price: Decimal
    promotion_discount: Decimal
    item_tax: Decimal
    shipping_price: Decimal
    shipping_tax: Decimal
    # Cancelled on its own while the order goes on: no sale, no stock, no fee.
    cancelled: bool = False

    @property
    def net_sales(self) -> Decimal:
        return self.item_price - self.promotion_discount


@dataclass(frozen=True)
class OrderView:
    index: int
    order_id: str
    marketplace: Marketplace
    channel: str  # AFN / MFN
    purchase_second: int
    pending_until: int
    ship_second: int | None  # None when cancelled
    cancel_second: int | None
    refund_second: int | None
    lines: tuple[OrderLine, ...]
    promotion_id: str | None

    def status(self, now: int) -> str:
        if self.cancel_second is not None and self.cancel_second <= now:
            return CANCELED
        if now < self.pending_until:
            return PENDING
        if self.ship_second is not None and self.ship_second <= now:
            return SHIPPED
        return UNSHIPPED

    def last_update(self, now: int) -> int:
        moments = [self.purchase_second, self.pending_until, self.ship_second, self.cancel_second]
        return max(m for m in moments if m is not None and m <= now)

    @property
    def currency(self) -> str:
        return self.marketplace.currency

    @property
    def sold_lines(self) -> tuple[OrderLine, ...]:
        """The lines less those cancelled on their own."""
        return tuple(ln for ln in self.lines if not ln.cancelled)

    def total(self) -> Decimal:
        return sum(
            (
                ln.net_sales + ln.item_tax + ln.shipping_price + ln.shipping_tax
                for ln in self.sold_lines
            ),
            ZERO,
        )

    @property
    def units(self) -> int:
        return sum(ln.quantity for ln in self.sold_lines)


class OrderBook:
    """Order ids, and the lazy expansion of an order index into an OrderView."""

    def __init__(self, history: History, seed: int, seller_index: int) -> None:
        self.history = history
        self.seller_index = seller_index
        self._salt = ids.derive(seed, "order-salt", seller_index)
        self._order_salt = ids.derive(seed, "order-id", seller_index) % _MODULUS
        self._item_salt = ids.derive(seed, "item-id", seller_index) % _MODULUS
        self._order_inverse = pow(_ORDER_MULTIPLIER, -1, _MODULUS)
        # Unit prices per (SKU index, marketplace): fixed, and a report prices every line.
        self._prices: dict[tuple[int, str], Decimal] = {}

    def order_id(self, index: int) -> str:
        inner = self.seller_index * _PER_SELLER + index
        number = (inner * _ORDER_MULTIPLIER + self._order_salt) % _MODULUS
        digits = f"{number:014d}"
        country = self.history.marketplaces[self.history.o_mkt[index]].country_code
        prefixes = _ORDER_PREFIX.get(country, ("401", "402", "403"))
        prefix = prefixes[index % len(prefixes)]
        return f"{prefix}-{digits[:7]}-{digits[7:]}"

    def order_index(self, order_id: str) -> int | None:
        parts = order_id.split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[1] + parts[2]) != 14:
            return None
        number = int(parts[1] + parts[2])
        inner = ((number - self._order_salt) * self._order_inverse) % _MODULUS
        seller, index = divmod(inner, _PER_SELLER)
        if seller != self.seller_index or index >= len(self.history.o_time):
            return None
        if self.order_id(index) != order_id:
            return None
        return index

    def item_id(self, item_index: int) -> str:
        inner = self.seller_index * _PER_SELLER + item_index
        return f"{(inner * _ITEM_MULTIPLIER + self._item_salt) % _MODULUS:014d}"

    def times(self, index: int) -> tuple[int, int, int | None, int | None]:
        """Purchase, end of Pending, shipment and cancellation instants (seconds), cheaply."""
        h = self.history
        t = h.o_time[index]
        mix = ids.mix64(self._salt ^ index)
        pending_until = t + 300 + mix % 3300
        afn = h.products[h.i_sku[h.o_item[index]]].channel == "AFN"
        if afn:
            ship_delay = 3 * 3600 + (mix >> 16) % (30 * 3600)
        else:
            ship_delay = 12 * 3600 + (mix >> 16) % (36 * 3600)
        if h.o_flags[index] & FLAG_CANCELLED:
            return t, pending_until, None, pending_until + (mix >> 32) % (6 * 3600)
        return t, pending_until, pending_until + ship_delay, None

    def status(self, index: int, now: int) -> tuple[str, int]:
        """The v0 status and last-update instant at ``now`` without expanding the order."""
        t, pending_until, ship, cancel = self.times(index)
        if cancel is not None and cancel <= now:
            return CANCELED, cancel
        if now < pending_until:
            return PENDING, t
        if ship is not None and ship <= now:
            return SHIPPED, ship
        return UNSHIPPED, pending_until

    def view(self, index: int) -> OrderView:
        h = self.history
        marketplace = h.marketplaces[h.o_mkt[index]]
        flags = h.o_flags[index]
        t, pending_until, ship_second, cancel_second = self.times(index)
        mix = ids.mix64(self._salt ^ index)
        first_product = h.products[h.i_sku[h.o_item[index]]]
        afn = first_product.channel == "AFN"
        refund_second = None
        if flags & FLAG_REFUNDED:
            refund_second = h.refund_day[index] * DAY + (mix >> 40) % DAY
        lines = []
        for position, item in enumerate(h.order_items(index)):
            product = h.products[h.i_sku[item]]
            qty = h.i_qty[item]
            unit = self._prices.get((product.index, marketplace.id))
            if unit is None:
                unit = self._prices[(product.index, marketplace.id)] = product.price_in(marketplace)
            item_price = unit * qty
            discount = ZERO
            if position == 0 and flags & FLAG_PROMO:
                discount = q(
                    item_price * h.promo_discount_rate(product.index), marketplace.currency
                )
            shipping = ZERO
            if product.channel == "MFN" and product.price_usd < 15:
                shipping = q(Decimal("4.99") * marketplace.fx, marketplace.currency)
            lines.append(
                OrderLine(
                    item_index=item,
                    order_item_id=self.item_id(item),
                    product=product,
                    quantity=qty,
                    unit_price=unit,
                    item_price=item_price,
                    promotion_discount=discount,
                    item_tax=q(
                        (item_price - discount) * marketplace.tax_rate, marketplace.currency
                    ),
                    shipping_price=shipping,
                    shipping_tax=q(shipping * marketplace.tax_rate, marketplace.currency),
                    cancelled=h.item_cancelled(index, item),
                )
            )
        promotion_id = None
        if flags & FLAG_PROMO:
            promotion_id = f"PLM-{ids.alnum(ids.derive(self._salt, 'promo', first_product.index, t // (DAY * 7)), 10)}"
        return OrderView(
            index=index,
            order_id=self.order_id(index),
            marketplace=marketplace,
            channel="AFN" if afn else "MFN",
            purchase_second=t,
            pending_until=pending_until,
            ship_second=ship_second,
            cancel_second=cancel_second,
            refund_second=refund_second,
            lines=tuple(lines),
            promotion_id=promotion_id,
        )
