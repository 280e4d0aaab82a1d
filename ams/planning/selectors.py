"""Reads for planning: the demand history the forecast stands on.

Units sold are what buyers could buy, not what they wanted: on a day a SKU had no stock, zero
sales say nothing about demand. The history therefore marks the days a SKU ended out of stock
(ams.inventory's daily stock history) as unknown (``None``), and the forecast leaves them out
rather than reading them as zero (docs/architecture.md, "Planning: forecast").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ams.inventory.selectors import stock_coverage
from ams.orders.selectors import sku_units_by_day
from ams.teams.models import Team

SeriesKey = tuple[int, str, str]


@dataclass(frozen=True)
class DemandHistory:
    """One SKU's daily demand in one marketplace of one seller connection, from ``first_day``
    to the last day asked for: units sold per day, ``None`` where the SKU was out of stock."""

    connection_id: int
    marketplace_id: str
    sku: str
    first_day: date
    units: tuple[int | None, ...]

    @property
    def key(self) -> str:
        return f"{self.connection_id}:{self.marketplace_id}:{self.sku}"

    def values(self) -> list[float]:
        """The units as the forecast takes them: ``nan`` for an unknown day."""
        return [float("nan") if u is None else float(u) for u in self.units]


def demand_history(team: Team, *, first: date, last: date) -> list[DemandHistory]:
    """The team's daily demand per SKU and marketplace from ``first`` to ``last``, for every SKU
    that sold in that time. A series starts on the first day the SKU sold or was in the stock
    history, whichever came first (before it the SKU may not have been listed); a day with no
    sale is zero demand, unless the SKU ended it out of stock.

    Sales are counted on the marketplace's local day, the stock on the UTC day of its last sync:
    the two can be hours apart, which the forecast's days of demand do not notice."""
    if last < first:
        return []
    sold: dict[SeriesKey, dict[date, int]] = {}
    for row in sku_units_by_day(team, first, last):
        sold.setdefault((row.connection_id, row.marketplace_id, row.sku), {})[row.day] = row.units
    coverage = stock_coverage(team, first, last)
    history = []
    for key in sorted(sold):
        days = sold[key]
        stock = coverage.get(key)
        start = min(days)
        if stock is not None:
            start = min(start, stock.first_day)
        out = stock.out_of_stock if stock is not None else frozenset()
        units: list[int | None] = []
        day = start
        while day <= last:
            units.append(None if day in out else days.get(day, 0))
            day += timedelta(days=1)
        history.append(DemandHistory(key[0], key[1], key[2], start, tuple(units)))
    return history
