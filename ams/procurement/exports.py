"""The costs export, defined once for the page and for the job that builds a large one
(registered in ``ProcurementConfig.ready``; see ``ams.core.export_jobs``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ams.core.export_jobs import export_register
from ams.core.exports import Cell, ExportSource
from ams.core.marketplaces import label as marketplace_label
from ams.procurement import selectors
from ams.procurement.forms import CostFilterForm
from ams.procurement.models import ProductCost
from ams.teams.models import Team

EXPORT_HEADER = (
    "sku",
    "marketplace",
    "currency",
    "unit_cost",
    "effective_from",
    "note",
    "created_by",
    "created_at",
)


def cost_form(data: Mapping[str, Any] | None) -> CostFilterForm:
    form = CostFilterForm(data, auto_id="filter_%s")
    form.is_valid()
    return form


def cost_filters(data: Mapping[str, Any] | None) -> dict[str, str]:
    """The list's filters (SKU text, marketplace) and its sort; an invalid value filters nothing
    (the page says why, ``cost_form(data).errors``), the others still apply."""
    cleaned = cost_form(data).cleaned_data
    return {
        "q": cleaned.get("q", "").strip(),
        "marketplace": cleaned.get("marketplace", ""),
        "sort": cleaned.get("sort", ""),
    }


def _trimmed(amount: Decimal) -> Decimal:
    """4.5000 → 4.50, 0.1234 → 0.1234: the decimals the cost has, at least two."""
    normal = amount.normalize()
    return normal if normal.as_tuple().exponent < -2 else amount.quantize(Decimal("0.01"))  # type: ignore[operator]


def _export_row(record: ProductCost) -> Sequence[Cell]:
    return (
        record.sku,
        marketplace_label(record.marketplace_id) if record.marketplace_id else "",
        record.currency,
        _trimmed(record.unit_cost),
        record.effective_from,
        record.note,
        record.created_by.email if record.created_by else "",
        record.created_at,
    )


def costs_export(team: Team, data: Mapping[str, Any]) -> ExportSource:
    """Every dated cost record that matches the list's filters."""
    filters = cost_filters(data)
    records = selectors.cost_records(
        team, sku_contains=filters["q"], marketplace_id=filters["marketplace"], sort=filters["sort"]
    )

    def rows() -> Iterator[Sequence[Cell]]:
        for record in records.iterator(chunk_size=2000):
            yield _export_row(record)

    return ExportSource(
        kind="costs",
        table="costs",
        header=EXPORT_HEADER,
        rows=rows,
        counted=records.order_by(),
        params={k: v for k, v in filters.items() if v},
    )


def _costs_for_job(team_id: int, params: Mapping[str, str]) -> ExportSource:
    return costs_export(Team.objects.get(id=team_id), params)


def register() -> None:
    export_register("costs", _costs_for_job)
