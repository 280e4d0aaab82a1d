"""What the data pages read beyond one app's selectors: the filters' marketplaces, the SKUs a
SKU filter stands for, and each order's profit (its lines, their costs, Amazon's fees).

Each page lists one table through the selectors of the app that owns it (``ams.orders``,
``ams.inventory``, ``ams.catalog``, ``ams.finance``); the same filtered querysets feed the CSV/XLSX
exports, so a download holds exactly what the page shows.
"""

from __future__ import annotations

from decimal import Decimal

from ams.amazon import selectors as amazon
from ams.catalog import selectors as catalog
from ams.core import marketplaces
from ams.finance import selectors as finance
from ams.inventory import selectors as inventory
from ams.orders import selectors as orders
from ams.orders.selectors import OrderFilter, OrderRow
from ams.procurement.profit import OrderProfit, line_profit, order_profit
from ams.procurement.selectors import CostKey, costs_for
from ams.teams.models import Team


def team_marketplaces(team: Team) -> list[tuple[str, str]]:
    """(marketplace id, label) of the team's connected marketplaces, for the filters."""
    return marketplaces.labelled(amazon.team_marketplace_ids(team))


def matching_skus(team: Team, text: str) -> list[str]:
    """The team's SKUs that contain ``text`` in any case, plus ``text`` itself.

    Resolved against the small tables that name the team's SKUs (the SKU summary, the listings,
    the stock) in one query, so the order lines are then read by ``sku IN (…)`` through their
    (team, SKU) index instead of a case-insensitive scan of every line. ``text`` itself is kept so
    a SKU found in none of them (delisted, out of stock and unsold for 90 days) is still found by
    its exact name.
    """
    found: set[str] = set(
        orders.skus_containing(team, text).union(
            catalog.skus_containing(team, text), inventory.skus_containing(team, text)
        )
    )
    return sorted(found | {text})


def sku_matches(team: Team, filters: OrderFilter) -> list[str]:
    """The SKUs the orders filter's SKU text stands for (``matching_skus``), for
    ``ams.orders.selectors.orders`` and ``order_lines``; none without a SKU filter."""
    return matching_skus(team, filters.sku) if filters.sku else []


# --- Profit per order -----------------------------------------------------------------------------


def order_profits(team: Team, rows: list[OrderRow]) -> dict[int, OrderProfit]:
    """Profit of each priced, not cancelled order on the page, with the cost valid on its local
    day; Amazon's posted fees, else its per-unit estimates when every line has one."""
    # An item cancelled on its own sold nothing: the order is priced by the lines it sold.
    sold = {id(r): [line for line in r.lines if not line.item_cancelled] for r in rows}
    priced = [
        r
        for r in rows
        if r.order.status != "cancelled"
        and sold[id(r)]
        and all(line.item_price is not None for line in sold[id(r)])
    ]
    if not priced:
        return {}
    costs = costs_for(
        team,
        [
            CostKey(line.sku, r.order.marketplace_id, r.local_day, line.currency)
            for r in priced
            for line in sold[id(r)]
        ],
    )
    posted = finance.posted_fees(team, [r.order.amazon_order_id for r in priced])
    estimates = catalog.estimated_fees(team, {line.sku for r in priced for line in sold[id(r)]})
    result: dict[int, OrderProfit] = {}
    for r in priced:
        lines = [
            line_profit(
                sku=line.sku,
                currency=line.currency,
                units=line.quantity,
                proceeds=(line.item_price or Decimal(0)) + (line.shipping_price or Decimal(0)),
                fees=Decimal(0),
                promotions=line.promotion_discount or Decimal(0),
                unit_cost=costs[
                    CostKey(line.sku, r.order.marketplace_id, r.local_day, line.currency)
                ],
            )
            for line in sold[id(r)]
        ]
        fees: Decimal | None = posted.get(r.order.amazon_order_id)
        estimated = False
        if fees is None:
            per_unit = [estimates.get((r.order.marketplace_id, line.sku)) for line in sold[id(r)]]
            if all(fee is not None for fee in per_unit):
                fees = sum(
                    (
                        fee * line.quantity
                        for fee, line in zip(per_unit, sold[id(r)], strict=True)
                        if fee is not None
                    ),
                    Decimal(0),
                )
                estimated = True
        result[r.order.id] = order_profit(
            lines, currency=r.order.currency, fees=fees, fees_estimated=estimated
        )
    return result
