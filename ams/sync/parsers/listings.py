"""Listings (Listings Items 2021-08-01), catalogue items (Catalog Items 2022-04-01), competitive
pricing and fee estimates, as the catalog app's rows (ams/catalog/writers.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ams.catalog.writers import BuyBoxRow, FeeEstimateRow, ListingRow, ProductRow
from ams.sync.parsers.flatfile import RowError


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise RowError(f"not an amount: {str(value)[:30]!r}") from None


def listing_status(flags: list[str], issues: Sequence[Mapping[str, Any]]) -> str:
    """Amazon's status flags and issues to AMS's status."""
    if "BUYABLE" in flags:
        return "active"
    suppressed = any(
        a.get("action") == "SEARCH_SUPPRESSED"
        for i in issues
        for a in ((i.get("enforcements") or {}).get("actions") or [])
        if isinstance(a, dict)
    )
    if suppressed or not flags:
        return "suppressed"
    if any(i.get("severity") == "ERROR" for i in issues):
        return "incomplete"
    return "inactive"


def listing_row(marketplace_id: str, item: Mapping[str, Any]) -> ListingRow:
    sku = str(item.get("sku") or "")[:64]
    if not sku:
        raise RowError("a listing without sku")
    summary = next(
        (
            s
            for s in item.get("summaries") or []
            if isinstance(s, dict) and s.get("marketplaceId") == marketplace_id
        ),
        None,
    )
    if summary is None:
        raise RowError(f"listing {sku}: no summary for marketplace {marketplace_id}")
    issues = [
        i
        for i in item.get("issues") or []
        if isinstance(i, dict) and marketplace_id in (i.get("marketplaceIds") or [marketplace_id])
    ]
    offer = next(
        (
            o
            for o in item.get("offers") or []
            if isinstance(o, dict) and o.get("marketplaceId") == marketplace_id
        ),
        None,
    )
    price = currency = None
    if offer is not None:
        money = offer.get("price") or {}
        price = _decimal(money.get("amount"))
        currency = str(money.get("currencyCode") or "")[:3]
    availability = [a for a in item.get("fulfillmentAvailability") or [] if isinstance(a, dict)]
    merchant = next((a for a in availability if a.get("fulfillmentChannelCode") == "DEFAULT"), None)
    channel = (
        "MFN"
        if merchant is not None or (availability == [] and not summary.get("fnSku"))
        else "AFN"
    )
    quantity = int(merchant.get("quantity") or 0) if merchant is not None else None
    return ListingRow(
        marketplace_id,
        sku,
        str(summary.get("asin") or "")[:16],
        str(summary.get("itemName") or "")[:500],
        listing_status([str(f) for f in summary.get("status") or []], issues),
        channel,
        currency or "",
        price,
        quantity,
        len(issues),
        "; ".join(str(i.get("message") or "") for i in issues)[:300],
        str((summary.get("mainImage") or {}).get("link") or "")[:500],
    )


_TO_CM = {
    "inches": Decimal("2.54"),
    "centimeters": Decimal(1),
    "millimeters": Decimal("0.1"),
    "meters": Decimal(100),
}
_TO_G = {
    "pounds": Decimal("453.59237"),
    "kilograms": Decimal(1000),
    "grams": Decimal(1),
    "ounces": Decimal("28.349523"),
}


def _measure(value: Any, table: Mapping[str, Decimal]) -> Decimal | None:
    if not isinstance(value, dict) or value.get("value") is None:
        return None
    factor = table.get(str(value.get("unit") or "").lower())
    if factor is None:
        return None
    return (Decimal(str(value["value"])) * factor).quantize(Decimal("0.01"))


def _for(entries: Any, marketplace_id: str) -> dict[str, Any]:
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("marketplaceId") == marketplace_id:
            return entry
    return {}


def product_row(marketplace_id: str, item: Mapping[str, Any]) -> ProductRow:
    asin = str(item.get("asin") or "")[:16]
    if not asin:
        raise RowError("a catalogue item without asin")
    summary = _for(item.get("summaries"), marketplace_id)
    images = _for(item.get("images"), marketplace_id).get("images") or []
    main = next((i for i in images if isinstance(i, dict) and i.get("variant") == "MAIN"), None)
    dimensions = (_for(item.get("dimensions"), marketplace_id).get("item")) or {}
    category = (
        (summary.get("browseClassification") or {}).get("displayName")
        or summary.get("websiteDisplayGroupName")
        or ""
    )
    return ProductRow(
        marketplace_id,
        asin,
        str(summary.get("itemName") or "")[:500],
        str(summary.get("brand") or "")[:200],
        str((main or {}).get("link") or "")[:500],
        str(category)[:200],
        _measure(dimensions.get("length"), _TO_CM),
        _measure(dimensions.get("width"), _TO_CM),
        _measure(dimensions.get("height"), _TO_CM),
        _measure(dimensions.get("weight"), _TO_G),
    )


def pricing_row(marketplace_id: str, entry: Mapping[str, Any]) -> BuyBoxRow | None:
    """The buy box of one getCompetitivePricing result; None for a per-item error."""
    if entry.get("status") != "Success":
        return None
    asin = str(entry.get("ASIN") or "")[:16]
    prices = ((entry.get("Product") or {}).get("CompetitivePricing") or {}).get(
        "CompetitivePrices"
    ) or []
    box = next(
        (p for p in prices if isinstance(p, dict) and str(p.get("CompetitivePriceId")) == "1"), None
    )
    if box is None:
        return BuyBoxRow(marketplace_id, asin, None, None)
    landed = (box.get("Price") or {}).get("LandedPrice") or {}
    return BuyBoxRow(
        marketplace_id, asin, _decimal(landed.get("Amount")), bool(box.get("belongsToRequester"))
    )


def fee_row(marketplace_id: str, result: Mapping[str, Any]) -> FeeEstimateRow | None:
    if result.get("Status") != "Success":
        return None
    identifier = result.get("FeesEstimateIdentifier") or {}
    total = ((result.get("FeesEstimate") or {}).get("TotalFeesEstimate")) or {}
    return FeeEstimateRow(
        marketplace_id, str(identifier.get("IdValue") or "")[:64], _decimal(total.get("Amount"))
    )
