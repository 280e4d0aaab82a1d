"""The products export, defined once for the page and for the job that builds a large one
(registered in ``ProductsConfig.ready``; see ``ams.core.export_jobs``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ams.core.export_jobs import export_register
from ams.core.exports import Cell, ExportSource
from ams.products import selectors
from ams.products.models import Product
from ams.teams.models import Team

EXPORT_HEADER = (
    "code",
    "name",
    "skus",
    "components",
    "hs_code",
    "country_of_origin",
    "unit_length_cm",
    "unit_width_cm",
    "unit_height_cm",
    "unit_weight_g",
    "units_per_carton",
    "carton_length_cm",
    "carton_width_cm",
    "carton_height_cm",
    "carton_weight_kg",
    "note",
)


def _row(product: Product) -> Sequence[Cell]:
    skus = " ".join(
        f"{m.sku}@{m.marketplace_id}" if m.marketplace_id else m.sku for m in product.skus.all()
    )
    parts = " ".join(f"{c.quantity}x{c.component.code}" for c in product.components.all())
    row: tuple[Cell, ...] = (
        product.code,
        product.name,
        skus,
        parts,
        product.hs_code,
        product.country_of_origin,
        product.unit_length_cm,
        product.unit_width_cm,
        product.unit_height_cm,
        product.unit_weight_g,
        product.units_per_carton,
        product.carton_length_cm,
        product.carton_width_cm,
        product.carton_height_cm,
        product.carton_weight_kg,
        product.note,
    )
    return row


def products_export(team: Team, data: Mapping[str, Any]) -> ExportSource:
    """Every product matching the list's search, with its SKUs and bundle components."""
    q = str(data.get("q", "")).strip()[:64]
    records = selectors.products(team, q=q).prefetch_related("skus", "components__component")

    def rows() -> Iterator[Sequence[Cell]]:
        for product in records.iterator(chunk_size=500):
            yield _row(product)

    return ExportSource(
        kind="products",
        table="products",
        header=EXPORT_HEADER,
        rows=rows,
        counted=selectors.products(team, q=q).order_by(),
        params={"q": q} if q else {},
    )


def _for_job(team_id: int, params: Mapping[str, str]) -> ExportSource:
    return products_export(Team.objects.get(id=team_id), params)


def register() -> None:
    export_register("products", _for_job)
