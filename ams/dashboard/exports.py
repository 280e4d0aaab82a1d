"""The data pages' exports, each defined once: its filters, its header and its row mapping.

A page calls its builder with the query string; a worker calls the same builder with the
filters saved when the export was queued (``ams.core.export_jobs``, registered in
``DashboardConfig.ready``), so the file is the same whichever path builds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from itertools import islice
from typing import Any

from django.utils import timezone

from ams.catalog import selectors as listing_selectors
from ams.core import marketplaces
from ams.core.export_jobs import export_register
from ams.core.exports import Cell, ExportNotFound, ExportSource
from ams.core.marketplaces import zone
from ams.dashboard import selectors
from ams.dashboard.forms import (
    InventoryFilterForm,
    ListingFilterForm,
    OrderFilterForm,
    SettlementFilterForm,
    filter_values,
)
from ams.dashboard.history import PlanHistory, within_plan
from ams.dashboard.money_forms import (
    FeeFilterForm,
    TransactionFilterForm,
    fee_period,
    with_default_window,
)
from ams.finance import selectors as money
from ams.inventory import selectors as stock_selectors
from ams.orders import selectors as order_selectors
from ams.procurement.selectors import CostKey, costs_for
from ams.teams.models import Team

Data = Mapping[str, Any]
BATCH = 2000


def _params(values: Mapping[str, Any]) -> dict[str, str]:
    """Validated filter values as the text their form reads back (a ticked box as "on")."""
    return {k: ("on" if v is True else str(v)) for k, v in values.items()}


def _query_dict(data: Data) -> Any:
    from django.http import QueryDict

    if isinstance(data, QueryDict):
        return data
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query[key] = value
    return query


def _one_decimal(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.1"))


def utc(value: Any) -> Any:
    return value.astimezone(UTC) if value is not None else None


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def month_text(d: date) -> str:
    return d.strftime("%Y-%m")


def local_day(posted: Any, marketplace_id: str) -> date:
    return posted.astimezone(zone(marketplace_id)).date()  # type: ignore[no-any-return]


# --- Orders -------------------------------------------------------------------------------------

# The last columns of the orders export, left out for a member the team keeps costs from.
COST_COLUMNS = ("unit_cost", "cost", "missing_cost")
ORDER_HEADER = (
    "order_id",
    "purchased_at_utc",
    "local_day",
    "marketplace",
    "status",
    "channel",
    "sku",
    "asin",
    "quantity",
    "currency",
    "item_price",
    "shipping_price",
    "tax",
    "promotion_discount",
    *COST_COLUMNS,
)
_ORDER_COLUMNS = (
    "amazon_order_id",
    "purchased_at",
    "marketplace_id",
    "status",
    "fulfillment_channel",
    "sku",
    "asin",
    "quantity",
    "currency",
    "item_price",
    "shipping_price",
    "tax",
    "promotion_discount",
)


def orders_export_without_costs(team: Team, data: Data) -> ExportSource:
    """The orders export for a member the team keeps costs from: no cost columns."""
    return orders_export(team, {**dict(data.items()), "costs": "0"})


def orders_export(team: Team, data: Data) -> ExportSource:
    """One row per order line, with the cost valid on the line's local day (``costs=0``: without
    the cost columns, which the job building it later keeps in its parameters)."""
    with_costs = str(data.get("costs", "")) != "0"
    asked = OrderFilterForm(data, marketplaces=selectors.team_marketplaces(team)).filters()
    # The job saves what was asked; the plan's window is applied again whenever it is built.
    filters, _window = within_plan(team, asked, "date_from", today=timezone.now().date())
    sku_matches = selectors.sku_matches(team, filters)
    lines = order_selectors.order_lines(team, filters, sku_matches=sku_matches)

    def rows() -> Iterator[Sequence[Cell]]:
        # Tuples, not model instances: the largest export, and twice as fast this way.
        zones = {m: zone(m) for m, _label in selectors.team_marketplaces(team)}
        found = lines.values_list(*_ORDER_COLUMNS).iterator(chunk_size=BATCH)
        # The cost valid on each line's local day, looked up one batch of lines at a time.
        while batch := list(islice(found, BATCH)):
            keyed = []
            for (
                order_id,
                purchased,
                marketplace_id,
                status,
                channel,
                sku,
                asin,
                quantity,
                currency,
                *amounts,
            ) in batch:
                day = purchased.astimezone(zones.get(marketplace_id) or zone(marketplace_id)).date()
                key = CostKey(sku, marketplace_id, day, currency)
                keyed.append(
                    (
                        key,
                        (
                            order_id,
                            purchased.astimezone(UTC),
                            day,
                            marketplaces.label(marketplace_id),
                            status,
                            channel,
                            sku,
                            asin,
                            quantity,
                            currency,
                            *amounts,
                        ),
                    )
                )
            if not with_costs:
                for _key, row in keyed:
                    yield row
                continue
            costs = costs_for(team, [key for key, _row in keyed])
            for key, row in keyed:
                cost = costs[key]
                quantity = row[8]
                assert isinstance(quantity, int)
                if cost.unit_cost is None:
                    yield (*row, None, None, cost.missing_reason)
                else:
                    yield (
                        *row,
                        cost.unit_cost,
                        (cost.unit_cost * quantity).quantize(Decimal("0.01")),
                        "",
                    )

    params = _params(filter_values(asked))
    return ExportSource(
        kind="orders",
        table="orders",
        header=ORDER_HEADER if with_costs else ORDER_HEADER[: -len(COST_COLUMNS)],
        rows=rows,
        counted=lines.order_by(),
        params=params if with_costs else {**params, "costs": "0"},
    )


# --- Inventory ----------------------------------------------------------------------------------

STOCK_HEADER = (
    "sku",
    "marketplace",
    "channel",
    "fnsku",
    "asin",
    "fulfillable",
    "inbound_working",
    "inbound_shipped",
    "inbound_receiving",
    "reserved",
    "unfulfillable",
    "researching",
    "total",
    "units_30d",
    "days_of_cover",
)


def inventory_export(team: Team, data: Data) -> ExportSource:
    filters = InventoryFilterForm(data, marketplaces=selectors.team_marketplaces(team)).filters()
    found = stock_selectors.stock(team, filters)

    def rows() -> Iterator[Sequence[Cell]]:
        for s in found.iterator(chunk_size=BATCH):
            yield (
                s.sku,
                marketplaces.label(s.marketplace_id),
                s.fulfillment_channel,
                s.fnsku,
                s.asin,
                s.fulfillable,
                s.inbound_working,
                s.inbound_shipped,
                s.inbound_receiving,
                s.reserved,
                s.unfulfillable,
                s.researching,
                s.total,
                s.units_30d,  # type: ignore[attr-defined]
                _one_decimal(s.days_of_cover),  # type: ignore[attr-defined]
            )

    return ExportSource(
        kind="inventory",
        table="inventory",
        header=STOCK_HEADER,
        rows=rows,
        counted=(stock_selectors.stock_levels(team, filters) or found).order_by(),
        params=_params(filter_values(filters)),
    )


# --- Listings -----------------------------------------------------------------------------------

LISTING_HEADER = (
    "sku",
    "asin",
    "title",
    "marketplace",
    "status",
    "issues",
    "issue_summary",
    "channel",
    "currency",
    "price",
    "quantity",
    "buy_box_price",
    "buy_box_is_mine",
    "estimated_fees",
)


def listings_export(team: Team, data: Data) -> ExportSource:
    filters = ListingFilterForm(data, marketplaces=selectors.team_marketplaces(team)).filters()
    found = listing_selectors.listings(team, filters)

    def rows() -> Iterator[Sequence[Cell]]:
        for li in found.iterator(chunk_size=BATCH):
            yield (
                li.sku,
                li.asin,
                li.title,
                marketplaces.label(li.marketplace_id),
                li.status,
                li.issues,
                li.issue_summary,
                li.fulfillment_channel,
                li.currency,
                li.price,
                li.quantity,
                li.buy_box_price,
                yes_no(li.buy_box_is_mine),
                li.estimated_fees,
            )

    return ExportSource(
        kind="listings",
        table="listings",
        header=LISTING_HEADER,
        rows=rows,
        counted=found.order_by(),
        params=_params(filter_values(filters)),
    )


# --- Settlements --------------------------------------------------------------------------------

SETTLEMENT_HEADER = (
    "settlement_id",
    "starts_at_utc",
    "ends_at_utc",
    "deposit_at_utc",
    "currency",
    "total_amount",
    "lines",
    "lines_total",
    "lines_reconciled",
    "transactions_total",
    "transactions_reconciled",
    "reserve_amount",
)
LINE_HEADER = (
    "settlement_id",
    "line",
    "transaction_type",
    "order_id",
    "amount_type",
    "amount_description",
    "amount",
    "currency",
    "posted_at_utc",
    "sku",
    "quantity",
    "marketplace_name",
)


def settlements_export(team: Team, data: Data) -> ExportSource:
    asked = SettlementFilterForm(data, marketplaces=selectors.team_marketplaces(team)).filters()
    # The job saves what was asked; the plan's window is applied again whenever it is built.
    filters, _window = within_plan(team, asked, "deposit_from", today=timezone.now().date())
    found = money.settlements(team, filters)

    def rows() -> Iterator[Sequence[Cell]]:
        for s in found.iterator(chunk_size=BATCH):
            yield (
                s.settlement_id,
                utc(s.starts_at),
                utc(s.ends_at),
                utc(s.deposit_at),
                s.currency,
                s.total_amount,
                s.line_count,
                s.lines_total,
                yes_no(s.lines_reconciled),
                s.transactions_total,
                yes_no(s.transactions_reconciled),
                s.reserve_amount,
            )

    return ExportSource(
        kind="settlements",
        table="settlements",
        header=SETTLEMENT_HEADER,
        rows=rows,
        counted=found.order_by(),
        params=_params(filter_values(asked)),
    )


def settlement_lines_export(team: Team, data: Data) -> ExportSource:
    """One settlement's lines; ExportNotFound for a missing id or another team's."""
    try:
        settlement_pk = int(str(data.get("settlement", "")))
    except ValueError:
        raise ExportNotFound("Which settlement?") from None
    settlement = money.access_settlement(team, settlement_pk)
    if settlement is None:
        raise ExportNotFound("No such settlement")
    sort = str(data.get("sort", ""))
    sort = sort if money.SETTLEMENT_LINE_SORTING.knows(sort) else ""
    found = money.settlement_lines(team, settlement, sort=sort)

    def rows() -> Iterator[Sequence[Cell]]:
        for line in found.iterator(chunk_size=BATCH):
            yield (
                line.settlement_id,
                line.line_number,
                line.transaction_type,
                line.order_id,
                line.amount_type,
                line.amount_description,
                line.amount,
                line.currency,
                utc(line.posted_at),
                line.sku,
                line.quantity,
                line.marketplace_name,
            )

    return ExportSource(
        kind="settlement_lines",
        table=f"settlement-{settlement.settlement_id}",
        header=LINE_HEADER,
        rows=rows,
        counted=found.order_by(),
        params={"settlement": str(settlement.pk), **({"sort": sort} if sort else {})},
    )


# --- Transactions ---------------------------------------------------------------------------------

TRANSACTION_HEADER = (
    "transaction_id",
    "posted_at_utc",
    "local_day",
    "type",
    "status",
    "marketplace",
    "currency",
    "total_amount",
    "order_id",
    "settlement_id",
    "charge_position",
    "charge_category",
    "charge_kind",
    "charge_type",
    "charge_sku",
    "charge_amount",
)


def _transaction_rows(team: Team, page: list[Any]) -> Iterator[Sequence[Cell]]:
    charges = money.charges_by_transaction(team, page)
    for t in page:
        head = (
            t.transaction_id,
            utc(t.posted_at),
            local_day(t.posted_at, t.marketplace_id),
            t.transaction_type,
            t.status,
            marketplaces.label(t.marketplace_id) if t.marketplace_id else "",
            t.currency,
            t.total_amount,
            t.order_id,
            t.settlement_id,
        )
        found = charges.get((t.connection_id, t.transaction_id), [])
        if not found:
            yield (*head, None, "", "", "", "", None)
        for c in found:
            yield (*head, c.position, c.category, c.kind, c.description, c.sku, c.amount)


def transactions_export(team: Team, data: Data) -> ExportSource:
    """One row per charge (a transaction without charges: one row); the last 30 days by default.

    The size counted is the transactions', a lower bound of the rows."""
    data = with_default_window(_query_dict(data), today=timezone.now().date())
    asked = TransactionFilterForm(data, marketplaces=selectors.team_marketplaces(team)).filters()
    # The job saves what was asked; the plan's window is applied again whenever it is built.
    filters, _window = within_plan(team, asked, "date_from", today=timezone.now().date())
    found = money.transactions(team, filters)

    def rows() -> Iterator[Sequence[Cell]]:
        page: list[Any] = []
        for t in found.iterator(chunk_size=BATCH):
            page.append(t)
            if len(page) == BATCH:
                yield from _transaction_rows(team, page)
                page = []
        yield from _transaction_rows(team, page)

    return ExportSource(
        kind="transactions",
        table="transactions",
        header=TRANSACTION_HEADER,
        rows=rows,
        counted=found.order_by(),
        params=_params(filter_values(asked)),
    )


