"""The suppliers and purchase orders exports, defined once for the page and for the job that
builds a large one (registered in ``PurchasingConfig.ready``; see ``ams.core.export_jobs``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ams.core.export_jobs import export_register
from ams.core.exports import Cell, ExportSource
from ams.purchasing import selectors
from ams.purchasing.models import POStatus, PurchaseOrderLine, Supplier, SupplierPrice
from ams.purchasing.price_import import COLUMNS as PRICE_HEADER
from ams.teams.models import Team

SUPPLIER_HEADER = (
    "name",
    "currency",
    "email",
    "phone",
    "incoterm",
    "deposit_percent",
    "balance_due",
    "balance_days",
    "stated_lead_time_days",
    "products",
    "note",
)

ORDER_HEADER = (
    "number",
    "status",
    "supplier",
    "currency",
    "created_at",
    "sent_at",
    "expected_arrival_date",
    "product_code",
    "product",
    "quantity",
    "unit_price",
    "line_total",
    "received_quantity",
)


def _supplier_row(supplier: Supplier) -> Sequence[Cell]:
    row: tuple[Cell, ...] = (
        supplier.name,
        supplier.currency,
        supplier.email,
        supplier.phone,
        supplier.incoterm,
        supplier.deposit_percent,
        supplier.get_balance_due_display(),
        supplier.balance_days,
        supplier.stated_lead_time_days,
        getattr(supplier, "product_count", None),
        supplier.note,
    )
    return row


def suppliers_export(team: Team, data: Mapping[str, Any]) -> ExportSource:
    q = str(data.get("q", "")).strip()[:200]
    records = selectors.suppliers(team, q=q)

    def rows() -> Iterator[Sequence[Cell]]:
        for supplier in records.iterator(chunk_size=500):
            yield _supplier_row(supplier)

    return ExportSource(
        kind="suppliers",
        table="suppliers",
        header=SUPPLIER_HEADER,
        rows=rows,
        counted=selectors.suppliers(team, q=q).order_by(),
        params={"q": q} if q else {},
    )


def _price_row(price: SupplierPrice) -> Sequence[Cell]:
    offer = price.offer
    row: tuple[Cell, ...] = (
        offer.supplier.name,
        offer.product.code,
        offer.supplier_code,
        offer.minimum_order_quantity,
        offer.case_pack,
        price.min_quantity,
        price.unit_price,
        price.currency,
        price.valid_from,
        price.valid_until,
    )
    return row


def supplier_prices_export(team: Team, data: Mapping[str, Any]) -> ExportSource:
    """Every price of every supplier, in the columns the price import reads."""
    records = selectors.supplier_prices(team)

    def rows() -> Iterator[Sequence[Cell]]:
        for price in records.iterator(chunk_size=500):
            yield _price_row(price)

    return ExportSource(
        kind="supplier_prices",
        table="supplier-prices",
        header=PRICE_HEADER,
        rows=rows,
        counted=selectors.supplier_prices(team).order_by(),
        params={},
    )


def _order_row(line: PurchaseOrderLine) -> Sequence[Cell]:
    order = line.order
    row: tuple[Cell, ...] = (
        order.number,
        order.get_status_display(),
        order.supplier.name,
        order.currency,
        order.created_at,
        order.sent_at,
        order.expected_arrival_date,
        line.product.code,
        line.product.name,
        line.quantity,
        line.unit_price,
        line.quantity * line.unit_price,
        line.received_quantity,
    )
    return row


def orders_export(team: Team, data: Mapping[str, Any]) -> ExportSource:
    """One row per purchase order line, the order's facts repeated on each."""
    status = str(data.get("status", ""))
    status = status if status in POStatus.values else ""
    q = str(data.get("q", "")).strip()[:64]
    orders = selectors.purchase_orders(team, status=status, q=q)
    lines = (
        PurchaseOrderLine.objects.filter(team=team, order__in=orders.values("pk"))
        .select_related("order__supplier", "product")
        .order_by("-order__created_at", "order_id", "id")
    )

    def rows() -> Iterator[Sequence[Cell]]:
        for line in lines.iterator(chunk_size=2000):
            yield _order_row(line)

    params = {k: v for k, v in {"status": status, "q": q}.items() if v}
    return ExportSource(
        kind="purchase_orders",
        table="purchase-orders",
        header=ORDER_HEADER,
        rows=rows,
        counted=lines.order_by(),
        params=params,
    )


def _suppliers_for_job(team_id: int, params: Mapping[str, str]) -> ExportSource:
    return suppliers_export(Team.objects.get(id=team_id), params)


def _orders_for_job(team_id: int, params: Mapping[str, str]) -> ExportSource:
    return orders_export(Team.objects.get(id=team_id), params)


def _prices_for_job(team_id: int, params: Mapping[str, str]) -> ExportSource:
    return supplier_prices_export(Team.objects.get(id=team_id), params)


def register() -> None:
    export_register("suppliers", _suppliers_for_job)
    export_register("supplier_prices", _prices_for_job)
    export_register("purchase_orders", _orders_for_job)
