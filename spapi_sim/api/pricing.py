"""Product Pricing API v0: own and competitive prices, offers, and who holds the buy box."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from spapi_sim import ids
from spapi_sim.api.catalog import sales_rank
from spapi_sim.api.common import invalid, iso_seconds, not_found
from spapi_sim.http import Response, Router, json_response
from spapi_sim.marketplaces import Marketplace
from spapi_sim.money import ZERO, charm_price, q
from spapi_sim.state import Context
from spapi_sim.world.catalog import LISTING_ACTIVE, Product
from spapi_sim.world.history import DAY
from spapi_sim.world.seller import SellerWorld


def register(router: Router) -> None:
    router.add("GET", "/products/pricing/v0/price", get_pricing, operation="getPricing")
    router.add(
        "GET",
        "/products/pricing/v0/competitivePrice",
        get_competitive_pricing,
        operation="getCompetitivePricing",
    )
    router.add(
        "GET",
        "/products/pricing/v0/items/{Asin}/offers",
        get_item_offers,
        operation="getItemOffers",
    )
    router.add(
        "GET",
        "/products/pricing/v0/listings/{SellerSKU}/offers",
        get_listing_offers,
        operation="getListingOffers",
    )
    router.add(
        "POST",
        "/batches/products/pricing/v0/itemOffers",
        get_item_offers_batch,
        operation="getItemOffersBatch",
    )
    router.add(
        "POST",
        "/batches/products/pricing/2022-05-01/items/competitiveSummary",
        get_competitive_summary,
        operation="getCompetitiveSummary",
    )


@dataclass(frozen=True)
class Offer:
    seller_id: str
    price: Decimal
    shipping: Decimal
    fba: bool
    mine: bool
    buy_box: bool
    feedback_count: int
    feedback_rating: float


def offers_for(world: SellerWorld, p: Product, mi: int, now: int) -> list[Offer]:
    """The offers on an ASIN today: ours (if active) and 0-5 competitors; one may win the box."""
    m = world.marketplaces[mi]
    day = now // DAY
    r = ids.rng(0, "offers", world.selling_partner_id, p.asin, m.id, day)
    own_price = p.price_in(m)
    result = []
    active = p.status_in(m.country_code) == LISTING_ACTIVE
    if active:
        result.append(
            Offer(
                world.selling_partner_id,
                own_price,
                ZERO,
                p.channel == "AFN",
                True,
                False,
                1200,
                97.0,
            )
        )
    for n in range(r.randint(0, 5)):
        price = charm_price(own_price * Decimal(str(round(r.uniform(0.9, 1.15), 3))), m.currency)
        seller = "A" + ids.alnum(ids.derive(0, "competitor", p.asin, n), 13)
        shipping = ZERO if r.random() < 0.7 else q(Decimal("3.99") * m.fx, m.currency)
        result.append(
            Offer(
                seller,
                price,
                shipping,
                r.random() < 0.6,
                False,
                False,
                r.randint(10, 50000),
                round(r.uniform(85, 100), 1),
            )
        )
    if result:
        # Our offer wins the buy box most days when it is competitive.
        cheapest = min(result, key=lambda o: o.price + o.shipping)
        winner = result[0] if active and r.random() < 0.8 else cheapest
        result = [Offer(**{**o.__dict__, "buy_box": o is winner}) for o in result]
    return result


def _money(amount: Decimal, m: Marketplace) -> dict[str, Any]:
    return {"CurrencyCode": m.currency, "Amount": float(amount)}


def _marketplace(ctx: Context) -> int:
    marketplace_id = ctx.request.arg("MarketplaceId") or ""
    mi = ctx.seller.marketplace_index(marketplace_id)
    if mi is None:
        raise invalid(f"Invalid MarketplaceId {marketplace_id!r}.")
    return mi


def _items(ctx: Context) -> list[tuple[str, str, Product | None]]:
    """(ItemType, identifier, product) for the Asins or Skus parameter (at most 20)."""
    kind = ctx.request.arg("ItemType")
    if kind not in ("Asin", "Sku"):
        raise invalid("ItemType must be Asin or Sku.")
    values = ctx.request.args("Asins" if kind == "Asin" else "Skus")
    if not values:
        raise invalid(
            f"{'Asins' if kind == 'Asin' else 'Skus'} is required when ItemType is {kind}."
        )
    if len(values) > 20:
        raise invalid("At most 20 items per request.")
    index = ctx.seller.by_asin if kind == "Asin" else ctx.seller.by_sku
    return [(kind, v, index.get(v)) for v in values]


def _identifiers(ctx: Context, p: Product, m: Marketplace, with_sku: bool) -> dict[str, Any]:
    identifiers: dict[str, Any] = {"MarketplaceASIN": {"MarketplaceId": m.id, "ASIN": p.asin}}
    if with_sku:
        identifiers["SKUIdentifier"] = {
            "MarketplaceId": m.id,
            "SellerId": ctx.seller.selling_partner_id,
            "SellerSKU": p.sku,
        }
    return identifiers


def get_pricing(ctx: Context) -> Response:
    mi = _marketplace(ctx)
    world = ctx.seller
    m = world.marketplaces[mi]
    payload: list[dict[str, Any]] = []
    for kind, value, p in _items(ctx):
        key = "ASIN" if kind == "Asin" else "SellerSKU"
        if p is None or p.status_in(m.country_code) is None:
            payload.append({"status": "ClientError", key: value})
            continue
        price = p.price_in(m)
        payload.append(
            {
                "status": "Success",
                key: value,
                "Product": {
                    "Identifiers": _identifiers(ctx, p, m, kind == "Sku"),
                    "Offers": [
                        {
                            "offerType": "B2C",
                            "BuyingPrice": {
                                "LandedPrice": _money(price, m),
                                "ListingPrice": _money(price, m),
                                "Shipping": _money(ZERO, m),
                            },
                            "RegularPrice": _money(price, m),
                            "FulfillmentChannel": "AMAZON" if p.channel == "AFN" else "MERCHANT",
                            "ItemCondition": "New",
                            "ItemSubCondition": "New",
                            "SellerSKU": p.sku,
                        }
                    ],
                },
            }
        )
    return json_response(200, {"payload": payload})


def get_competitive_pricing(ctx: Context) -> Response:
    mi = _marketplace(ctx)
    world = ctx.seller
    m = world.marketplaces[mi]
    payload: list[dict[str, Any]] = []
    for kind, value, p in _items(ctx):
        key = "ASIN" if kind == "Asin" else "SellerSKU"
        if p is None or p.status_in(m.country_code) is None:
            payload.append({"status": "ClientError", key: value})
            continue
        offers = offers_for(world, p, mi, ctx.now)
        prices = [
            {
                "CompetitivePriceId": "1",
                "Price": {
                    "LandedPrice": _money(o.price + o.shipping, m),
                    "ListingPrice": _money(o.price, m),
                    "Shipping": _money(o.shipping, m),
                },
                "condition": "New",
                "subcondition": "New",
                "offerType": "B2C",
                "sellerId": o.seller_id,
                "belongsToRequester": o.mine,
            }
            for o in offers
            if o.buy_box
        ]
        payload.append(
            {
                "status": "Success",
                key: value,
                "Product": {
                    "Identifiers": _identifiers(ctx, p, m, kind == "Sku"),
                    "CompetitivePricing": {
                        "CompetitivePrices": prices,
                        "NumberOfOfferListings": [
                            {"condition": "New", "Count": len(offers)},
                            {"condition": "Any", "Count": len(offers)},
                        ],
                    },
                    "SalesRankings": [
                        {
                            "ProductCategoryId": p.category.website_display_group,
                            "Rank": sales_rank(p),
                        }
                    ],
                },
            }
        )
    return json_response(200, {"payload": payload})


def _offers_payload(ctx: Context, p: Product, mi: int, by_sku: bool) -> dict[str, Any]:
    world = ctx.seller
    m = world.marketplaces[mi]
    offers = offers_for(world, p, mi, ctx.now)
    winner = next((o for o in offers if o.buy_box), None)
    counts: dict[str, int] = {}
    for o in offers:
        channel = "Amazon" if o.fba else "Merchant"
        counts[channel] = counts.get(channel, 0) + 1
    summary: dict[str, Any] = {
        "TotalOfferCount": len(offers),
        "NumberOfOffers": [
            {"condition": "new", "fulfillmentChannel": c, "OfferCount": n}
            for c, n in sorted(counts.items())
        ],
        "LowestPrices": [],
        "BuyBoxPrices": [],
        "ListPrice": _money(p.price_in(m), m),
        "SalesRankings": [
            {"ProductCategoryId": p.category.website_display_group, "Rank": sales_rank(p)}
        ],
        "BuyBoxEligibleOffers": [
            {"condition": "new", "fulfillmentChannel": c, "OfferCount": n}
            for c, n in sorted(counts.items())
        ],
        "OffersAvailableTime": iso_seconds(ctx, ctx.now),
    }
    for channel in sorted(counts):
        cheapest = min(
            (o for o in offers if ("Amazon" if o.fba else "Merchant") == channel),
            key=lambda o: o.price + o.shipping,
        )
        summary["LowestPrices"].append(
            {
                "condition": "new",
                "fulfillmentChannel": channel,
                "LandedPrice": _money(cheapest.price + cheapest.shipping, m),
                "ListingPrice": _money(cheapest.price, m),
                "Shipping": _money(cheapest.shipping, m),
            }
        )
    if winner is not None:
        summary["BuyBoxPrices"].append(
            {
                "condition": "New",
                "LandedPrice": _money(winner.price + winner.shipping, m),
                "ListingPrice": _money(winner.price, m),
                "Shipping": _money(winner.shipping, m),
                "sellerId": winner.seller_id,
            }
        )
    identifier: dict[str, Any] = {"MarketplaceId": m.id, "ItemCondition": "New", "ASIN": p.asin}
    if by_sku:
        identifier["SellerSKU"] = p.sku
    payload: dict[str, Any] = {
        "marketplaceId": m.id,
        "ItemCondition": "New",
        "status": "Success",
        "Identifier": identifier,
        "Summary": summary,
        "Offers": [
            {
                "MyOffer": o.mine,
                "offerType": "B2C",
                "SubCondition": "new",
                "SellerId": o.seller_id,
                "SellerFeedbackRating": {
                    "SellerPositiveFeedbackRating": o.feedback_rating,
                    "FeedbackCount": o.feedback_count,
                },
                "ShippingTime": {
                    "minimumHours": 24 if o.fba else 48,
                    "maximumHours": 48 if o.fba else 96,
                    "availabilityType": "NOW",
                },
                "ListingPrice": _money(o.price, m),
                "Shipping": _money(o.shipping, m),
                "ShipsFrom": {"Country": m.country_code},
                "IsFulfilledByAmazon": o.fba,
                "PrimeInformation": {"IsPrime": o.fba, "IsNationalPrime": o.fba},
                "IsBuyBoxWinner": o.buy_box,
                "IsFeaturedMerchant": True,
            }
            for o in offers
        ],
    }
    if by_sku:
        payload["SKU"] = p.sku
    else:
        payload["ASIN"] = p.asin
    return payload


def _condition(ctx: Context) -> None:
    condition = ctx.request.arg("ItemCondition")
    if condition not in ("New", "Used", "Collectible", "Refurbished", "Club"):
        raise invalid("ItemCondition is required: New, Used, Collectible, Refurbished or Club.")


def get_item_offers(ctx: Context) -> Response:
    mi = _marketplace(ctx)
    _condition(ctx)
    p = ctx.seller.by_asin.get(ctx.request.params["Asin"])
    if p is None:
        raise not_found("The requested ASIN was not found.")
    return json_response(200, {"payload": _offers_payload(ctx, p, mi, by_sku=False)})


def get_listing_offers(ctx: Context) -> Response:
    mi = _marketplace(ctx)
    _condition(ctx)
    p = ctx.seller.by_sku.get(ctx.request.params["SellerSKU"])
    if p is None:
        raise not_found("The requested SKU was not found.")
    return json_response(200, {"payload": _offers_payload(ctx, p, mi, by_sku=True)})


# -- batches ----------------------------------------------------------------------------------


def _batch_requests(ctx: Context) -> list[dict[str, Any]]:
    try:
        body = ctx.request.json()
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not 1 <= len(requests) <= 20:
        raise invalid("requests must list between 1 and 20 requests.")
    if not all(isinstance(r, dict) for r in requests):
        raise invalid("Each request must be an object.")
    return requests


def get_item_offers_batch(ctx: Context) -> Response:
    """getItemOffers for up to 20 ASINs; each answer carries its own status, like Amazon's."""
    world = ctx.seller
    responses = []
    for request in _batch_requests(ctx):
        uri = str(request.get("uri", ""))
        asin = uri.rstrip("/").split("/")[-2] if uri.endswith("/offers") else ""
        mi = world.marketplace_index(str(request.get("MarketplaceId", "")))
        p = world.by_asin.get(asin)
        echo = {
            k: request[k]
            for k in ("MarketplaceId", "ItemCondition", "CustomerType")
            if k in request
        }
        headers = {
            "x-amzn-RequestId": ctx.request.request_id,
            "Date": ctx.seller.moment(ctx.now).strftime("%a, %d %b %Y %H:%M:%S GMT"),
        }
        if mi is None or p is None:
            responses.append(
                {
                    "status": {
                        "statusCode": 400 if mi is None else 404,
                        "reasonPhrase": "Bad Request" if mi is None else "Not Found",
                    },
                    "body": {
                        "errors": [
                            {
                                "code": "InvalidInput" if mi is None else "NotFound",
                                "message": f"Unknown ASIN or marketplace for {uri}",
                                "details": "",
                            }
                        ]
                    },
                    "headers": headers,
                    "request": {**echo, "Asin": asin},
                }
            )
            continue
        responses.append(
            {
                "status": {"statusCode": 200, "reasonPhrase": "OK"},
                "body": {"payload": _offers_payload(ctx, p, mi, by_sku=False)},
                "headers": headers,
                "request": {**echo, "Asin": asin},
            }
        )
    return json_response(200, {"responses": responses})


