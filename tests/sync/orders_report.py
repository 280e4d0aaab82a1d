"""An all-orders report written block by block through the backfill's path, for the tests of
what happens between blocks: the SQL conversion, the upserts and the day rollup."""

from __future__ import annotations

from datetime import UTC, datetime

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.orders import writers
from ams.sync.context import SyncContext
from ams.sync.models import Family, SyncRun
from ams.sync.parsers import orders as parser
from ams.sync.parsers.flatfile import BlockReader
from devtools.bench import sync as bench


def ingest_orders_report(
    connection: SellerConnection, lines: list[str], *, marketplaces: set[str]
) -> None:
    """``lines`` (cells in the order of the bench's header) as a report, an order a block: the
    reader gets a line at a time and cuts a block at each new order, and blocks are written
    two at a time (``context.INGEST_WORKERS``)."""
    with team_scope(connection.team_id):
        run = SyncRun.objects.create(
            team_id=connection.team_id,
            connection=connection,
            family=Family.ORDERS,
            mode="test",
            started_at=datetime.now(UTC),
        )
    ctx = SyncContext(
        team_id=connection.team_id,
        connection_id=connection.id,
        selling_partner_id=connection.selling_partner_id,
        family=Family.ORDERS,
        client=None,  # type: ignore[arg-type]  # ingest never calls Amazon
        marketplaces=[],
        run_id=run.id,
    )
    ctx.batch_rows = 1
    ctx.ingest_blocks(
        BlockReader(
            [f"{line}\n".encode() for line in (bench.HEADER, *lines)],
            keep_together="amazon-order-id",
        ),
        conversion=parser.report_sql(marketplaces),
        required=parser.REQUIRED,
        convert=parser.report_converter(marketplaces),
        writer=writers.order_lines(connection.id, from_report=True),
        source="test",
    )
