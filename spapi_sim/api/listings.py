"""Listings Items API 2021-08-01: getListingsItem and searchListingsItems."""

from __future__ import annotations

from typing import Any

from spapi_sim import ids
from spapi_sim.api.common import (
    ApiError,
    decode_token,
    encode_token,
    int_arg,
    invalid,
    iso_seconds,
    money_2026,
    not_found,
    parse_time,
)
from spapi_sim.http import Response, Router, json_response
from spapi_sim.state import Context
from spapi_sim.world.catalog import (
    LISTING_ACTIVE,
    LISTING_INACTIVE,
    LISTING_SUPPRESSED,
    SIZE_TIERS,
    Product,
)
from spapi_sim.world.history import DAY

_INCLUDED = {
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
}
STATUS_FLAGS = {
    LISTING_ACTIVE: ["BUYABLE", "DISCOVERABLE"],
    LISTING_INACTIVE: ["DISCOVERABLE"],
    LISTING_SUPPRESSED: [],
}


def register(router: Router) -> None:
    router.add(
        "GET",
        "/listings/2021-08-01/items/{sellerId}",
        search_listings_items,
        operation="searchListingsItems",
    )
    router.add(
        "GET",
        "/listings/2021-08-01/items/{sellerId}/{sku}",
        get_listings_item,
        operation="getListingsItem",
    )


def _check_seller(ctx: Context) -> None:
    if ctx.request.params["sellerId"] != ctx.seller.selling_partner_id:
        raise ApiError(
            403,
            "Unauthorized",
            "Access to requested resource is denied.",
            "The sellerId does not match the access token.",
        )


def _included(ctx: Context) -> set[str]:
    values = set(ctx.request.args("includedData")) or {"summaries"}
    unknown = values - _INCLUDED
    if unknown:
        raise invalid(f"Invalid includedData value: {sorted(unknown)[0]}.")
    return values


def image_url(p: Product) -> str:
    return (
        f"https://m.media-amazon.com/images/I/{ids.alnum(ids.derive(0, 'image', p.asin), 11)}.jpg"
    )


def listing_dates(ctx: Context, p: Product) -> tuple[int, int]:
    """When the listing was created and last edited (seconds on the seller's clock)."""
    created = p.launch_day * DAY + 9 * 3600
    anchor = ctx.seller.anchor_second
    updated = created + ids.derive(0, "listing-updated", p.sku) % max(1, anchor - created)
    return created, updated


def _issues(p: Product, status: str, marketplace_id: str) -> list[dict[str, Any]]:
    if status == LISTING_SUPPRESSED:
        return [
            {
                "code": "90220",
                "message": "'main_product_image_locator' is required but not supplied.",
                "severity": "ERROR",
                "attributeNames": ["main_product_image_locator"],
                "categories": ["MISSING_ATTRIBUTE"],
                "enforcements": {
                    "actions": [{"action": "SEARCH_SUPPRESSED"}],
                    "exemption": {"status": "NOT_EXEMPT"},
                },
                "marketplaceIds": [marketplace_id],
            }
        ]
    if status == LISTING_INACTIVE:
        return [
            {
                "code": "8541",
                "message": "The listing is inactive because the price is missing or outside the allowed range.",
                "severity": "WARNING",
                "attributeNames": ["purchasable_offer"],
                "categories": ["INVALID_PRICE"],
                "marketplaceIds": [marketplace_id],
            }
        ]
    return []


def item_json(
    ctx: Context, p: Product, marketplace_indices: list[int], included: set[str]
) -> dict[str, Any] | None:
    world = ctx.seller
    listed = [
        (mi, world.marketplaces[mi])
        for mi in marketplace_indices
        if p.status_in(world.marketplaces[mi].country_code)
    ]
    if not listed:
        return None
    created, updated = listing_dates(ctx, p)
    item: dict[str, Any] = {"sku": p.sku}
    if "summaries" in included:
        item["summaries"] = [
            {
                "marketplaceId": m.id,
                "asin": p.asin,
                "productType": p.category.product_type,
                "conditionType": "new_new",
                "status": STATUS_FLAGS[p.status_in(m.country_code) or LISTING_INACTIVE],
                **({"fnSku": p.fnsku} if p.channel == "AFN" else {}),
                "itemName": p.title,
                "createdDate": iso_seconds(ctx, created),
                "lastUpdatedDate": iso_seconds(ctx, updated),
                "mainImage": {"link": image_url(p), "height": 500, "width": 500},
            }
            for _mi, m in listed
        ]
    if "attributes" in included:
        side = SIZE_TIERS[p.size_tier][3]
        item["attributes"] = {
            "item_name": [
                {"value": p.title, "language_tag": "en_US", "marketplace_id": listed[0][1].id}
            ],
            "brand": [{"value": p.brand, "marketplace_id": listed[0][1].id}],
            "color": [
                {"value": p.colour, "language_tag": "en_US", "marketplace_id": listed[0][1].id}
            ],
            "condition_type": [{"value": "new_new", "marketplace_id": listed[0][1].id}],
            "purchasable_offer": [
                {
                    "marketplace_id": m.id,
                    "currency": m.currency,
                    "our_price": [{"schedule": [{"value_with_tax": float(p.price_in(m))}]}],
                }
                for _mi, m in listed
            ],
            "item_package_dimensions": [
                {
                    "length": {"unit": "centimeters", "value": side},
                    "width": {"unit": "centimeters", "value": side},
                    "height": {"unit": "centimeters", "value": side},
                    "marketplace_id": listed[0][1].id,
                }
            ],
            "item_package_weight": [
                {"unit": "grams", "value": float(p.weight_grams), "marketplace_id": listed[0][1].id}
            ],
        }
    if "issues" in included:
        item["issues"] = [
            i for _mi, m in listed for i in _issues(p, p.status_in(m.country_code) or "", m.id)
        ]
    if "offers" in included:
        item["offers"] = [
            {
                "marketplaceId": m.id,
                "offerType": "B2C",
                "price": money_2026(p.price_in(m), m.currency),
                "audience": {"value": "ALL", "displayName": "Sell on Amazon"},
            }
            for _mi, m in listed
        ]
    if "fulfillmentAvailability" in included:
        stock = world.stock(ctx.now)
        quantity = sum(stock[mi][p.index].fulfillable for mi, _m in listed if p.index in stock[mi])
        code = f"AMAZON_{world.region}" if p.channel == "AFN" else "DEFAULT"
        item["fulfillmentAvailability"] = [{"fulfillmentChannelCode": code, "quantity": quantity}]
    if "procurement" in included:
        item["procurement"] = []
    if "relationships" in included:
        item["relationships"] = [{"marketplaceId": m.id, "relationships": []} for _mi, m in listed]
    if "productTypes" in included:
        item["productTypes"] = [
            {"marketplaceId": m.id, "productType": p.category.product_type} for _mi, m in listed
        ]
    return item


