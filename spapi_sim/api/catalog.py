"""Catalog Items API 2022-04-01: searchCatalogItems and getCatalogItem."""

from __future__ import annotations

from typing import Any

from spapi_sim import ids
from spapi_sim.api.common import (
    decode_token,
    encode_token,
    int_arg,
    invalid,
    marketplace_indices,
    not_found,
)
from spapi_sim.api.listings import image_url
from spapi_sim.http import Response, Router, json_response
from spapi_sim.state import Context
from spapi_sim.world.catalog import SIZE_TIERS, Product

_INCLUDED = {
    "attributes",
    "classifications",
    "dimensions",
    "identifiers",
    "images",
    "productTypes",
    "relationships",
    "salesRanks",
    "summaries",
    "vendorDetails",
}


def register(router: Router) -> None:
    router.add(
        "GET", "/catalog/2022-04-01/items", search_catalog_items, operation="searchCatalogItems"
    )
    router.add(
        "GET", "/catalog/2022-04-01/items/{asin}", get_catalog_item, operation="getCatalogItem"
    )


def _included(ctx: Context) -> set[str]:
    values = set(ctx.request.args("includedData")) or {"summaries"}
    unknown = values - _INCLUDED
    if unknown:
        raise invalid(f"Invalid includedData value: {sorted(unknown)[0]}.")
    return values


def sales_rank(p: Product) -> int:
    """Best sellers rank: faster movers rank higher (smaller number)."""
    return max(1, int(250_000 / (1 + p.base_rate * 40)))


