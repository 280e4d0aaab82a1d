"""The cost batches export, defined once for the page and for the job that builds a large one
(registered in ``CostingConfig.ready``; see ``ams.core.export_jobs``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ams.core.export_jobs import export_register
from ams.core.exports import Cell, ExportSource
from ams.costing import selectors
from ams.costing.models import CostBatch
from ams.teams.models import Team

HEADER = (
    "received_on",
    "product_code",
    "product",
    "stock",
    "purchase_order",
    "units",
    "units_sold",
    "units_left",
    "unit_price",
    "price_currency",
    "rate",
    "goods_value",
    "landed_value",
    "unit_cost",
    "currency",
)


def _row(batch: CostBatch, sold: int) -> Sequence[Cell]:
    row: tuple[Cell, ...] = (
        batch.received_on,
        batch.product.code,
        batch.product.name,
        batch.stock_pool,
        batch.receipt_line.receipt.order.number,
        batch.quantity,
        sold,
        batch.quantity - sold,
        batch.unit_price,
        batch.price_currency,
        batch.rate,
        batch.goods_value,
        batch.landed_value,
        batch.unit_cost,
        batch.currency,
    )
    return row


def batches_export(team: Team, data: Mapping[str, Any]) -> ExportSource:
    """Every cost batch with the units its sales took, net of the returns given back."""
    records = selectors.batches(team)

    def rows() -> Iterator[Sequence[Cell]]:
        sold = selectors.batch_units_sold(team)
        for batch in records.iterator(chunk_size=500):
            yield _row(batch, sold.get(batch.pk, 0))

    return ExportSource(
        kind="cost_batches",
        table="cost-batches",
        header=HEADER,
        rows=rows,
        counted=selectors.batches(team).order_by(),
        params={},
    )


def _for_job(team_id: int, params: Mapping[str, str]) -> ExportSource:
    return batches_export(Team.objects.get(id=team_id), params)


def register() -> None:
    export_register("cost_batches", _for_job)
