"""Product Fees API v0: referral and FBA fee estimates for a price."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from spapi_sim.api.common import invalid, iso_seconds
from spapi_sim.http import Response, Router, json_response
from spapi_sim.money import ZERO, q
from spapi_sim.state import Context
from spapi_sim.world.catalog import Product


def register(router: Router) -> None:
    router.add(
        "POST",
        "/products/fees/v0/listings/{SellerSKU}/feesEstimate",
        get_fees_for_sku,
        operation="getMyFeesEstimateForSKU",
    )
    router.add(
        "POST",
        "/products/fees/v0/items/{Asin}/feesEstimate",
        get_fees_for_asin,
        operation="getMyFeesEstimateForASIN",
    )
    router.add(
        "POST", "/products/fees/v0/feesEstimate", get_fees_estimates, operation="getMyFeesEstimates"
    )


def _amount(money: Any, name: str) -> Decimal:
    if not isinstance(money, dict):
        raise invalid(f"{name} is required.")
    try:
        return Decimal(str(money.get("Amount")))
    except InvalidOperation:
        raise invalid(f"{name}.Amount must be a number.") from None


def _fee(fee_type: str, amount: Decimal, currency: str) -> dict[str, Any]:
    money = {"CurrencyCode": currency, "Amount": float(amount)}
    return {
        "FeeType": fee_type,
        "FeeAmount": money,
        "FeePromotion": {"CurrencyCode": currency, "Amount": 0.0},
        "FinalFee": money,
    }


def estimate(
    ctx: Context, request: Any, id_type: str, id_value: str, product: Product | None
) -> dict[str, Any]:
    """One FeesEstimateResult; an unknown item is a per-item ClientError, not an HTTP error."""
    if not isinstance(request, dict):
        raise invalid("FeesEstimateRequest is required.")
    world = ctx.seller
    marketplace_id = str(request.get("MarketplaceId", ""))
    mi = world.marketplace_index(marketplace_id)
    if mi is None:
        raise invalid(f"Invalid MarketplaceId {marketplace_id}.")
    m = world.marketplaces[mi]
    price_block = request.get("PriceToEstimateFees")
    if not isinstance(price_block, dict):
        raise invalid("PriceToEstimateFees is required.")
    listing = _amount(price_block.get("ListingPrice"), "ListingPrice")
    shipping = _amount(price_block["Shipping"], "Shipping") if price_block.get("Shipping") else ZERO
    fba = bool(request.get("IsAmazonFulfilled", product.channel == "AFN" if product else False))
    identifier = {
        "MarketplaceId": m.id,
        "SellerId": world.selling_partner_id,
        "IdType": id_type,
        "IdValue": id_value,
        "IsAmazonFulfilled": fba,
        "PriceToEstimateFees": price_block,
        "SellerInputIdentifier": str(request.get("Identifier", "")),
    }
    if product is None:
        return {
            "Status": "ClientError",
            "FeesEstimateIdentifier": identifier,
            "Error": {
                "Type": "Sender",
                "Code": "InvalidParameterValue",
                "Message": f"There is no matching {id_type} for {id_value}.",
                "Detail": [],
            },
        }
    referral = product.referral_fee(listing + shipping, m)
    fees = [
        _fee("ReferralFee", referral, m.currency),
        _fee("VariableClosingFee", ZERO, m.currency),
        _fee("PerItemFee", ZERO, m.currency),
    ]
    total = referral
    if fba:
        fba_fee = product.fba_fee(m)
        fees.append(_fee("FBAFees", fba_fee, m.currency))
        total += fba_fee
    return {
        "Status": "Success",
        "FeesEstimateIdentifier": identifier,
        "FeesEstimate": {
            "TimeOfFeesEstimation": iso_seconds(ctx, ctx.now),
            "TotalFeesEstimate": {
                "CurrencyCode": m.currency,
                "Amount": float(q(total, m.currency)),
            },
            "FeeDetailList": fees,
        },
    }


def _body(ctx: Context) -> Any:
    try:
        return ctx.request.json()
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None


def get_fees_for_sku(ctx: Context) -> Response:
    body = _body(ctx)
    request = body.get("FeesEstimateRequest") if isinstance(body, dict) else None
    sku = ctx.request.params["SellerSKU"]
    result = estimate(ctx, request, "SellerSKU", sku, ctx.seller.by_sku.get(sku))
    return json_response(200, {"payload": {"FeesEstimateResult": result}})


def get_fees_for_asin(ctx: Context) -> Response:
    body = _body(ctx)
    request = body.get("FeesEstimateRequest") if isinstance(body, dict) else None
    asin = ctx.request.params["Asin"]
    result = estimate(ctx, request, "ASIN", asin, ctx.seller.by_asin.get(asin))
    return json_response(200, {"payload": {"FeesEstimateResult": result}})


def get_fees_estimates(ctx: Context) -> Response:
    body = _body(ctx)
    if not isinstance(body, list) or not 1 <= len(body) <= 20:
        raise invalid("The body must be a list of 1 to 20 fee estimate requests.")
    results = []
    for entry in body:
        if not isinstance(entry, dict):
            raise invalid("Each entry must be an object.")
        id_type = str(entry.get("IdType", ""))
        id_value = str(entry.get("IdValue", ""))
        if id_type not in ("ASIN", "SellerSKU"):
            raise invalid("IdType must be ASIN or SellerSKU.")
        index = ctx.seller.by_asin if id_type == "ASIN" else ctx.seller.by_sku
        results.append(
            estimate(ctx, entry.get("FeesEstimateRequest"), id_type, id_value, index.get(id_value))
        )
    return json_response(200, results)
