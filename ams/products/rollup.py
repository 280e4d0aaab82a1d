"""How stock and cost roll up through bundles: plain functions over ids, no database.

Components are ``{bundle_id: {component_id: units per bundle}}``. A bundle's components are
simple products (``ams.products.models``), so one level of roll-up is the whole of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

Components = Mapping[int, Mapping[int, int]]


@dataclass(frozen=True)
class StockRollup:
    # Units held as the product itself (its own SKUs' sellable stock).
    own: int
    # Units of this product inside the bundles held (a component's only).
    in_bundles: int
    # Bundles that the loose components held could make (a bundle's only).
    buildable: int | None

    @property
    def total(self) -> int:
        return self.own + self.in_bundles


def roll_up_stock(own: Mapping[int, int], components: Components) -> dict[int, StockRollup]:
    """Each product's stock: its own, the units of it inside bundles held, what could be built."""
    in_bundles: dict[int, int] = {}
    for bundle_id, parts in components.items():
        held = own.get(bundle_id, 0)
        for component_id, per_bundle in parts.items():
            in_bundles[component_id] = in_bundles.get(component_id, 0) + held * per_bundle
    ids = set(own) | set(in_bundles) | set(components)
    out: dict[int, StockRollup] = {}
    for product_id in ids:
        held_parts = components.get(product_id)
        buildable = min(own.get(c, 0) // n for c, n in held_parts.items()) if held_parts else None
        out[product_id] = StockRollup(
            own=own.get(product_id, 0),
            in_bundles=in_bundles.get(product_id, 0),
            buildable=buildable,
        )
    return out


def component_units(units: Mapping[int, int], components: Components) -> dict[int, int]:
    """Units of simple products that ``units`` (per product, bundles among them) amount to."""
    out: dict[int, int] = {}
    for product_id, n in units.items():
        parts = components.get(product_id)
        if not parts:
            out[product_id] = out.get(product_id, 0) + n
            continue
        for component_id, per_bundle in parts.items():
            out[component_id] = out.get(component_id, 0) + n * per_bundle
    return out


@dataclass(frozen=True)
class UnitCost:
    currency: str
    amount: Decimal


def bundle_cost(parts: Mapping[int, int], cost_of: Mapping[int, UnitCost | None]) -> UnitCost | str:
    """The cost of one bundle from its components' unit costs, or why it has none."""
    if not parts:
        return "the bundle has no components"
    total = Decimal(0)
    currencies: set[str] = set()
    for component_id, per_bundle in parts.items():
        cost = cost_of.get(component_id)
        if cost is None:
            return "a component has no price"
        currencies.add(cost.currency)
        total += cost.amount * per_bundle
    if len(currencies) > 1:
        return "its components are priced in different currencies"
    return UnitCost(currencies.pop(), total)