def item_json(ctx: Context, p: Product, markets: list[int], included: set[str]) -> dict[str, Any]:
    world = ctx.seller
    listed = [world.marketplaces[mi] for mi in markets]
    category = p.category
    tier = SIZE_TIERS[p.size_tier]
    side_inches = round(tier[3] / 2.54, 2)
    item: dict[str, Any] = {"asin": p.asin}
    browse = {"displayName": category.name, "classificationId": category.browse_node}
    if "summaries" in included:
        item["summaries"] = [
            {
                "marketplaceId": m.id,
                "adultProduct": False,
                "autographed": False,
                "brand": p.brand,
                "browseClassification": browse,
                "color": p.colour,
                "itemClassification": "BASE_PRODUCT",
                "itemName": p.title,
                "manufacturer": p.brand,
                "memorabilia": False,
                "modelNumber": p.sku,
                "packageQuantity": 1,
                "partNumber": p.sku,
                "size": "One Size",
                "style": "Standard",
                "tradeInEligible": False,
                "websiteDisplayGroup": category.website_display_group,
                "websiteDisplayGroupName": category.name,
            }
            for m in listed
        ]
    if "attributes" in included:
        item["attributes"] = {
            "item_name": [
                {"value": p.title, "language_tag": "en_US", "marketplace_id": listed[0].id}
            ],
            "brand": [{"value": p.brand, "language_tag": "en_US", "marketplace_id": listed[0].id}],
        }
    if "classifications" in included:
        item["classifications"] = [
            {"marketplaceId": m.id, "classifications": [browse]} for m in listed
        ]
    if "dimensions" in included:
        weight = {"unit": "pounds", "value": round(tier[2] / 453.6, 2)}
        size = {"unit": "inches", "value": side_inches}
        dims = {"height": size, "length": size, "width": size, "weight": weight}
        item["dimensions"] = [
            {"marketplaceId": m.id, "item": dims, "package": dims} for m in listed
        ]
    if "identifiers" in included:
        ean = f"{ids.derive(0, 'ean', p.asin) % 10**13:013d}"
        item["identifiers"] = [
            {"marketplaceId": m.id, "identifiers": [{"identifierType": "EAN", "identifier": ean}]}
            for m in listed
        ]
    if "images" in included:
        item["images"] = [
            {
                "marketplaceId": m.id,
                "images": [{"variant": "MAIN", "link": image_url(p), "height": 500, "width": 500}],
            }
            for m in listed
        ]
    if "productTypes" in included:
        item["productTypes"] = [
            {"marketplaceId": m.id, "productType": category.product_type} for m in listed
        ]
    if "relationships" in included:
        item["relationships"] = [{"marketplaceId": m.id, "relationships": []} for m in listed]
    if "salesRanks" in included:
        rank = sales_rank(p)
        item["salesRanks"] = [
            {
                "marketplaceId": m.id,
                "classificationRanks": [
                    {
                        "classificationId": category.browse_node,
                        "title": category.name,
                        "rank": max(1, rank // 20),
                    }
                ],
                "displayGroupRanks": [
                    {
                        "websiteDisplayGroup": category.website_display_group,
                        "title": category.name,
                        "rank": rank,
                    }
                ],
            }
            for m in listed
        ]
    if "vendorDetails" in included:
        item["vendorDetails"] = []
    return item


def get_catalog_item(ctx: Context) -> Response:
    markets = marketplace_indices(
        ctx, ctx.request.args("marketplaceIds"), required=True, name="marketplaceIds"
    )
    asin = ctx.request.params["asin"]
    product = ctx.seller.by_asin.get(asin)
    if product is None:
        raise not_found(f"Requested item '{asin}' not found in marketplace.")
    return json_response(200, item_json(ctx, product, markets, _included(ctx)))


def search_catalog_items(ctx: Context) -> Response:
    req = ctx.request
    markets = marketplace_indices(
        ctx, req.args("marketplaceIds"), required=True, name="marketplaceIds"
    )
    included = _included(ctx)
    world = ctx.seller
    identifiers = req.args("identifiers")
    keywords = req.args("keywords")
    if bool(identifiers) == bool(keywords):
        raise invalid("Exactly one of identifiers and keywords must be provided.")
    size = int_arg(ctx, "pageSize", 10, 1, 20)
    if identifiers:
        if len(identifiers) > 20:
            raise invalid("identifiers accepts at most 20 values.")
        kind = req.arg("identifiersType") or ""
        if kind == "ASIN":
            products = [world.by_asin[i] for i in identifiers if i in world.by_asin]
        elif kind == "SKU":
            if req.arg("sellerId") != world.selling_partner_id:
                raise invalid("sellerId is required and must be yours when identifiersType is SKU.")
            products = [world.by_sku[i] for i in identifiers if i in world.by_sku]
        elif kind in ("EAN", "GTIN", "ISBN", "JAN", "MINSAN", "UPC"):
            products = []
        else:
            raise invalid("identifiersType is required with identifiers.")
    else:
        words = [w.lower() for w in keywords]
        brands = set(req.args("brandNames"))
        products = [
            p
            for p in world.products
            if all(w in f"{p.title} {p.brand}".lower() for w in words)
            and (not brands or p.brand in brands)
        ]
    offset = 0
    token = req.arg("pageToken")
    if token:
        offset = int(decode_token(token, "catalog")["o"])
    page = products[offset : offset + size]
    body: dict[str, Any] = {
        "numberOfResults": len(products),
        "items": [item_json(ctx, p, markets, included) for p in page],
    }
    pagination = {}
    if offset + size < len(products):
        pagination["nextToken"] = encode_token({"k": "catalog", "o": offset + size})
    if offset > 0:
        pagination["previousToken"] = encode_token({"k": "catalog", "o": max(0, offset - size)})
    if pagination:
        body["pagination"] = pagination
    if keywords:
        brand_counts: dict[str, int] = {}
        class_counts: dict[tuple[str, str], int] = {}
        for p in products:
            brand_counts[p.brand] = brand_counts.get(p.brand, 0) + 1
            key = (p.category.browse_node, p.category.name)
            class_counts[key] = class_counts.get(key, 0) + 1
        body["refinements"] = {
            "brands": [
                {"numberOfResults": n, "brandName": b} for b, n in sorted(brand_counts.items())
            ],
            "classifications": [
                {"numberOfResults": n, "displayName": name, "classificationId": node}
                for (node, name), n in sorted(class_counts.items())
            ],
        }
    return json_response(200, body)
