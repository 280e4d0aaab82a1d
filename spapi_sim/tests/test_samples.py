"""The simulator's shapes match Amazon's recorded exchanges and Amazon-authored samples.

Samples: spapi_sim/tests/amazon/samples (peddler cassettes, MIT; the models' sandbox examples,
Apache-2.0; see its README). For each operation: the sample's keys down to two levels exist at
the same places in the simulator's answer, except the fields listed in OMITTED with the reason;
and wherever both have a key, both hold the same kind of JSON value (object, array, string,
number, boolean).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from spapi_sim.tests.conftest import US, Api, amazon_data

# Sample keys the simulator leaves out on purpose.
PII = "buyer and address data need a restricted data token; the simulator serves no PII"
OMITTED: dict[str, dict[str, str]] = {
    "ordersV0__getOrder": {
        "/payload/BuyerInfo": PII,
        "/payload/DefaultShipFromLocationAddress": "merchant address of MFN easy-ship orders only",
        "/payload/EasyShipShipmentStatus": "Easy Ship (IN/EG) orders only",
        "/payload/FulfillmentInstruction": "multi-location inventory sellers only",
        "/payload/PaymentExecutionDetail": "cash-on-delivery orders only",
    },
    "orders_2026-01-01__searchOrders": {
        "/orders[]/fulfillmentOrders": "multi-channel fulfilment orders are not simulated",
        "/orders[]/payment": "payment executions: cash-on-delivery marketplaces only",
        "/orders[]/tax": "order-level tax registrations: business buyers only (PII)",
    },
    "orders_2026-01-01__getOrder": {
        "/order/fulfillmentOrders": "multi-channel fulfilment orders are not simulated",
        "/order/tax": "order-level tax registrations: business buyers only (PII)",
    },
    "catalogItems_2022-04-01__getCatalogItem": {
        "/attributes/*": "product-type attributes are open-ended; a few are served",
        "/relationships[]/relationships[]/*": "variation families are not simulated",
        "/vendorDetails[]/*": "vendor (1P) details; sellers get an empty list",
    },
    "catalogItems_2022-04-01__searchCatalogItems": {
        "/items[]/relationships[]/*": "variation families are not simulated",
        "/items[]/vendorDetails[]/*": "vendor (1P) details; sellers get an empty list",
    },
}


def _paths(node: Any, prefix: str = "") -> dict[str, set[str]]:
    """Key path -> kinds of JSON value found there (lists collapse to "[]")."""
    found: dict[str, set[str]] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                child_path = f"{path}/{key}"
                found.setdefault(child_path, set()).add(_kind(child))
                walk(child, child_path)
        elif isinstance(value, list):
            for child in value:
                walk(child, path + "[]")

    walk(node, prefix)
    return found


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def _union(responses: Any) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for response in responses if isinstance(responses, list) else [responses]:
        for path, kinds in _paths(response).items():
            merged.setdefault(path, set()).update(kinds)
    return merged


def _sample_paths(name: str) -> dict[str, set[str]]:
    data = json.loads(
        (amazon_data() / "samples" / "amzn-models-sandbox-examples" / f"{name}.json").read_text()
    )
    merged: dict[str, set[str]] = {}
    for example in data["examples"]:
        if not str(example["status"]).startswith("2"):
            continue
        response = example["response"]
        if isinstance(response, dict) and list(response) == ["application/json"]:
            response = response["application/json"]
        for path, kinds in _paths(response).items():
            merged.setdefault(path, set()).update(kinds)
    return merged


@pytest.fixture(scope="module")
def responses(api: Api) -> dict[str, Any]:
    orders = api.ok(
        "/orders/v0/orders",
        MarketplaceIds=US,
        CreatedAfter="2026-05-20T00:00:00Z",
        MaxResultsPerPage=5,
    )
    order_id = orders["payload"]["Orders"][0]["AmazonOrderId"]
    listings = api.ok(f"/listings/2021-08-01/items/{api.spid}", marketplaceIds=US, pageSize=20)
    items = listings["items"]
    sku = items[0]["sku"]
    asin = items[0]["summaries"][0]["asin"]
    suppressed = api.ok(
        f"/listings/2021-08-01/items/{api.spid}",
        marketplaceIds=US,
        withoutStatus="BUYABLE,DISCOVERABLE",
    )["items"][0]["sku"]
    groups = api.ok("/finances/v0/financialEventGroups", MaxResultsPerPage=2)
    group = groups["payload"]["FinancialEventGroupList"][-1]["FinancialEventGroupId"]
    created = api.post(
        "/reports/2021-06-30/reports",
        {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]},
    ).json()
    for _ in range(3):
        report = api.ok(f"/reports/2021-06-30/reports/{created['reportId']}")
    brand = (
        items[0]["attributes"]["brand"][0]["value"]
        if "attributes" in items[0]
        else api.ok(
            f"/listings/2021-08-01/items/{api.spid}/{sku}",
            marketplaceIds=US,
            includedData="attributes",
        )["attributes"]["brand"][0]["value"]
    )
    included_2026 = (
        "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX"
    )
    catalog_all = "attributes,classifications,dimensions,identifiers,images,productTypes,relationships,salesRanks,summaries,vendorDetails"
    listing_all = "summaries,attributes,issues,offers,fulfillmentAvailability,procurement,relationships,productTypes"
    return {
        "sellers__getMarketplaceParticipations": api.ok("/sellers/v1/marketplaceParticipations"),
        "ordersV0__getOrders": orders,
        "ordersV0__getOrder": api.ok(f"/orders/v0/orders/{order_id}"),
        # The sample pages through items; one item per page is how NextToken would show.
        "ordersV0__getOrderItems": {
            "payload": {
                **api.ok(f"/orders/v0/orders/{order_id}/orderItems")["payload"],
                "NextToken": None,
            }
        },
        "orders_2026-01-01__searchOrders": [
            api.ok(
                "/orders/2026-01-01/orders",
                createdAfter="2026-05-20T00:00:00Z",
                includedData=included_2026,
                maxResultsPerPage=5,
            ),
            api.ok(
                "/orders/2026-01-01/orders",
                lastUpdatedAfter="2026-05-30T00:00:00Z",
                includedData=included_2026,
                maxResultsPerPage=5,
            ),
        ],
        "orders_2026-01-01__getOrder": api.ok(
            f"/orders/2026-01-01/orders/{order_id}", includedData=included_2026
        ),
        "financesV0__listFinancialEventGroups": groups,
        "financesV0__listFinancialEventsByGroupId": api.ok(
            f"/finances/v0/financialEventGroups/{group}/financialEvents", MaxResultsPerPage=3
        ),
        "financesV0__listFinancialEvents": api.ok(
            "/finances/v0/financialEvents", PostedAfter="2026-05-01T00:00:00Z", MaxResultsPerPage=3
        ),
        "financesV0__listFinancialEventsByOrderId": {
            "payload": {
                **api.ok(f"/finances/v0/orders/{order_id}/financialEvents")["payload"],
                "NextToken": None,
            }
        },
        "finances_2024-06-19__listTransactions": api.ok(
            "/finances/2024-06-19/transactions", postedAfter="2026-05-01T00:00:00Z"
        ),
        "reports_2021-06-30__getReport": report,
        "reports_2021-06-30__getReports": api.ok(
            "/reports/2021-06-30/reports",
            reportTypes="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
            pageSize=1,
        ),
        "reports_2021-06-30__getReportDocument": api.ok(
            f"/reports/2021-06-30/documents/{report['reportDocumentId']}"
        ),
        "catalogItems_2022-04-01__getCatalogItem": api.ok(
            f"/catalog/2022-04-01/items/{asin}", marketplaceIds=US, includedData=catalog_all
        ),
        "catalogItems_2022-04-01__searchCatalogItems": api.ok(
            "/catalog/2022-04-01/items",
            marketplaceIds=US,
            keywords=brand,
            includedData=catalog_all,
            pageSize=1,
            pageToken=api.ok(
                "/catalog/2022-04-01/items", marketplaceIds=US, keywords=brand, pageSize=1
            )["pagination"]["nextToken"],
        ),
        "listingsItems_2021-08-01__getListingsItem": api.ok(
            f"/listings/2021-08-01/items/{api.spid}/{suppressed}",
            marketplaceIds=US,
            includedData=listing_all,
        ),
        "listingsItems_2021-08-01__searchListingsItems": api.ok(
            f"/listings/2021-08-01/items/{api.spid}",
            marketplaceIds=US,
            includedData=listing_all,
            pageSize=5,
            pageToken=listings["pagination"]["nextToken"],
        ),
        "productPricingV0__getPricing": [
            api.ok("/products/pricing/v0/price", MarketplaceId=US, ItemType="Asin", Asins=asin),
            api.ok("/products/pricing/v0/price", MarketplaceId=US, ItemType="Sku", Skus=sku),
        ],
        "productPricingV0__getCompetitivePricing": [
            api.ok(
                "/products/pricing/v0/competitivePrice",
                MarketplaceId=US,
                ItemType="Asin",
                Asins=asin,
            ),
            api.ok(
                "/products/pricing/v0/competitivePrice", MarketplaceId=US, ItemType="Sku", Skus=sku
            ),
        ],
        "productPricingV0__getItemOffers": api.ok(
            f"/products/pricing/v0/items/{asin}/offers", MarketplaceId=US, ItemCondition="New"
        ),
        "productPricingV0__getItemOffersBatch": api.post(
            "/batches/products/pricing/v0/itemOffers",
            {
                "requests": [
                    {
                        "uri": f"/products/pricing/v0/items/{asin}/offers",
                        "method": "GET",
                        "MarketplaceId": US,
                        "ItemCondition": "New",
                        "CustomerType": "Consumer",
                    }
                ]
            },
        ).json(),
        "productPricing_2022-05-01__getCompetitiveSummary": api.post(
            "/batches/products/pricing/2022-05-01/items/competitiveSummary",
            {
                "requests": [
                    {
                        "asin": asin,
                        "marketplaceId": US,
                        "includedData": [
                            "featuredBuyingOptions",
                            "referencePrices",
                            "lowestPricedOffers",
                            "similarItems",
                        ],
                        "lowestPricedOffersInputs": [
                            {"itemCondition": "New", "offerType": "Consumer"}
                        ],
                        "uri": "/products/pricing/2022-05-01/items/competitiveSummary",
                        "method": "GET",
                    }
                ]
            },
        ).json(),
        "productPricingV0__getListingOffers": api.ok(
            f"/products/pricing/v0/listings/{sku}/offers", MarketplaceId=US, ItemCondition="New"
        ),
    }


SAMPLES = [
    "sellers__getMarketplaceParticipations",
    "ordersV0__getOrders",
    "ordersV0__getOrder",
    "ordersV0__getOrderItems",
    "orders_2026-01-01__searchOrders",
    "orders_2026-01-01__getOrder",
    "financesV0__listFinancialEventGroups",
    "financesV0__listFinancialEventsByGroupId",
    "financesV0__listFinancialEvents",
    "financesV0__listFinancialEventsByOrderId",
    "finances_2024-06-19__listTransactions",
    "reports_2021-06-30__getReport",
    "reports_2021-06-30__getReports",
    "reports_2021-06-30__getReportDocument",
    "catalogItems_2022-04-01__getCatalogItem",
    "catalogItems_2022-04-01__searchCatalogItems",
    "listingsItems_2021-08-01__getListingsItem",
    "listingsItems_2021-08-01__searchListingsItems",
    "productPricingV0__getPricing",
    "productPricingV0__getCompetitivePricing",
    "productPricingV0__getItemOffers",
    "productPricingV0__getListingOffers",
    "productPricingV0__getItemOffersBatch",
    "productPricing_2022-05-01__getCompetitiveSummary",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_the_sample_keys_are_where_amazon_puts_them(responses: dict[str, Any], name: str):
    sample = _sample_paths(name)
    mine = _union(responses[name])
    omitted = OMITTED.get(name, {})

    def excused(path: str) -> bool:
        return any(path == o or (o.endswith("/*") and path.startswith(o[:-1])) for o in omitted)

    missing = sorted(p for p in sample if p.count("/") <= 2 and p not in mine and not excused(p))
    assert missing == []
    clashes = {
        p: (sorted(sample[p]), sorted(mine[p]))
        for p in sample.keys() & mine.keys()
        if "null" not in mine[p] and not sample[p] & mine[p]
    }
    assert clashes == {}


# -- recorded errors (peddler cassettes, real Amazon, 2024) ----------------------------------------


def _cassette_bodies(path: Path) -> list[tuple[int, dict[str, list[str]], str]]:
    """(status, headers, body) of each recorded response, read from the VCR YAML by hand."""
    text = path.read_text()
    result = []
    for block in text.split("- request:")[1:]:
        response = block.split("response:", 1)[1]
        status = int(re.search(r"code: (\d+)", response).group(1))  # type: ignore[union-attr]
        headers: dict[str, list[str]] = {}
        for name, value in re.findall(
            r"\n\s+([A-Za-z-]+):\n\s+- ['\"]?([^'\"\n]*)", response.split("body:")[0]
        ):
            headers.setdefault(name.lower(), []).append(value)
        body_part = response.split("body:", 1)[1]
        match = re.search(r"string: \|-\n(.*?)\n\s*(?:recorded_at|http_version)", body_part, re.S)
        found = match or re.search(r"string: '(.*?)'\n", body_part, re.S)
        assert found, "a cassette body in neither of YAML's two forms"
        body = found.group(1)
        result.append((status, headers, body))
    return result


def _cassette(*parts: str) -> list[tuple[int, dict[str, list[str]], str]]:
    return _cassette_bodies(
        amazon_data().joinpath("samples", "peddler-vcr-cassettes", "Peddler", *parts)
    )


def test_a_429_is_amazons_429():
    from spapi_sim import start_server
    from spapi_sim.tests.conftest import small_config

    recorded = next(
        r for r in _cassette("Error", "QuotaExceededTest", "test_quota_exceeded.yml") if r[0] == 429
    )
    with start_server(
        small_config(sellers=1, skus_per_seller=5, history_days=5, rate_scale=1)
    ) as server:
        api = Api(server)
        statuses = [
            api.get(
                "/products/pricing/v0/price", MarketplaceId=US, ItemType="Asin", Asins="B000000000"
            )
            for _ in range(2)
        ]
    throttled = statuses[1]
    assert throttled.status_code == 429
    assert throttled.json() == json.loads(recorded[2])
    assert throttled.headers["x-amzn-errortype"] == recorded[1]["x-amzn-errortype"][0]
    assert "x-amzn-ratelimit-limit" not in throttled.headers
    assert "x-amzn-ratelimit-limit" not in recorded[1]
    assert throttled.headers["x-amzn-requestid"]


def test_a_403_is_amazons_403(api: Api):
    recorded = next(r for r in _cassette("APITest", "test_client_error.yml") if r[0] == 403)
    response = api.http.get(
        "/sellers/v1/marketplaceParticipations", headers={"x-amz-access-token": "Atza|IwEBIforged"}
    )
    assert response.status_code == 403
    assert {**response.json()["errors"][0], "details": ""} == json.loads(recorded[2])["errors"][0]


def test_lwa_errors_have_amazons_keys(api: Api):
    recorded = next(r for r in _cassette("TokenTest", "test_bad_Token.yml") if r[0] == 400)
    expected = json.loads(recorded[2].replace("\n", " ").replace("The        ", "The "))
    response = api.http.post(
        "/auth/o2/token", data={"grant_type": "nonsense", "client_id": "x", "client_secret": "y"}
    )
    assert response.status_code == 400
    assert set(response.json()) == set(expected)
    assert response.json()["error"] == expected["error"]


def test_the_lwa_success_body_has_amazons_keys(api: Api):
    recorded = next(
        r for r in _cassette("Error", "QuotaExceededTest", "test_quota_exceeded.yml") if r[0] == 200
    )
    assert set(api.tokens) == set(json.loads(recorded[2]))


def test_success_headers_carry_request_id_and_rate_limit(api: Api):
    recorded = [
        r
        for r in _cassette("API", "Reports20210630Test", "test_get_reports.yml")
        if r[0] == 200 and "x-amzn-ratelimit-limit" in r[1]
    ]
    from spapi_sim import start_server
    from spapi_sim.tests.conftest import small_config

    with start_server(
        small_config(sellers=1, skus_per_seller=5, history_days=5, rate_scale=1)
    ) as server:
        response = Api(server).get(
            "/reports/2021-06-30/reports", reportTypes="GET_MERCHANT_LISTINGS_ALL_DATA"
        )
    assert (
        response.headers["x-amzn-ratelimit-limit"]
        == recorded[0][1]["x-amzn-ratelimit-limit"][0]
        == "0.0222"
    )
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-amzn-requestid"])


# -- Amazon's code-recipe responses (amzn/selling-partner-api-samples, MIT-0) -----------------------

RECIPES = {
    "orders-getOrder.json": (
        "ordersV0__getOrder",
        {"/payload/OrderChannel": "multi-channel fulfilment orders only"},
    ),
    "orders-getOrderItems.json": ("ordersV0__getOrderItems", {}),
    "listings-getListingsItem.json": ("listingsItems_2021-08-01__getListingsItem", {}),
    # This recipe writes purchasable_offer as one object; the Listings API's attributes (and the
    # listings recipe) are always lists of values, so only the key's place is compared here.
    "pricing-getListingsItem.json": (
        "listingsItems_2021-08-01__getListingsItem",
        {"kind:/attributes/purchasable_offer": "object in this recipe only"},
    ),
    "pricing-getPricing.json": ("productPricingV0__getPricing", {}),
    "catalogitems-getCatalogItem.json": (
        "catalogItems_2022-04-01__getCatalogItem",
        {"/attributes/*": "product-type attributes are open-ended"},
    ),
    "reports-getReport.json": ("reports_2021-06-30__getReport", {}),
    "reports-getReportDocument.json": ("reports_2021-06-30__getReportDocument", {}),
}


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_amazons_code_recipe_responses_have_our_shape(responses: dict[str, Any], recipe: str):
    name, omitted = RECIPES[recipe]
    omitted = {**OMITTED.get(name, {}), **omitted}
    sample = _paths(
        json.loads((amazon_data() / "samples" / "amzn-samples-code-recipes" / recipe).read_text())
    )
    mine = _union(responses[name])

    def excused(path: str) -> bool:
        return any(path == o or (o.endswith("/*") and path.startswith(o[:-1])) for o in omitted)

    assert sorted(p for p in sample if p.count("/") <= 2 and p not in mine and not excused(p)) == []
    clashes = {
        p for p in sample.keys() & mine.keys() if "null" not in mine[p] and not sample[p] & mine[p]
    }
    assert {p for p in clashes if f"kind:{p}" not in omitted} == set()
