"""Sellers API v1: the marketplaces a seller participates in."""

from __future__ import annotations

from spapi_sim.http import Response, Router, json_response
from spapi_sim.state import Context
from spapi_sim.world.catalog import LISTING_SUPPRESSED


def register(router: Router) -> None:
    router.add(
        "GET",
        "/sellers/v1/marketplaceParticipations",
        get_marketplace_participations,
        operation="getMarketplaceParticipations",
    )


def get_marketplace_participations(ctx: Context) -> Response:
    world = ctx.seller
    payload = []
    for m in world.marketplaces:
        suspended = any(p.status_in(m.country_code) == LISTING_SUPPRESSED for p in world.products)
        payload.append(
            {
                "marketplace": {
                    "id": m.id,
                    "countryCode": m.country_code,
                    "name": m.name,
                    "defaultCurrencyCode": m.currency,
                    "defaultLanguageCode": m.language,
                    "domainName": m.domain,
                },
                "storeName": world.store_name,
                "participation": {"isParticipating": True, "hasSuspendedListings": suspended},
            }
        )
    return json_response(200, {"payload": payload})
