from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from spapi.regions import (
    MARKETPLACES,
    REGIONS,
    Region,
    consent_url,
    marketplace,
    marketplaces_in,
    region_of,
)


def test_marketplace_table_matches_amazon_ids():
    assert marketplace("ATVPDKIKX0DER").currency == "USD"
    assert marketplace("A1F83G8C2ARO7P").country_code == "GB"
    assert marketplace("A1VC38T7YXB528").region is Region.FE
    assert region_of("A1PA6795UKMFR9").endpoint == "https://sellingpartnerapi-eu.amazon.com"
    assert len(MARKETPLACES) == 23
    assert {m.country_code for m in marketplaces_in(Region.NA)} == {"US", "CA", "MX", "BR"}


def test_unknown_marketplace_is_a_key_error():
    with pytest.raises(KeyError):
        marketplace("NOPE")


def test_every_region_has_https_endpoints():
    for info in REGIONS.values():
        assert info.endpoint.startswith("https://sellingpartnerapi-")
        assert info.lwa_token_url == "https://api.amazon.com/auth/o2/token"


def test_consent_url():
    url = consent_url(
        "https://sellercentral-europe.amazon.com/",
        application_id="amzn1.sellerapps.app.123",
        state="s t&ate",
        redirect_uri="https://ams.example/amazon/callback",
        beta=True,
    )

    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == "https://sellercentral-europe.amazon.com/apps/authorize/consent"
    )
    assert parse_qs(parts.query) == {
        "application_id": ["amzn1.sellerapps.app.123"],
        "state": ["s t&ate"],
        "redirect_uri": ["https://ams.example/amazon/callback"],
        "version": ["beta"],
    }
    assert "version" not in consent_url("https://x", application_id="a", state="s")
