"""Regions, endpoints, marketplaces and Seller Central consent URLs.

Authorization is regional: one consent covers every marketplace of NA, EU or FE, and calls
for all of them go to that region's endpoint.  Sources: SP-API docs "SP-API Endpoints",
"Marketplace IDs", "Website Authorization Workflow" .
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from spapi.lwa import LWA_TOKEN_URL


class Region(StrEnum):
    NA = "NA"
    EU = "EU"
    FE = "FE"


@dataclass(frozen=True, slots=True)
class RegionInfo:
    region: Region
    endpoint: str
    sandbox_endpoint: str
    aws_region: str  # only for legacy SigV4 signing, which SP-API no longer requires
    lwa_token_url: str


# SP-API's documentation uses api.amazon.com (LWA_TOKEN_URL) for every region; LWA also
# serves api.amazon.co.uk (EU) and api.amazon.co.jp (FE).

REGIONS: dict[Region, RegionInfo] = {
    Region.NA: RegionInfo(
        Region.NA,
        "https://sellingpartnerapi-na.amazon.com",
        "https://sandbox.sellingpartnerapi-na.amazon.com",
        "us-east-1",
        LWA_TOKEN_URL,
    ),
    Region.EU: RegionInfo(
        Region.EU,
        "https://sellingpartnerapi-eu.amazon.com",
        "https://sandbox.sellingpartnerapi-eu.amazon.com",
        "eu-west-1",
        LWA_TOKEN_URL,
    ),
    Region.FE: RegionInfo(
        Region.FE,
        "https://sellingpartnerapi-fe.amazon.com",
        "https://sandbox.sellingpartnerapi-fe.amazon.com",
        "us-west-2",
        LWA_TOKEN_URL,
    ),
}


@dataclass(frozen=True, slots=True)
class Marketplace:
    id: str
    country_code: str  # ISO 3166-1 alpha-2 (GB, not UK)
    currency: str  # the marketplace's default currency (ISO 4217)
    region: Region
    seller_central_url: str
    # Seller Central counts a marketplace's sales by its local calendar day, in this zone.
    time_zone: str
    name: str


_EUROPE = "https://sellercentral-europe.amazon.com"

MARKETPLACES: dict[str, Marketplace] = {
    m.id: m
    for m in (
        Marketplace(
            "ATVPDKIKX0DER",
            "US",
            "USD",
            Region.NA,
            "https://sellercentral.amazon.com",
            "America/Los_Angeles",
            "United States",
        ),
        Marketplace(
            "A2EUQ1WTGCTBG2",
            "CA",
            "CAD",
            Region.NA,
            "https://sellercentral.amazon.ca",
            "America/Toronto",
            "Canada",
        ),
        Marketplace(
            "A1AM78C64UM0Y8",
            "MX",
            "MXN",
            Region.NA,
            "https://sellercentral.amazon.com.mx",
            "America/Mexico_City",
            "Mexico",
        ),
        Marketplace(
            "A2Q3Y263D00KWC",
            "BR",
            "BRL",
            Region.NA,
            "https://sellercentral.amazon.com.br",
            "America/Sao_Paulo",
            "Brazil",
        ),
        Marketplace(
            "A1F83G8C2ARO7P", "GB", "GBP", Region.EU, _EUROPE, "Europe/London", "United Kingdom"
        ),
        Marketplace("A1PA6795UKMFR9", "DE", "EUR", Region.EU, _EUROPE, "Europe/Berlin", "Germany"),
        Marketplace("A13V1IB3VIYZZH", "FR", "EUR", Region.EU, _EUROPE, "Europe/Paris", "France"),
        Marketplace("APJ6JRA9NG5V4", "IT", "EUR", Region.EU, _EUROPE, "Europe/Rome", "Italy"),
        Marketplace("A1RKKUPIHCS9HS", "ES", "EUR", Region.EU, _EUROPE, "Europe/Madrid", "Spain"),
        Marketplace(
            "A1805IZSGTT6HS",
            "NL",
            "EUR",
            Region.EU,
            "https://sellercentral.amazon.nl",
            "Europe/Amsterdam",
            "Netherlands",
        ),
        Marketplace(
            "AMEN7PMS3EDWL",
            "BE",
            "EUR",
            Region.EU,
            "https://sellercentral.amazon.com.be",
            "Europe/Brussels",
            "Belgium",
        ),
        Marketplace(
            "A28R8C7NBKEWEA",
            "IE",
            "EUR",
            Region.EU,
            "https://sellercentral.amazon.ie",
            "Europe/Dublin",
            "Ireland",
        ),
        Marketplace(
            "A2NODRKZP88ZB9",
            "SE",
            "SEK",
            Region.EU,
            "https://sellercentral.amazon.se",
            "Europe/Stockholm",
            "Sweden",
        ),
        Marketplace(
            "A1C3SOZRARQ6R3",
            "PL",
            "PLN",
            Region.EU,
            "https://sellercentral.amazon.pl",
            "Europe/Warsaw",
            "Poland",
        ),
        Marketplace(
            "A33AVAJ2PDY3EV",
            "TR",
            "TRY",
            Region.EU,
            "https://sellercentral.amazon.com.tr",
            "Europe/Istanbul",
            "Türkiye",
        ),
        Marketplace(
            "A2VIGQ35RCS4UG",
            "AE",
            "AED",
            Region.EU,
            "https://sellercentral.amazon.ae",
            "Asia/Dubai",
            "United Arab Emirates",
        ),
        Marketplace(
            "A17E79C6D8DWNP",
            "SA",
            "SAR",
            Region.EU,
            "https://sellercentral.amazon.sa",
            "Asia/Riyadh",
            "Saudi Arabia",
        ),
        Marketplace(
            "ARBP9OOSHTCHU",
            "EG",
            "EGP",
            Region.EU,
            "https://sellercentral.amazon.eg",
            "Africa/Cairo",
            "Egypt",
        ),
        Marketplace(
            "A21TJRUUN4KGV",
            "IN",
            "INR",
            Region.EU,
            "https://sellercentral.amazon.in",
            "Asia/Kolkata",
            "India",
        ),
        Marketplace(
            "AE08WJ6YKNBMC",
            "ZA",
            "ZAR",
            Region.EU,
            "https://sellercentral.amazon.co.za",
            "Africa/Johannesburg",
            "South Africa",
        ),
        Marketplace(
            "A1VC38T7YXB528",
            "JP",
            "JPY",
            Region.FE,
            "https://sellercentral.amazon.co.jp",
            "Asia/Tokyo",
            "Japan",
        ),
        Marketplace(
            "A39IBJ37TRP1C6",
            "AU",
            "AUD",
            Region.FE,
            "https://sellercentral.amazon.com.au",
            "Australia/Sydney",
            "Australia",
        ),
        Marketplace(
            "A19VAU5U5O7RUS",
            "SG",
            "SGD",
            Region.FE,
            "https://sellercentral.amazon.sg",
            "Asia/Singapore",
            "Singapore",
        ),
    )
}

# Report documents from these marketplaces come in a legacy encoding when S3 states no charset.
REPORT_ENCODINGS: dict[str, str] = {"A1VC38T7YXB528": "cp932"}


def marketplace(marketplace_id: str) -> Marketplace:
    try:
        return MARKETPLACES[marketplace_id]
    except KeyError:
        raise KeyError(f"unknown marketplace id {marketplace_id!r}") from None


def region_of(marketplace_id: str) -> RegionInfo:
    return REGIONS[marketplace(marketplace_id).region]


def marketplaces_in(region: Region) -> list[Marketplace]:
    return [m for m in MARKETPLACES.values() if m.region is region]


def consent_url(
    seller_central_url: str,
    *,
    application_id: str,
    state: str,
    redirect_uri: str | None = None,
    beta: bool = False,
) -> str:
    """The Seller Central page where a seller authorizes the app.

    ``application_id`` is the app id (``amzn1.sellerapps.app.…``), not the LWA client id.
    ``beta=True`` (``version=beta``) is required while the app is in Draft.  ``state`` must be a
    short-lived value bound to the user's session: it is the CSRF defence of the callback.
    """
    query = {"application_id": application_id, "state": state}
    if redirect_uri:
        query["redirect_uri"] = redirect_uri
    if beta:
        query["version"] = "beta"
    return f"{seller_central_url.rstrip('/')}/apps/authorize/consent?{urlencode(query)}"