def _marketplaces(ctx: Context) -> list[int]:
    ids_given = ctx.request.args("marketplaceIds")
    if not ids_given:
        raise invalid("Missing required parameter marketplaceIds.")
    result = []
    for marketplace_id in ids_given:
        index = ctx.seller.marketplace_index(marketplace_id)
        if index is None:
            raise invalid(f"Invalid marketplaceIds: {marketplace_id}.")
        result.append(index)
    return result


def get_listings_item(ctx: Context) -> Response:
    _check_seller(ctx)
    markets = _marketplaces(ctx)
    product = ctx.seller.by_sku.get(ctx.request.params["sku"])
    item = item_json(ctx, product, markets, _included(ctx)) if product else None
    if item is None:
        raise not_found(f"SKU '{ctx.request.params['sku']}' not found in marketplace.")
    return json_response(200, item)


def search_listings_items(ctx: Context) -> Response:
    _check_seller(ctx)
    req = ctx.request
    markets = _marketplaces(ctx)
    if len(markets) != 1:
        raise invalid("searchListingsItems accepts exactly one marketplaceId.")
    included = _included(ctx)
    size = int_arg(ctx, "pageSize", 10, 1, 20)
    world = ctx.seller
    m = world.marketplaces[markets[0]]
    products = [p for p in world.products if p.status_in(m.country_code) is not None]
    identifiers = req.args("identifiers")
    if identifiers:
        kind = req.arg("identifiersType") or ""
        if kind not in ("SKU", "ASIN", "FNSKU"):
            raise invalid("identifiersType must be one of SKU, ASIN, FNSKU for this seller.")
        field = {"SKU": "sku", "ASIN": "asin", "FNSKU": "fnsku"}[kind]
        wanted = set(identifiers)
        products = [p for p in products if getattr(p, field) in wanted]
    with_status = set(req.args("withStatus"))
    without_status = set(req.args("withoutStatus"))
    severities = set(req.args("withIssueSeverity"))

    def keep(p: Product) -> bool:
        status = p.status_in(m.country_code) or ""
        flags = set(STATUS_FLAGS[status])
        if with_status and not with_status <= flags:
            return False
        if without_status and without_status & flags:
            return False
        return not (
            severities and not {i["severity"] for i in _issues(p, status, m.id)} & severities
        )

    products = [p for p in products if keep(p)]
    for name, index, lower in (
        ("createdAfter", 0, True),
        ("createdBefore", 0, False),
        ("lastUpdatedAfter", 1, True),
        ("lastUpdatedBefore", 1, False),
    ):
        bound = parse_time(req.arg(name), name)
        if bound is None:
            continue
        limit = world.seconds(bound)
        products = [p for p in products if (listing_dates(ctx, p)[index] >= limit) == lower]
    sort_by = req.arg("sortBy") or "lastUpdatedDate"
    if sort_by not in ("sku", "createdDate", "lastUpdatedDate"):
        raise invalid("Invalid sortBy.")
    descending = (req.arg("sortOrder") or "DESC") == "DESC"
    if sort_by == "sku":
        products.sort(key=lambda p: p.sku, reverse=descending)
    else:
        slot = 0 if sort_by == "createdDate" else 1
        products.sort(key=lambda p: (listing_dates(ctx, p)[slot], p.sku), reverse=descending)
    offset = 0
    token = req.arg("pageToken")
    if token:
        offset = int(decode_token(token, "listings")["o"])
    page = products[offset : offset + size]
    items = [item_json(ctx, p, markets, included) for p in page]
    body: dict[str, Any] = {
        "numberOfResults": len(products),
        "items": [i for i in items if i is not None],
    }
    pagination = {}
    if offset + size < len(products):
        pagination["nextToken"] = encode_token({"k": "listings", "o": offset + size})
    if offset > 0:
        pagination["previousToken"] = encode_token({"k": "listings", "o": max(0, offset - size)})
    if pagination:
        body["pagination"] = pagination
    return json_response(200, body)
