"""SpApiClient against recorded real SP-API responses and scripted failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from spapi.client import SpApiClient, fees_estimate_request, format_param
from spapi.errors import (
    AuthorizationRevoked,
    BadResponse,
    InvalidInput,
    NotFound,
    RequestTimeout,
    ServerError,
    Throttled,
    TransportError,
    Unauthorized,
)
from spapi.lwa import SCOPE_NOTIFICATIONS
from spapi.ratelimit import MemoryLimiter

from .conftest import REFRESH_TOKEN, SELLER_ID, FakeAmazon, FakeClock, load_fixture, recorded

PRICING = "/products/pricing/v0/price"
GET_REPORT = "/reports/2021-06-30/reports/1234567"


def test_it_sends_the_token_header_and_user_agent(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(PRICING, recorded("test_get_pricing--getPricing.1"))

    body = client.get_pricing(marketplace_id="A1F83G8C2ARO7P", asins=["188864544X"])

    request = amazon.calls(PRICING)[0]
    assert request.headers["x-amz-access-token"] == "Atza|IwEBIcanary-access-token-1"
    assert request.headers["user-agent"].startswith("AMS-spapi/")
    assert dict(request.url.params) == {
        "MarketplaceId": "A1F83G8C2ARO7P",
        "ItemType": "Asin",
        "Asins": "188864544X",
    }
    assert body["payload"][0]["ASIN"] == "188864544X"


def test_the_recorded_quota_exceeded_is_throttled(amazon: FakeAmazon, client: SpApiClient, limiter):
    amazon.add(PRICING, recorded("test_quota_exceeded--getPricing.1"))

    with pytest.raises(Throttled) as raised:
        client.get_pricing(marketplace_id="A1F83G8C2ARO7P", asins=["188864544X"])

    error = raised.value
    assert error.status == 429
    assert error.code == "QuotaExceeded"
    assert error.message == "You exceeded your quota for the requested resource."
    assert error.request_id == "deedae60-32f4-48cd-a21e-927be515432d"
    assert error.operation == "productPricingV0.getPricing"
    assert len(amazon.calls(PRICING)) == client.retry.max_attempts


def test_a_429_drains_the_bucket_and_the_retry_waits_for_a_token(
    amazon: FakeAmazon, client: SpApiClient, clock: FakeClock
):
    amazon.add(
        PRICING,
        recorded("test_quota_exceeded--getPricing.1"),
        recorded("test_get_pricing--getPricing.1"),
    )

    client.get_pricing(marketplace_id="A1F83G8C2ARO7P", asins=["188864544X"])

    # getPricing: 0.5 rps, burst 1.  The 429 emptied the bucket: the retry waited ~2 s for a
    # token (minus the jittered backoff already slept), not just the backoff.
    assert len(amazon.calls(PRICING)) == 2
    assert sum(clock.slept) >= 2.0


def test_the_recorded_403_is_unauthorized(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(GET_REPORT, recorded("test_forbidden--root.1"))

    with pytest.raises(Unauthorized) as raised:
        client.get_report("1234567")

    assert raised.value.status == 403
    assert raised.value.code == "Unauthorized"
    assert raised.value.message == "Access to requested resource is denied."


def test_a_403_with_a_cached_token_retries_once_with_a_new_token(
    amazon: FakeAmazon, client: SpApiClient
):
    amazon.add(GET_REPORT, recorded("test_get_report--getReport.1"))
    client.get_report("1234567")  # caches token 1
    amazon.routes[GET_REPORT] = [
        recorded("test_forbidden--root.1"),
        recorded("test_get_report--getReport.1"),
    ]

    report = client.get_report("1234567")

    assert report["processingStatus"] == "DONE"
    tokens = [r.headers["x-amz-access-token"] for r in amazon.calls(GET_REPORT)]
    assert tokens == [
        "Atza|IwEBIcanary-access-token-1",
        "Atza|IwEBIcanary-access-token-1",
        "Atza|IwEBIcanary-access-token-2",
    ]


def test_a_403_with_a_new_token_is_not_retried(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(GET_REPORT, recorded("test_forbidden--root.1"))

    with pytest.raises(Unauthorized):
        client.get_report("1234567")

    assert len(amazon.calls(GET_REPORT)) == 1
    assert amazon.token_count == 1


def test_the_recorded_404_is_not_found(
    amazon: FakeAmazon, client: SpApiClient, limiter: MemoryLimiter
):
    amazon.add(GET_REPORT, recorded("test_not_found--getReport.1"))

    with pytest.raises(NotFound) as raised:
        client.get_report("1234567")

    assert raised.value.code == "NotFound"
    assert "ReportRequestIds could not be found" in raised.value.message
    assert len(amazon.calls(GET_REPORT)) == 1
    # The error response still carried x-amzn-RateLimit-Limit: 2.0.
    assert limiter.rate(SELLER_ID, "reports_2021-06-30.getReport") == 2.0


def test_5xx_is_retried_with_backoff(amazon: FakeAmazon, client: SpApiClient, clock: FakeClock):
    amazon.add(
        GET_REPORT,
        httpx.Response(
            500,
            json={
                "errors": [
                    {"code": "InternalFailure", "message": "We encountered an internal error."}
                ]
            },
        ),
        httpx.Response(503, text="Service Unavailable"),
        httpx.Response(502, text=""),
        recorded("test_get_report--getReport.1"),
    )

    report = client.get_report("1234567")

    assert report["reportId"] == "292248019978"
    assert len(amazon.calls(GET_REPORT)) == 4
    # rng() == 1.0 in the fixture, so the backoff is the cap of each step: 0.5, 1, 2.
    assert clock.slept[:3] == [0.5, 1.0, 2.0]


def test_5xx_gives_up_after_max_attempts(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        GET_REPORT,
        httpx.Response(503, json={"errors": [{"code": "ServiceUnavailable", "message": "down"}]}),
    )

    with pytest.raises(ServerError) as raised:
        client.get_report("1234567")

    assert raised.value.code == "ServiceUnavailable"
    assert raised.value.attempts == 4
    assert len(amazon.calls(GET_REPORT)) == 4


def test_400_is_invalid_input_and_not_retried(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        GET_REPORT,
        httpx.Response(
            400,
            json={"errors": [{"code": "InvalidInput", "message": "bad", "details": "reportId"}]},
        ),
    )

    with pytest.raises(InvalidInput) as raised:
        client.get_report("1234567")

    assert raised.value.details == "reportId"
    assert len(amazon.calls(GET_REPORT)) == 1


def test_timeouts_are_retried_then_raised(amazon: FakeAmazon, client: SpApiClient):
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    amazon.add(GET_REPORT, time_out)

    with pytest.raises(RequestTimeout):
        client.get_report("1234567")

    assert len(amazon.calls(GET_REPORT)) == 4


def test_connection_errors_are_transport_errors(amazon: FakeAmazon, client: SpApiClient):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    amazon.add(GET_REPORT, refuse, recorded("test_get_report--getReport.1"))

    assert client.get_report("1234567")["reportId"] == "292248019978"

    amazon.routes[GET_REPORT] = [refuse]
    with pytest.raises(TransportError):
        client.get_report("1234567")


def test_a_non_json_success_is_a_bad_response(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        GET_REPORT,
        httpx.Response(200, text="<html>oops</html>", headers={"x-amzn-RequestId": "r-1"}),
    )

    with pytest.raises(BadResponse) as raised:
        client.get_report("1234567")

    assert raised.value.request_id == "r-1"


def test_revoked_authorization_surfaces_from_any_call(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        "/auth/o2/token",
        httpx.Response(
            400,
            json={
                "error": "invalid_grant",
                "error_description": "The request has an invalid grant parameter : refresh_token",
            },
        ),
    )

    with pytest.raises(AuthorizationRevoked):
        client.get_report("1234567")

    assert amazon.calls(GET_REPORT) == []


def test_the_access_token_is_reused_until_shortly_before_expiry(
    amazon: FakeAmazon, client: SpApiClient, clock: FakeClock
):
    amazon.add(GET_REPORT, recorded("test_get_report--getReport.1"))

    client.get_report("1234567")
    clock.now += 3600 - 61
    client.get_report("1234567")
    assert amazon.token_count == 1
    clock.now += 2  # now inside the 60 s margin
    client.get_report("1234567")
    assert amazon.token_count == 2


def test_the_refresh_token_is_read_just_in_time(
    amazon: FakeAmazon, client: SpApiClient, clock: FakeClock
):
    calls = []

    def provider() -> str:
        calls.append(1)
        return REFRESH_TOKEN

    client._refresh_token_provider = provider
    amazon.add(GET_REPORT, recorded("test_get_report--getReport.1"))
    client.get_report("1234567")
    client.get_report("1234567")

    assert len(calls) == 1
    assert REFRESH_TOKEN not in repr(client)
    assert not any(REFRESH_TOKEN in repr(v) for v in vars(client).values())


def test_marketplace_participations_recorded(
    amazon: FakeAmazon, client: SpApiClient, limiter: MemoryLimiter
):
    amazon.add(
        "/sellers/v1/marketplaceParticipations",
        recorded("test_marketplace_participations--getMarketplaceParticipations.1"),
    )

    body = client.get_marketplace_participations()

    ids = {p["marketplace"]["id"] for p in body["payload"]}
    assert "A1F83G8C2ARO7P" in ids
    assert limiter.rate(SELLER_ID, "sellers.getMarketplaceParticipations") == 0.016


def test_search_catalog_items_recorded(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        "/catalog/2022-04-01/items", recorded("test_search_catalog_items--searchCatalogItems.1")
    )

    body = client.search_catalog_items(
        marketplace_ids=["A1F83G8C2ARO7P"], identifiers=["188864544X"], identifiers_type="ASIN"
    )

    assert body["items"][0]["asin"] == "188864544X"
    params = amazon.calls("/catalog/2022-04-01/items")[0].url.params
    assert params["identifiersType"] == "ASIN"
    assert "sellerId" not in params


def test_get_listings_item_recorded(amazon: FakeAmazon, client: SpApiClient):
    path = f"/listings/2021-08-01/items/{SELLER_ID}/SKU123"
    amazon.add(path, recorded("test_get_listings_item--getListingsItem.1"))

    body = client.get_listings_item(
        "SKU123", marketplace_ids=["A1F83G8C2ARO7P"], included_data=["summaries", "attributes"]
    )

    assert body["sku"] == "SKU123"
    assert amazon.calls(path)[0].url.params["includedData"] == "summaries,attributes"


def test_a_sku_with_a_slash_is_percent_encoded(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(f"/listings/2021-08-01/items/{SELLER_ID}/A/B 1", httpx.Response(200, json={}))

    client.get_listings_item("A/B 1", marketplace_ids=["A1F83G8C2ARO7P"])

    assert (
        amazon.requests[-1]
        .url.raw_path.decode()
        .startswith(f"/listings/2021-08-01/items/{SELLER_ID}/A%2FB%201?")
    )


def test_get_orders_v0_recorded(amazon: FakeAmazon, client: SpApiClient):
    amazon.add("/orders/v0/orders", recorded("test_get_orders--getOrders.1"))

    body = client.get_orders(
        marketplace_ids=["ATVPDKIKX0DER"], created_after=datetime(2024, 1, 1, tzinfo=UTC)
    )

    assert body["payload"]["Orders"][0]["AmazonOrderId"]
    assert amazon.requests[-1].url.params["CreatedAfter"] == "2024-01-01T00:00:00Z"


def test_pricing_recorded(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        "/products/pricing/v0/competitivePrice",
        recorded("test_get_competitive_pricing--getCompetitivePricing.1"),
    )
    amazon.add(
        "/products/pricing/v0/items/B0CHXFCYCR/offers",
        recorded("test_get_item_offers--getItemOffers.1"),
    )

    competitive = client.get_competitive_pricing(
        marketplace_id="A1F83G8C2ARO7P", asins=["188864544X"]
    )
    offers = client.get_item_offers("B0CHXFCYCR", marketplace_id="A1F83G8C2ARO7P")

    assert competitive["payload"][0]["ASIN"] == "188864544X"
    assert offers["payload"]["ASIN"] == "B0CHXFCYCR"
    assert amazon.requests[-1].url.params["ItemCondition"] == "New"


def test_reports_recorded(amazon: FakeAmazon, client: SpApiClient):
    amazon.add("/reports/2021-06-30/reports", recorded("test_create_report--createReport.1"))
    created = client.create_report(
        "GET_MERCHANTS_LISTINGS_FYP_REPORT", marketplace_ids=["A1F83G8C2ARO7P"]
    )
    assert created == {"reportId": "292248019978"}
    sent = json.loads(amazon.requests[-1].content)
    assert sent == {
        "reportType": "GET_MERCHANTS_LISTINGS_FYP_REPORT",
        "marketplaceIds": ["A1F83G8C2ARO7P"],
    }
    assert amazon.requests[-1].headers["content-type"] == "application/json"

    amazon.routes["/reports/2021-06-30/reports"] = [recorded("test_get_reports--getReports.1")]
    listed = client.get_reports(report_types=["GET_MERCHANTS_LISTINGS_FYP_REPORT"], page_size=10)
    assert listed["reports"][0]["reportId"] == "292248019978"
    assert dict(amazon.requests[-1].url.params) == {
        "reportTypes": "GET_MERCHANTS_LISTINGS_FYP_REPORT",
        "pageSize": "10",
    }

    amazon.add(
        "/reports/2021-06-30/documents/amzn1.spdoc.123",
        recorded("test_get_report_document--getReportDocument.1"),
    )
    document = client.get_report_document("amzn1.spdoc.123")
    assert "X-Amz-Expires=300" in document["url"]


def test_fees_estimate_body(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        "/products/fees/v0/listings/SKU-1/feesEstimate", httpx.Response(200, json={"payload": {}})
    )

    client.get_my_fees_estimate_for_sku(
        "SKU-1",
        fees_estimate_request(
            marketplace_id="ATVPDKIKX0DER", price="19.99", currency="USD", identifier="req-1"
        ),
    )

    sent = json.loads(amazon.requests[-1].content)
    assert sent["FeesEstimateRequest"]["PriceToEstimateFees"]["ListingPrice"] == {
        "CurrencyCode": "USD",
        "Amount": 19.99,
    }
    assert amazon.requests[-1].method == "POST"


def test_format_param_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        format_param(datetime(2024, 1, 1))  # noqa: DTZ001


def test_pages_of_get_reports_drop_the_filters(amazon: FakeAmazon, client: SpApiClient):
    page1 = {"reports": [{"reportId": "1"}], "nextToken": "tok-2"}
    page2 = {"reports": [{"reportId": "2"}]}
    amazon.add(
        "/reports/2021-06-30/reports",
        httpx.Response(200, json=page1),
        httpx.Response(200, json=page2),
    )

    pages = list(
        client.iter_pages(
            client.get_reports, report_types=["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"]
        )
    )

    assert [p["reports"][0]["reportId"] for p in pages] == ["1", "2"]
    assert dict(amazon.requests[-1].url.params) == {"nextToken": "tok-2"}


def test_pages_of_search_orders_use_pagination_token(amazon: FakeAmazon, client: SpApiClient):
    path = "/orders/2026-01-01/orders"
    amazon.add(
        path,
        httpx.Response(200, json={"orders": [1], "pagination": {"nextToken": "p2"}}),
        httpx.Response(200, json={"orders": [2], "pagination": {"nextToken": "p3"}}),
        httpx.Response(200, json={"orders": [3], "pagination": {}}),
    )

    pages = list(
        client.iter_pages(
            client.search_orders,
            marketplace_ids=["ATVPDKIKX0DER"],
            last_updated_after=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )

    assert [p["orders"] for p in pages] == [[1], [2], [3]]
    params = [dict(r.url.params) for r in amazon.calls(path)]
    assert "paginationToken" not in params[0]
    assert params[1]["paginationToken"] == "p2"
    assert params[2]["paginationToken"] == "p3"
    assert params[2]["lastUpdatedAfter"] == "2026-01-01T00:00:00Z"


def test_iter_pages_refuses_unpaginated_methods(client: SpApiClient):
    with pytest.raises(TypeError):
        list(client.iter_pages(client.get_report, report_id="1"))


def test_fixture_sources_are_recorded():
    # Every fixture names the cassette interaction it came from (see fixtures/README.md).
    assert load_fixture("test_quota_exceeded--getPricing.1")["source"].startswith(
        "hakanensari/peddler@"
    )


def test_a_grantless_client_uses_client_credentials(
    amazon: FakeAmazon, lwa, http, clock: FakeClock
):
    grantless = SpApiClient(
        "https://sellingpartnerapi-eu.amazon.com",
        lwa,
        SELLER_ID,
        None,
        http=http,
        grantless_scope=SCOPE_NOTIFICATIONS,
        clock=clock,
        sleep=clock.sleep,
    )
    amazon.add("/auth/o2/token", recorded("test_grantless_grant--lwa_token.1"))
    amazon.add("/notifications/v1/destinations", httpx.Response(200, json={"payload": []}))

    assert grantless.call("notifications.getDestinations") == {"payload": []}
    form = amazon.calls("/auth/o2/token")[0].content.decode()
    assert "grant_type=client_credentials" in form
    assert grantless.token_key == "grantless:sellingpartnerapi::notifications"


def test_a_client_needs_a_refresh_token_or_a_scope(lwa):
    with pytest.raises(ValueError, match="grantless"):
        SpApiClient("https://x", lwa, SELLER_ID, None)