def _money_2022(amount: Decimal, m: Marketplace) -> dict[str, Any]:
    return {"amount": float(amount), "currencyCode": m.currency}


def _offer_2022(o: Offer, m: Marketplace) -> dict[str, Any]:
    return {
        "sellerId": o.seller_id,
        "condition": "New",
        "subCondition": "New",
        "fulfillmentType": "AFN" if o.fba else "MFN",
        "listingPrice": _money_2022(o.price, m),
        "shippingOptions": [{"shippingOptionType": "DEFAULT", "price": _money_2022(o.shipping, m)}],
        "primeDetails": {"eligibility": "NATIONAL" if o.fba else "NONE"},
    }


def get_competitive_summary(ctx: Context) -> Response:
    """Pricing 2022-05-01: featured offer (buy box), reference prices and lowest offers."""
    world = ctx.seller
    responses = []
    for request in _batch_requests(ctx):
        asin = str(request.get("asin", ""))
        marketplace_id = str(request.get("marketplaceId", ""))
        mi = world.marketplace_index(marketplace_id)
        p = world.by_asin.get(asin)
        if mi is None or p is None:
            responses.append(
                {
                    "status": {"statusCode": 404, "reasonPhrase": "Not Found"},
                    "body": {
                        "asin": asin,
                        "marketplaceId": marketplace_id,
                        "errors": [
                            {"code": "NotFound", "message": "Item not found.", "details": ""}
                        ],
                    },
                }
            )
            continue
        m = world.marketplaces[mi]
        offers = offers_for(world, p, mi, ctx.now)
        included = set(request.get("includedData") or ["featuredBuyingOptions"])
        body: dict[str, Any] = {"asin": asin, "marketplaceId": m.id}

        if "featuredBuyingOptions" in included:
            winner = next((o for o in offers if o.buy_box), None)
            segmented = []
            if winner is not None:
                segment = {
                    "customerMembership": "DEFAULT",
                    "segmentDetails": {"glanceViewWeightPercentage": 100},
                }
                segmented.append({**_offer_2022(winner, m), "featuredOfferSegments": [segment]})
            body["featuredBuyingOptions"] = [
                {"buyingOptionType": "New", "segmentedFeaturedOffers": segmented}
            ]
        if "referencePrices" in included and offers:
            lowest = min(o.price + o.shipping for o in offers)
            body["referencePrices"] = [
                {"name": "CompetitivePrice", "price": _money_2022(lowest, m)},
                {"name": "WasPrice", "price": _money_2022(p.price_in(m), m)},
            ]
        if "lowestPricedOffers" in included:
            cheapest = sorted(offers, key=lambda o: o.price + o.shipping)[:20]
            body["lowestPricedOffers"] = [
                {
                    "lowestPricedOffersInput": {"itemCondition": "New", "offerType": "Consumer"},
                    "offers": [_offer_2022(o, m) for o in cheapest],
                }
            ]
        if "similarItems" in included:
            body["similarItems"] = []
        responses.append({"status": {"statusCode": 200, "reasonPhrase": "Success"}, "body": body})
    return json_response(200, {"responses": responses})
