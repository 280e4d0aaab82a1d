"""Amazon's marketplaces: ids, regions, currencies and the local time the seller sees."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Marketplace:
    country_code: str
    id: str
    region: str
    currency: str
    name: str
    domain: str
    language: str
    # Standard-time offset of the marketplace's reference zone; good enough to split days the
    # way Seller Central does without shipping a tz database.
    utc_offset_hours: int
    # Units of this currency per US dollar, to derive local prices and fees from one catalogue.
    fx: Decimal
    # Share of a seller's US demand that this marketplace sees.
    demand_share: float
    # Sales tax added on top of the price and collected by Amazon as marketplace facilitator
    # (US, CA, MX). Elsewhere prices include VAT, so nothing is added.
    tax_rate: Decimal

    def local_date(self, moment: dt.datetime) -> dt.date:
        return (moment + dt.timedelta(hours=self.utc_offset_hours)).date()


_ALL = (
    Marketplace(
        "US",
        "ATVPDKIKX0DER",
        "NA",
        "USD",
        "Amazon.com",
        "www.amazon.com",
        "en_US",
        -8,
        Decimal("1"),
        1.0,
        Decimal("0.07"),
    ),
    Marketplace(
        "CA",
        "A2EUQ1WTGCTBG2",
        "NA",
        "CAD",
        "Amazon.ca",
        "www.amazon.ca",
        "en_CA",
        -5,
        Decimal("1.35"),
        0.16,
        Decimal("0.13"),
    ),
    Marketplace(
        "MX",
        "A1AM78C64UM0Y8",
        "NA",
        "MXN",
        "Amazon.com.mx",
        "www.amazon.com.mx",
        "es_MX",
        -6,
        Decimal("18"),
        0.08,
        Decimal("0.16"),
    ),
    Marketplace(
        "BR",
        "A2Q3Y263D00KWC",
        "NA",
        "BRL",
        "Amazon.com.br",
        "www.amazon.com.br",
        "pt_BR",
        -3,
        Decimal("5"),
        0.06,
        Decimal("0"),
    ),
    Marketplace(
        "UK",
        "A1F83G8C2ARO7P",
        "EU",
        "GBP",
        "Amazon.co.uk",
        "www.amazon.co.uk",
        "en_GB",
        0,
        Decimal("0.8"),
        0.5,
        Decimal("0"),
    ),
    Marketplace(
        "DE",
        "A1PA6795UKMFR9",
        "EU",
        "EUR",
        "Amazon.de",
        "www.amazon.de",
        "de_DE",
        1,
        Decimal("0.92"),
        0.6,
        Decimal("0"),
    ),
    Marketplace(
        "FR",
        "A13V1IB3VIYZZH",
        "EU",
        "EUR",
        "Amazon.fr",
        "www.amazon.fr",
        "fr_FR",
        1,
        Decimal("0.92"),
        0.3,
        Decimal("0"),
    ),
    Marketplace(
        "IT",
        "APJ6JRA9NG5V4",
        "EU",
        "EUR",
        "Amazon.it",
        "www.amazon.it",
        "it_IT",
        1,
        Decimal("0.92"),
        0.25,
        Decimal("0"),
    ),
    Marketplace(
        "ES",
        "A1RKKUPIHCS9HS",
        "EU",
        "EUR",
        "Amazon.es",
        "www.amazon.es",
        "es_ES",
        1,
        Decimal("0.92"),
        0.2,
        Decimal("0"),
    ),
    Marketplace(
        "JP",
        "A1VC38T7YXB528",
        "FE",
        "JPY",
        "Amazon.co.jp",
        "www.amazon.co.jp",
        "ja_JP",
        9,
        Decimal("150"),
        0.4,
        Decimal("0"),
    ),
    Marketplace(
        "AU",
        "A39IBJ37TRP1C6",
        "FE",
        "AUD",
        "Amazon.com.au",
        "www.amazon.com.au",
        "en_AU",
        10,
        Decimal("1.5"),
        0.15,
        Decimal("0"),
    ),
)

BY_COUNTRY: dict[str, Marketplace] = {m.country_code: m for m in _ALL}
BY_COUNTRY["GB"] = BY_COUNTRY["UK"]
BY_ID: dict[str, Marketplace] = {m.id: m for m in _ALL}

# Currencies without minor units on Amazon.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})


def by_country(code: str) -> Marketplace:
    try:
        return BY_COUNTRY[code.upper()]
    except KeyError:
        raise ValueError(f"unknown marketplace {code!r}; known: {sorted(BY_COUNTRY)}") from None
