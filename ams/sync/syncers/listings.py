"""Listings and catalogue: every listing with its status, price, quantity and channel
(searchListingsItems), the catalogue items they sell (searchCatalogItems, 20 ASINs a call),
the buy box of active listings (getCompetitivePricing) and a fee estimate per SKU
(getMyFeesEstimates), each call batched as far as its usage plan allows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection
from psycopg import sql

from ams.catalog.models import Listing
from ams.core.tenancy import team_scope
from ams.sync.context import SyncContext
from ams.sync.parsers import listings as parser
from ams.sync.parsers.flatfile import Parsed, Rejected, RowError
from spapi.client import fees_estimate_request

BATCH = 20

_PRICING_UPDATE = """
UPDATE catalog_listing AS t SET buy_box_price = s.buy_box_price, buy_box_is_mine = s.buy_box_is_mine, synced_at = now()
FROM {stage} AS s
WHERE t.team_id = %(team)s AND t.connection_id = %(connection)s AND t.marketplace_id = s.marketplace_id
  AND t.asin = s.asin AND t.status = 'active'
  AND (t.buy_box_price, t.buy_box_is_mine) IS DISTINCT FROM (s.buy_box_price, s.buy_box_is_mine)
"""
_FEES_UPDATE = """
UPDATE catalog_listing AS t SET estimated_fees = s.estimated_fees, synced_at = now()
FROM {stage} AS s
WHERE t.team_id = %(team)s AND t.connection_id = %(connection)s AND t.marketplace_id = s.marketplace_id
  AND t.sku = s.sku AND t.estimated_fees IS DISTINCT FROM s.estimated_fees
"""


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), BATCH):
        yield list(values[start : start + BATCH])


def run(ctx: SyncContext) -> str:
    total = len(ctx.marketplaces) * 4
    done = 0
    for marketplace in ctx.marketplaces:
        mp = marketplace.marketplace_id
        ctx.checkpoint()
        listings(ctx, mp)
        with team_scope(ctx.team_id):
            rows = list(
                Listing.objects.filter(team_id=ctx.team_id, connection_id=ctx.connection_id, marketplace_id=mp)
                .values_list("sku", "asin", "status", "price", "currency", "fulfillment_channel")
                .order_by("sku")
            )
        for step in (products, pricing, fees):
            done += 1
            ctx.progress(done, total)
            ctx.checkpoint()
            step(ctx, mp, rows)
        done += 1
    return "full"


def listings(ctx: SyncContext, mp: str) -> None:
    seen: set[str] = set()
    refused: list[str] = []

    def items() -> Iterator[Parsed[Any] | Rejected]:
        pages = ctx.client.iter_pages(
            ctx.client.search_listings_items,
            marketplace_ids=[mp],
            included_data=["summaries", "offers", "issues", "fulfillmentAvailability"],
        )
        for page in pages:
            for item in page.get("items") or []:
                try:
                    row = parser.listing_row(mp, item)
                except RowError as exc:
                    refused.append(str(exc))
                    yield Rejected(0, str(exc), str(item.get("sku") or "")[:64])
                    continue
                seen.add(str(row[1]))
                yield Parsed(0, row)

    ctx.ingest(items(), columns=parser.LISTING_COLUMNS, targets=[parser.LISTINGS], source="searchListingsItems")
    # Only after a complete, clean read: a refused row's SKU must not look removed.
    if not refused:
        ctx.forget_unseen("catalog_listing", marketplace_id=mp, seen=seen)


def products(ctx: SyncContext, mp: str, rows: list[Any]) -> None:
    asins = sorted({r[1] for r in rows if r[1]})

    def items() -> Iterator[Parsed[Any] | Rejected]:
        for chunk in _chunks(asins):
            page = ctx.client.search_catalog_items(
                marketplace_ids=[mp],
                identifiers=chunk,
                identifiers_type="ASIN",
                included_data=["summaries", "dimensions", "images", "classifications"],
                page_size=BATCH,
            )
            for item in page.get("items") or []:
                try:
                    yield Parsed(0, parser.product_row(mp, item))
                except RowError as exc:
                    yield Rejected(0, str(exc), str(item.get("asin") or "")[:16])

    ctx.ingest(items(), columns=parser.PRODUCT_COLUMNS, targets=[parser.PRODUCTS], source="searchCatalogItems")


def _update_from(template: str, ctx: SyncContext) -> Any:
    def after_merge(staged: str, added_only: bool) -> None:
        with connection.cursor() as cursor:
            statement = sql.SQL(template).format(stage=sql.Identifier(staged))
            cursor.execute(
                statement.as_string(cursor.cursor.connection), {"team": ctx.team_id, "connection": ctx.connection_id}
            )

    return after_merge


def pricing(ctx: SyncContext, mp: str, rows: list[Any]) -> None:
    asins = sorted({r[1] for r in rows if r[1] and r[2] == "active"})

    def items() -> Iterator[Parsed[Any] | Rejected]:
        for chunk in _chunks(asins):
            response = ctx.client.get_competitive_pricing(marketplace_id=mp, asins=chunk)
            for entry in response.get("payload") or []:
                try:
                    row = parser.pricing_row(mp, entry)
                except RowError as exc:
                    yield Rejected(0, str(exc), str(entry.get("ASIN") or "")[:16])
                    continue
                if row is not None:
                    yield Parsed(0, row)

    ctx.ingest(
        items(), columns=parser.PRICING_COLUMNS, targets=[], source="getCompetitivePricing",
        after_merge=_update_from(_PRICING_UPDATE, ctx),
    )


def fees(ctx: SyncContext, mp: str, rows: list[Any]) -> None:
    priced = [(sku, price, currency, channel) for sku, _asin, _status, price, currency, channel in rows if price is not None]

    def items() -> Iterator[Parsed[Any] | Rejected]:
        for start in range(0, len(priced), BATCH):
            requests = [
                (
                    "SellerSKU",
                    sku,
                    fees_estimate_request(
                        marketplace_id=mp, price=price, currency=currency, identifier=sku, is_amazon_fulfilled=channel == "AFN"
                    ),
                )
                for sku, price, currency, channel in priced[start : start + BATCH]
            ]
            results = ctx.client.get_my_fees_estimates(requests)
            for result in results if isinstance(results, list) else []:
                try:
                    row = parser.fee_row(mp, result)
                except RowError as exc:
                    yield Rejected(0, str(exc), "")
                    continue
                if row is not None:
                    yield Parsed(0, row)

    ctx.ingest(
        items(), columns=parser.FEE_COLUMNS, targets=[], source="getMyFeesEstimates",
        after_merge=_update_from(_FEES_UPDATE, ctx),
    )
