"""Profit per order line: proceeds - fees - promotions - unit cost * units.

Pure functions over numbers, so the same arithmetic serves the order page, the per-SKU summary
and tests. A line whose SKU has no cost valid on the order's day (or a cost in another currency)
has no profit: ``profit`` is None and ``missing_cost`` is set. It is never computed as if the
goods cost nothing, and totals say how many lines they leave out instead of hiding them.

All amounts are in the line's currency; ``fees`` and ``promotions`` are positive amounts taken
off the proceeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
            sku,
            currency,
            units,
            proceeds,
            fees,
            promotions,
            cost=None,
            profit=None,
            missing_cost=True,
            missing_reason=reason or "no cost",
        )
    cost = (unit_cost.unit_cost * units).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return LineProfit(
        sku,
        currency,
        units,
        proceeds,
        fees,
        promotions,
        cost=cost,
        profit=proceeds - fees - promotions - cost,
        missing_cost=False,
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
        cur: ProfitTotal(
            cur, sums[cur], counts[cur], missing.get(cur, 0), tuple(sorted(missing_skus[cur]))
        )
        for cur in counts
    }


@dataclass(frozen=True)
class OrderProfit:
    """Profit of one order: its lines' profit less Amazon's fees on the order.

    None with a reason when a line has no cost or the fees are not known; ``fees_estimated``
    says the fees are Amazon's per-unit estimate because none are posted yet.
    """

    currency: str
    profit: Decimal | None
    fees: Decimal | None
    fees_estimated: bool
    skus_missing_cost: tuple[str, ...]
    missing_reason: str = ""


def order_profit(
    lines: Sequence[LineProfit],
    *,
    currency: str,
    fees: Decimal | None,
    fees_estimated: bool = False,
) -> OrderProfit:
    """``lines`` are computed with zero fees each: Amazon posts fees per order, not per line."""
    missing = tuple(sorted({line.sku for line in lines if line.missing_cost}))
    if missing:
        reason = f"no cost for {', '.join(missing)}"
        return OrderProfit(currency, None, fees, fees_estimated, missing, reason)
    if fees is None:
        return OrderProfit(currency, None, None, False, (), "Amazon's fees are not known yet")
    total = sum((line.profit for line in lines if line.profit is not None), Decimal(0))
    return OrderProfit(currency, total - fees, fees, fees_estimated, ())
