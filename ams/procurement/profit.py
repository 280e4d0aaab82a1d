"""Profit per order line: proceeds - fees - promotions - unit cost * units.

Pure functions over numbers, so the same arithmetic serves the order page, the per-SKU summary
and tests. A line whose SKU has no cost valid on the order's day (or a cost in another currency)
has no profit: ``profit`` is None and ``missing_cost`` is set. It is never computed as if the
goods cost nothing, and totals say how many lines they leave out instead of hiding them.

All amounts are in the line's currency; ``fees`` and ``promotions`` are positive amounts taken
off the proceeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from ams.procurement.selectors import CostLookup

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineProfit:
    sku: str
    currency: str
    units: int
    proceeds: Decimal
    fees: Decimal
    promotions: Decimal
    cost: Decimal | None  # unit cost * units, to the cent
    profit: Decimal | None
    missing_cost: bool
    missing_reason: str = ""


def line_profit(
    *,
    sku: str,
    currency: str,
    units: int,
    proceeds: Decimal,
    fees: Decimal,
    promotions: Decimal,
    unit_cost: CostLookup,
) -> LineProfit:
    reason = unit_cost.missing_reason
    if not reason and unit_cost.currency != currency:
        reason = f"the cost is in {unit_cost.currency}, the sale in {currency}"
    if unit_cost.unit_cost is None or reason:
        return LineProfit(
            sku, currency, units, proceeds, fees, promotions,
            cost=None, profit=None, missing_cost=True, missing_reason=reason or "no cost",
        )
    cost = (unit_cost.unit_cost * units).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return LineProfit(
        sku, currency, units, proceeds, fees, promotions,
        cost=cost, profit=proceeds - fees - promotions - cost, missing_cost=False,
    )


@dataclass(frozen=True)
class ProfitTotal:
    currency: str
    # Over the lines with a cost only; None when no line has one.
    profit: Decimal | None
    lines: int
    lines_missing_cost: int
    skus_missing_cost: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.lines_missing_cost == 0


def profit_totals(lines: Iterable[LineProfit]) -> dict[str, ProfitTotal]:
    """Totals per currency (never added across currencies)."""
    sums: dict[str, Decimal | None] = {}
    counts: dict[str, int] = {}
    missing: dict[str, int] = {}
    missing_skus: dict[str, set[str]] = {}
    for line in lines:
        cur = line.currency
        counts[cur] = counts.get(cur, 0) + 1
        sums.setdefault(cur, None)
        missing_skus.setdefault(cur, set())
        if line.profit is None:
            missing[cur] = missing.get(cur, 0) + 1
            missing_skus[cur].add(line.sku)
        else:
            sums[cur] = (sums[cur] or Decimal(0)) + line.profit
    return {
        cur: ProfitTotal(cur, sums[cur], counts[cur], missing.get(cur, 0), tuple(sorted(missing_skus[cur])))
        for cur in counts
    }
