"""FBA Inventory API v1: getInventorySummaries."""

from __future__ import annotations

from typing import Any

from spapi_sim.api.common import decode_token, encode_token, invalid, iso_seconds, parse_time
from spapi_sim.http import Response, Router, json_response
from spapi_sim.state import Context
from spapi_sim.world.history import DAY

PAGE_SIZE = 50
# The FBA Inventory use-case guide: "nextToken expires in 30 seconds".
TOKEN_MS = 30_000


def register(router: Router) -> None:
    router.add(
        "GET",
        "/fba/inventory/v1/summaries",
        get_inventory_summaries,
        operation="getInventorySummaries",
    )


def _changed_since(ctx: Context, mi: int, start: int) -> set[int]:
    """SKUs whose stock moved since ``start``: orders, arrivals and returns."""
    h = ctx.seller.history
    changed: set[int] = set()
    for index in h.orders_between(start, ctx.now + 1):
        if h.o_mkt[index] == mi:
            changed.update(h.i_sku[item] for item in h.order_items(index))
    for day in range(max(0, start // DAY), ctx.now // DAY + 1):
        changed.update(h.s_sku[s] for s in h.arrivals_by_day.get(day, ()) if h.s_mkt[s] == mi)
        changed.update(r[1] for r in h.returns_by_day.get(day, ()) if r[0] == mi)
    return changed


def get_inventory_summaries(ctx: Context) -> Response:
    req = ctx.request
    world = ctx.seller
    now_ms = ctx.state.now_ms()
    token = req.arg("nextToken")
    if req.arg("granularityType") != "Marketplace":
        raise invalid("granularityType is required and must be Marketplace.")
    granularity_id = req.arg("granularityId") or ""
    mi = world.marketplace_index(granularity_id)
    if mi is None:
        raise invalid(f"Invalid granularityId {granularity_id}.")
    if world.marketplaces[mi].country_code in ctx.state.config.inventory_api_unavailable:
        raise invalid(f"The FBA Inventory API does not support marketplace {granularity_id}.")
    markets = req.args("marketplaceIds")
    if not markets:
        raise invalid("Missing required parameter marketplaceIds.")
    if len(markets) != 1 or markets[0] != granularity_id:
        raise invalid("marketplaceIds must contain exactly the marketplace given as granularityId.")
    skus = req.args("sellerSkus")
    if len(skus) > 50:
        raise invalid("sellerSkus accepts at most 50 SKUs.")
    start = parse_time(req.arg("startDateTime"), "startDateTime")
    offset = 0
    if token:
        state = decode_token(token, "inventory", now_ms)
        offset = int(state["o"])
    details = (req.arg("details") or "").lower() == "true"
    stock = world.stock(ctx.now)[mi]
    candidates = [p for p in world.products if p.channel == "AFN" and p.index in stock]
    if skus:
        wanted = set(skus)
        candidates = [p for p in candidates if p.sku in wanted]
    single = req.arg("sellerSku")
    if single:
        candidates = [p for p in candidates if p.sku == single]
    if start is not None:
        changed = _changed_since(ctx, mi, world.seconds(start))
        candidates = [p for p in candidates if p.index in changed]
    page = candidates[offset : offset + PAGE_SIZE]
    now_text = iso_seconds(ctx, ctx.now)
    summaries = []
    for p in page:
        lv = stock[p.index]
        summary: dict[str, Any] = {
            "asin": p.asin,
            "fnSku": p.fnsku,
            "sellerSku": p.sku,
            "condition": "NewItem",
            "lastUpdatedTime": now_text,
            "productName": p.title,
            "totalQuantity": lv.total,
            "stores": [],
        }
        if details:
            summary["inventoryDetails"] = {
                "fulfillableQuantity": lv.fulfillable,
                "inboundWorkingQuantity": lv.inbound_working,
                "inboundShippedQuantity": lv.inbound_shipped,
                "inboundReceivingQuantity": lv.inbound_receiving,
                "reservedQuantity": {
                    "totalReservedQuantity": lv.reserved,
                    "pendingCustomerOrderQuantity": lv.reserved,
                    "pendingTransshipmentQuantity": 0,
                    "fcProcessingQuantity": 0,
                },
                "researchingQuantity": {
                    "totalResearchingQuantity": lv.researching,
                    "researchingQuantityBreakdown": [],
                },
                "unfulfillableQuantity": {
                    "totalUnfulfillableQuantity": lv.unfulfillable,
                    "customerDamagedQuantity": lv.unfulfillable,
                    "warehouseDamagedQuantity": 0,
                    "distributorDamagedQuantity": 0,
                    "carrierDamagedQuantity": 0,
                    "defectiveQuantity": 0,
                    "expiredQuantity": 0,
                },
            }
        summaries.append(summary)
    body: dict[str, Any] = {
        "payload": {
            "granularity": {"granularityType": "Marketplace", "granularityId": granularity_id},
            "inventorySummaries": summaries,
        }
    }
    if offset + PAGE_SIZE < len(candidates):
        body["pagination"] = {
            "nextToken": encode_token(
                {
                    "k": "inventory",
                    "o": offset + PAGE_SIZE,
                    "x": now_ms + ctx.state.wall_ms(TOKEN_MS / 1000),
                }
            )
        }
    return json_response(200, body)
