"""Listings and catalogue: every listing with its status, price, quantity and channel
(searchListingsItems), the catalogue items they sell (searchCatalogItems, 20 ASINs a call),
the buy box of active listings (getCompetitivePricing) and a fee estimate per SKU
(getMyFeesEstimates), each call batched as far as its usage plan allows. Every marketplace's
listings are read before anything else, and the cursor's ``listings_read`` then says the listings
(what the overview shows of this family) are there before the slower enrichment ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from ams.catalog import writers
from ams.catalog.models import Listing
from ams.core.tenancy import team_scope
from ams.sync.context import SyncContext
from ams.sync.cursors import ListingsCursor
from ams.sync.parsers import listings as parser
from ams.sync.parsers.flatfile import Parsed, Rejected, RowError
from spapi.client import fees_estimate_request

BATCH = 20


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), BATCH):
        yield list(values[start : start + BATCH])


def run(ctx: SyncContext) -> str:
    total = len(ctx.marketplaces) * 4
    done = 0
    # Every marketplace's listings first (searchListingsItems has the roomiest usage plan): the
    # overview's listing figures need only them, the rest only enriches them.
    for marketplace in ctx.marketplaces:
        ctx.checkpoint()
        listings(ctx, marketplace.marketplace_id)
        done += 1
        ctx.progress(done, total)
    cursor = cast(ListingsCursor, ctx.cursor())
    if not cursor.get("listings_read"):
        ctx.save_cursor({**cursor, "listings_read": True})
    for marketplace in ctx.marketplaces:
        mp = marketplace.marketplace_id
        with team_scope(ctx.team_id):
            rows = list(
                Listing.objects.filter(
                    team_id=ctx.team_id, connection_id=ctx.connection_id, marketplace_id=mp
                )
                .values_list(
                    "sku", "asin", "status", "price", "currency", "fulfillment_channel", named=True
                )
                .order_by("sku")
            )
        for step in (products, pricing, fees):
            ctx.checkpoint()
            step(ctx, mp, rows)
            done += 1
            ctx.progress(done, total)
    return "full"


def listings(ctx: SyncContext, mp: str) -> None:
    seen: set[str] = set()
    refused: list[str] = []

    def items() -> Iterator[Parsed[Any] | Rejected]:
        pages = ctx.pages(
            ctx.client.iter_pages(
                ctx.client.search_listings_items,
                marketplace_ids=[mp],
                included_data=["summaries", "offers", "issues", "fulfillmentAvailability"],
            )
        )
        for page in pages:
            for item in page.get("items") or []:
                try:
                    row = parser.listing_row(mp, item)
                except RowError as exc:
                    refused.append(str(exc))
                    yield Rejected(0, str(exc), str(item.get("sku") or "")[:64])
                    continue
                seen.add(row.sku)
                yield Parsed(0, row)

    ctx.ingest(items(), writer=writers.LISTING_WRITER, source="searchListingsItems")
    # Only after a complete, clean read: a refused row's SKU must not look removed.
    if not refused:
        with team_scope(ctx.team_id):
            writers.listings_forget_unseen(
                connection_id=ctx.connection_id, marketplace_id=mp, seen=seen
            )


def products(ctx: SyncContext, mp: str, rows: list[Any]) -> None:
    asins = sorted({r.asin for r in rows if r.asin})

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

    ctx.ingest(items(), writer=writers.PRODUCT_WRITER, source="searchCatalogItems")


def pricing(ctx: SyncContext, mp: str, rows: list[Any]) -> None:
    asins = sorted({r.asin for r in rows if r.asin and r.status == "active"})

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

    ctx.ingest(items(), writer=writers.buy_boxes(ctx.connection_id), source="getCompetitivePricing")


def fees(ctx: SyncContext, mp: str, rows: list[Any]) -> None:
    priced = [
        (r.sku, r.price, r.currency, r.fulfillment_channel) for r in rows if r.price is not None
    ]

    def items() -> Iterator[Parsed[Any] | Rejected]:
        for start in range(0, len(priced), BATCH):
            requests = [
                (
                    "SellerSKU",
                    sku,
                    fees_estimate_request(
                        marketplace_id=mp,
                        price=price,
                        currency=currency,
                        identifier=sku,
                        is_amazon_fulfilled=channel == "AFN",
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
        items(), writer=writers.fee_estimates(ctx.connection_id), source="getMyFeesEstimates"
    )
