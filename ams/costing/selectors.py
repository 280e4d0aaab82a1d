"""Reads of cost batches and of what each order item took from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from ams.costing.models import Consumption, CostBatch, Source
from ams.teams.models import Team


def has_batches(team: Team) -> bool:
    """Whether any of the team's sales took from a batch: the pages price by batches then."""
    return Consumption.objects.filter(team=team, source=Source.BATCH).exists()


def batches(team: Team) -> QuerySet[CostBatch]:
    return (
        CostBatch.objects.filter(team=team)
        .select_related("product", "receipt_line__receipt__order")
        .order_by("-received_on", "-pk")
    )


def batch_units_sold(team: Team) -> dict[int, int]:
    """{batch id: units its sales took, less the returns given back to it}, in one grouped read."""
    rows = (
        Consumption.objects.filter(team=team, batch__isnull=False)
        .values("batch_id")
        .annotate(units=Sum("units"))
        .order_by()
    )
    return {row["batch_id"]: int(row["units"] or 0) for row in rows}


@dataclass(frozen=True)
class ItemCost:
    """One order item's cost of goods from batches (net of returns), and the units no batch held
    (priced by the dated cost, if the seller has one: ``ams.procurement``'s cost rule)."""

    amazon_order_id: str
    sku: str
    marketplace_id: str
    order_day: date
    batch_units: int
    batch_cost: Decimal
    uncovered_units: int
    currency: str

    @property
    def source(self) -> str:
        if not self.uncovered_units:
            return "batch"
        return "batch and dated cost" if self.batch_units else "dated cost"


def order_item_costs(
    team: Team, *, first: date | None = None, last: date | None = None
) -> list[ItemCost]:
    rows = Consumption.objects.filter(team=team)
    if first is not None:
        rows = rows.filter(order_day__gte=first)
    if last is not None:
        rows = rows.filter(order_day__lte=last)
    grouped = (
        rows.values("amazon_order_id", "sku", "marketplace_id", "order_day", "cost_currency")
        .annotate(
            batch_units=Sum("units", filter=Q(source=Source.BATCH, is_return=False)),
            batch_cost=Sum("cost", filter=Q(source=Source.BATCH)),
            uncovered=Sum("units", filter=Q(source=Source.UNCOVERED)),
        )
        .order_by("order_day", "amazon_order_id", "sku")
    )
    return [
        ItemCost(
            r["amazon_order_id"],
            r["sku"],
            r["marketplace_id"],
            r["order_day"],
            r["batch_units"] or 0,
            r["batch_cost"] or Decimal(0),
            r["uncovered"] or 0,
            r["cost_currency"],
        )
        for r in grouped
    ]
