"""Writes of product costs. A cost for a SKU, marketplace and day that already exists is replaced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from ams.accounts.models import User
from ams.procurement.importing import CostRow, Rejection
from ams.procurement.models import ProductCost
from ams.procurement.window_costs import sku_window_costs_refresh
from ams.teams.models import Team

_KEY = ["team", "sku", "marketplace_id", "effective_from"]
_REPLACED = ["currency", "unit_cost", "note", "created_by", "created_at"]


@dataclass(frozen=True)
class ImportResult:
    imported: int
    rejected: list[Rejection]


def _record(team: Team, actor: User | None, row: CostRow) -> ProductCost:
    return ProductCost(
        team=team,
        sku=row.sku,
        marketplace_id=row.marketplace_id,
        currency=row.currency,
        unit_cost=row.unit_cost,
        effective_from=row.effective_from,
        note=row.note,
        created_by=actor,
    )


@transaction.atomic
def product_costs_save(*, team: Team, actor: User | None, rows: Sequence[CostRow]) -> int:
    """Insert the rows, or replace the records with the same SKU, marketplace and date, in one statement."""
    if not rows:
        return 0
    ProductCost.objects.bulk_create(
        [_record(team, actor, row) for row in rows],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=_KEY,
        update_fields=_REPLACED,
    )
    # The overview's cost of goods per SKU and window, priced again at the new costs.
    sku_window_costs_refresh(skus=sorted({row.sku for row in rows}))
    return len(rows)


def product_costs_import(
    *, team: Team, actor: User | None, rows: Sequence[CostRow], rejected: Sequence[Rejection]
) -> ImportResult:
    """Save the rows that passed the checks, all in one transaction; report the rejected ones."""
    imported = product_costs_save(team=team, actor=actor, rows=rows)
    return ImportResult(imported, list(rejected))


@transaction.atomic
def product_cost_delete(*, team: Team, cost_id: int) -> ProductCost:
    """Delete one dated record of the team; ProductCost.DoesNotExist for another team's id."""
    record = ProductCost.objects.select_for_update().get(team=team, id=cost_id)
    record.delete()
    sku_window_costs_refresh(skus=[record.sku])
    return record