# --- Fee breakdown --------------------------------------------------------------------------------

FEE_HEADER = (
    "month",
    "marketplace",
    "currency",
    "category",
    "kind",
    "fee_type",
    "sku",
    "charges",
    "amount",
)


@dataclass(frozen=True)
class FeeQuery:
    """The fee filters (whole months, the first inside the plan's history), their months, the
    query that keeps them (months as YYYY-MM), and the plan's window."""

    filters: Any
    first: date
    last: date
    kept: dict[str, str]
    plan_history: PlanHistory


def fee_query(team: Team, data: Data) -> FeeQuery:
    today = timezone.now().date()
    filters, plan_history = within_plan(
        team,
        FeeFilterForm(data, marketplaces=selectors.team_marketplaces(team)).filters(),
        "month_from",
        today=today,
        month=True,
    )
    first, last = fee_period(filters, today=today)
    kept = {"month_from": month_text(first), "month_to": month_text(last)}
    kept.update(
        {
            k: str(v)
            for k, v in filter_values(filters).items()
            if k in ("marketplace", "currency", "sort")
        }
    )
    return FeeQuery(filters, first, last, kept, plan_history)


def fees_export(team: Team, data: Data) -> ExportSource:
    query = fee_query(team, data)
    filters, first, last, kept = query.filters, query.first, query.last, query.kept
    found = money.fee_rows(team, filters, first_month=first, last_month=last)

    def rows() -> Iterator[Sequence[Cell]]:
        for r in found.iterator(chunk_size=BATCH):
            yield (
                month_text(r.month),
                marketplaces.label(r.marketplace_id) if r.marketplace_id else "",
                r.currency,
                r.category,
                r.kind,
                r.description,
                r.sku,
                r.charges,
                r.amount,
            )

    return ExportSource(
        kind="fees", table="fees", header=FEE_HEADER, rows=rows, counted=found, params=kept
    )


BUILDERS: dict[str, Callable[[Team, Data], ExportSource]] = {
    "orders": orders_export,
    "inventory": inventory_export,
    "listings": listings_export,
    "settlements": settlements_export,
    "settlement_lines": settlement_lines_export,
    "transactions": transactions_export,
    "fees": fees_export,
}


def _for_job(build: Callable[[Team, Data], ExportSource]) -> Callable[[int, Data], ExportSource]:
    def run(team_id: int, params: Data) -> ExportSource:
        return build(Team.objects.get(id=team_id), params)

    return run


def register() -> None:
    for kind, build in BUILDERS.items():
        export_register(kind, _for_job(build))
