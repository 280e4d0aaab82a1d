"""Every operation's responses validate against the official model's response schema.

The schemas are strict: types, required fields, enums, and no property the model lacks.
"""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest

from spapi_sim.tests.conftest import CA, US, Api
from spapi_sim.tests.schemas import validate


def _first_order(api: Api) -> str:
    orders = api.ok("/orders/v0/orders", MarketplaceIds=US, CreatedAfter="2026-05-20T00:00:00Z")[
        "payload"
    ]["Orders"]
    return str(orders[0]["AmazonOrderId"])


def test_sellers(api: Api):
    validate(
        "sellers",
        "GetMarketplaceParticipationsResponse",
        api.ok("/sellers/v1/marketplaceParticipations"),
    )


def test_orders_v0(api: Api):
    body = api.ok(
        "/orders/v0/orders",
        MarketplaceIds=f"{US},{CA}",
        LastUpdatedAfter="2026-05-25T00:00:00Z",
        MaxResultsPerPage=100,
    )
    validate("ordersV0", "GetOrdersResponse", body)
    statuses = {o["OrderStatus"] for o in body["payload"]["Orders"]}
    assert {"Shipped", "Unshipped"} <= statuses
    for order in body["payload"]["Orders"][:30]:
        oid = order["AmazonOrderId"]
        validate("ordersV0", "GetOrderResponse", api.ok(f"/orders/v0/orders/{oid}"))
        validate("ordersV0", "GetOrderItemsResponse", api.ok(f"/orders/v0/orders/{oid}/orderItems"))


def test_orders_2026(api: Api):
    everything = "BUYER,RECIPIENT,PROCEEDS,EXPENSE,PROMOTION,CANCELLATION,FULFILLMENT,PACKAGES,TAX,PAYMENT,FULFILLMENT_ORDERS"
    body = api.ok(
        "/orders/2026-01-01/orders",
        marketplaceIds=US,
        createdAfter="2026-05-10T00:00:00Z",
        includedData=everything,
    )
    validate("orders_2026-01-01", "SearchOrdersResponse", body)
    assert body["orders"]
    for order in body["orders"][:20]:
        one = api.ok(f"/orders/2026-01-01/orders/{order['orderId']}", includedData=everything)
        validate("orders_2026-01-01", "GetOrderResponse", one)
    bare = api.ok("/orders/2026-01-01/orders", lastUpdatedAfter="2026-05-30T00:00:00Z")
    validate("orders_2026-01-01", "SearchOrdersResponse", bare)


def test_inventory(api: Api):
    for details in ("true", "false"):
        body = api.ok(
            "/fba/inventory/v1/summaries",
            granularityType="Marketplace",
            granularityId=US,
            marketplaceIds=US,
            details=details,
        )
        validate("fbaInventory", "GetInventorySummariesResponse", body)


def test_listings(api: Api):
    everything = "summaries,attributes,issues,offers,fulfillmentAvailability,procurement,relationships,productTypes"
    body = api.ok(
        f"/listings/2021-08-01/items/{api.spid}",
        marketplaceIds=US,
        includedData=everything,
        pageSize=20,
    )
    validate("listingsItems_2021-08-01", "ItemSearchResults", body)
    for item in body["items"]:
        one = api.ok(
            f"/listings/2021-08-01/items/{api.spid}/{item['sku']}",
            marketplaceIds=US,
            includedData=everything,
        )
        validate("listingsItems_2021-08-01", "Item", one)


def test_catalog(api: Api):
    everything = "attributes,classifications,dimensions,identifiers,images,productTypes,relationships,salesRanks,summaries,vendorDetails"
    listing = api.ok(f"/listings/2021-08-01/items/{api.spid}", marketplaceIds=US)["items"][0]
    asin = listing["summaries"][0]["asin"]
    validate(
        "catalogItems_2022-04-01",
        "Item",
        api.ok(f"/catalog/2022-04-01/items/{asin}", marketplaceIds=US, includedData=everything),
    )
    by_id = api.ok(
        "/catalog/2022-04-01/items",
        marketplaceIds=US,
        identifiers=asin,
        identifiersType="ASIN",
        includedData=everything,
    )
    validate("catalogItems_2022-04-01", "ItemSearchResults", by_id)
    by_words = api.ok(
        "/catalog/2022-04-01/items",
        marketplaceIds=US,
        keywords=listing["summaries"][0]["itemName"].split()[0],
    )
    validate("catalogItems_2022-04-01", "ItemSearchResults", by_words)
    assert by_words["refinements"]["brands"]


def test_pricing(api: Api):
    items = api.ok(f"/listings/2021-08-01/items/{api.spid}", marketplaceIds=US, pageSize=5)["items"]
    skus = ",".join(i["sku"] for i in items)
    asin = items[0]["summaries"][0]["asin"]
    validate(
        "productPricingV0",
        "GetPricingResponse",
        api.ok("/products/pricing/v0/price", MarketplaceId=US, ItemType="Sku", Skus=skus),
    )
    validate(
        "productPricingV0",
        "GetPricingResponse",
        api.ok("/products/pricing/v0/price", MarketplaceId=US, ItemType="Asin", Asins=asin),
    )
    validate(
        "productPricingV0",
        "GetPricingResponse",
        api.ok(
            "/products/pricing/v0/competitivePrice", MarketplaceId=US, ItemType="Sku", Skus=skus
        ),
    )
    for item in items:
        validate(
            "productPricingV0",
            "GetOffersResponse",
            api.ok(
                f"/products/pricing/v0/listings/{item['sku']}/offers",
                MarketplaceId=US,
                ItemCondition="New",
            ),
        )
    validate(
        "productPricingV0",
        "GetOffersResponse",
        api.ok(f"/products/pricing/v0/items/{asin}/offers", MarketplaceId=US, ItemCondition="New"),
    )
    batch_requests = [
        {
            "uri": f"/products/pricing/v0/items/{a}/offers",
            "method": "GET",
            "MarketplaceId": US,
            "ItemCondition": "New",
            "CustomerType": "Consumer",
        }
        for a in (asin, "B000000000")
    ]
    batch = api.post("/batches/products/pricing/v0/itemOffers", {"requests": batch_requests})
    validate("productPricingV0", "GetItemOffersBatchResponse", batch.json())
    assert [r["status"]["statusCode"] for r in batch.json()["responses"]] == [200, 404]
    summary_requests = [
        {
            "asin": a,
            "marketplaceId": US,
            "includedData": [
                "featuredBuyingOptions",
                "referencePrices",
                "lowestPricedOffers",
                "similarItems",
            ],
            "lowestPricedOffersInputs": [{"itemCondition": "New", "offerType": "Consumer"}],
            "uri": "/products/pricing/2022-05-01/items/competitiveSummary",
            "method": "GET",
        }
        for a in (asin, "B000000000")
    ]
    summary = api.post(
        "/batches/products/pricing/2022-05-01/items/competitiveSummary",
        {"requests": summary_requests},
    )
    validate("productPricing_2022-05-01", "CompetitiveSummaryBatchResponse", summary.json())


def test_fees(api: Api):
    item = api.ok(f"/listings/2021-08-01/items/{api.spid}", marketplaceIds=US)["items"][0]
    request = {
        "MarketplaceId": US,
        "PriceToEstimateFees": {"ListingPrice": {"CurrencyCode": "USD", "Amount": 19.99}},
        "Identifier": "r1",
    }
    sku_body = api.post(
        f"/products/fees/v0/listings/{item['sku']}/feesEstimate", {"FeesEstimateRequest": request}
    )
    assert sku_body.status_code == 200
    validate("productFeesV0", "GetMyFeesEstimateResponse", sku_body.json())
    asin = item["summaries"][0]["asin"]
    asin_body = api.post(
        f"/products/fees/v0/items/{asin}/feesEstimate",
        {"FeesEstimateRequest": {**request, "IsAmazonFulfilled": True}},
    )
    validate("productFeesV0", "GetMyFeesEstimateResponse", asin_body.json())
    batch = api.post(
        "/products/fees/v0/feesEstimate",
        [
            {"FeesEstimateRequest": request, "IdType": "SellerSKU", "IdValue": item["sku"]},
            {"FeesEstimateRequest": request, "IdType": "ASIN", "IdValue": "B000000000"},
        ],
    )
    validate("productFeesV0", "GetMyFeesEstimatesResponse", batch.json())
    assert [r["Status"] for r in batch.json()] == ["Success", "ClientError"]


def test_finances(api: Api):
    groups = api.ok("/finances/v0/financialEventGroups")
    validate("financesV0", "ListFinancialEventGroupsResponse", groups)
    closed = [
        g for g in groups["payload"]["FinancialEventGroupList"] if g["ProcessingStatus"] == "Closed"
    ]
    assert closed
    for group in closed[:3]:
        events = api.ok(
            f"/finances/v0/financialEventGroups/{group['FinancialEventGroupId']}/financialEvents"
        )
        validate("financesV0", "ListFinancialEventsResponse", events)
    validate(
        "financesV0",
        "ListFinancialEventsResponse",
        api.ok(
            "/finances/v0/financialEvents",
            PostedAfter="2026-05-01T00:00:00Z",
            MaxResultsPerPage=100,
        ),
    )
    validate(
        "financesV0",
        "ListFinancialEventsResponse",
        api.ok(f"/finances/v0/orders/{_first_order(api)}/financialEvents"),
    )
    transactions = api.ok("/finances/2024-06-19/transactions", postedAfter="2026-05-01T00:00:00Z")
    validate("finances_2024-06-19", "ListTransactionsResponse", transactions)
    assert {t["transactionType"] for t in transactions["payload"]["transactions"]} >= {"Shipment"}


def test_reports(api: Api):
    created = api.post(
        "/reports/2021-06-30/reports",
        {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]},
    )
    assert created.status_code == 202
    validate("reports_2021-06-30", "CreateReportResponse", created.json())
    report_id = created.json()["reportId"]
    seen = set()
    for _ in range(4):
        body = api.ok(f"/reports/2021-06-30/reports/{report_id}")
        validate("reports_2021-06-30", "Report", body)
        seen.add(body["processingStatus"])
    assert seen == {"IN_QUEUE", "IN_PROGRESS", "DONE"}
    document = api.ok(f"/reports/2021-06-30/documents/{body['reportDocumentId']}")
    validate("reports_2021-06-30", "ReportDocument", document)
    listed = api.ok(
        "/reports/2021-06-30/reports",
        reportTypes="GET_MERCHANT_LISTINGS_ALL_DATA,GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
        pageSize=100,
    )
    validate("reports_2021-06-30", "GetReportsResponse", listed)
    assert gzip.decompress(httpx.get(document["url"]).content).startswith(b"item-name\t")


INBOUND = "fulfillmentInbound_2024-03-20"
INBOUND_BASE = "/inbound/fba/2024-03-20/inboundPlans"


def _inbound_done(api: Api, response: httpx.Response, definition: str) -> dict[str, Any]:
    """A 202 with its operationId, polled (twice: inbound_polls) until it succeeds."""
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    validate(INBOUND, definition, body)
    for expected in ("IN_PROGRESS", "SUCCESS"):
        status = api.ok(f"/inbound/fba/2024-03-20/operations/{body['operationId']}")
        validate(INBOUND, "InboundOperationStatus", status)
        assert status["operationStatus"] == expected
    return body


def test_fulfillment_inbound(api: Api):
    inventory = api.ok(
        "/fba/inventory/v1/summaries",
        granularityType="Marketplace",
        granularityId=US,
        marketplaceIds=US,
    )
    skus = [s["sellerSku"] for s in inventory["payload"]["inventorySummaries"][:4]]
    address = {
        "name": "Warehouse One",
        "addressLine1": "1 Dock Road",
        "city": "Newark",
        "postalCode": "07114",
        "countryCode": "US",
        "phoneNumber": "+1 555 0100",
    }
    created = _inbound_done(
        api,
        api.post(
            INBOUND_BASE,
            {
                "destinationMarketplaces": [US],
                "sourceAddress": address,
                "items": [
                    {"msku": sku, "quantity": 12, "labelOwner": "AMAZON", "prepOwner": "SELLER"}
                    for sku in skus
                ],
            },
        ),
        "CreateInboundPlanResponse",
    )
    plan = f"{INBOUND_BASE}/{created['inboundPlanId']}"
    validate(INBOUND, "ListInboundPlansResponse", api.ok(INBOUND_BASE, pageSize=1))
    validate(INBOUND, "ListInboundPlanItemsResponse", api.ok(f"{plan}/items"))
    _inbound_done(api, api.post(f"{plan}/packingOptions", {}), "GeneratePackingOptionsResponse")
    packing = api.ok(f"{plan}/packingOptions")
    validate(INBOUND, "ListPackingOptionsResponse", packing)
    option = packing["packingOptions"][0]
    group = option["packingGroups"][0]
    validate(
        INBOUND, "ListPackingGroupItemsResponse", api.ok(f"{plan}/packingGroups/{group}/items")
    )
    _inbound_done(
        api,
        api.post(f"{plan}/packingOptions/{option['packingOptionId']}/confirmation", {}),
        "ConfirmPackingOptionResponse",
    )
    box = {
        "contentInformationSource": "BOX_CONTENT_PROVIDED",
        "dimensions": {"length": 40, "width": 30, "height": 30, "unitOfMeasurement": "CM"},
        "weight": {"value": 9.5, "unit": "KG"},
        "quantity": 2,
        "items": [
            {"msku": sku, "quantity": 6, "labelOwner": "AMAZON", "prepOwner": "SELLER"}
            for sku in skus
        ],
    }
    _inbound_done(
        api,
        api.post(
            f"{plan}/packingInformation",
            {"packageGroupings": [{"packingGroupId": group, "boxes": [box]}]},
        ),
        "SetPackingInformationResponse",
    )
    validate(INBOUND, "ListInboundPlanBoxesResponse", api.ok(f"{plan}/boxes"))
    _inbound_done(api, api.post(f"{plan}/placementOptions", {}), "GeneratePlacementOptionsResponse")
    placement = api.ok(f"{plan}/placementOptions")
    validate(INBOUND, "ListPlacementOptionsResponse", placement)
    split = next(o for o in placement["placementOptions"] if len(o["shipmentIds"]) > 1)
    _inbound_done(
        api,
        api.post(f"{plan}/placementOptions/{split['placementOptionId']}/confirmation", {}),
        "ConfirmPlacementOptionResponse",
    )
    _inbound_done(
        api,
        api.post(
            f"{plan}/transportationOptions",
            {
                "placementOptionId": split["placementOptionId"],
                "shipmentTransportationConfigurations": [
                    {"shipmentId": sid, "readyToShipWindow": {"start": "2026-06-02T00:00:00Z"}}
                    for sid in split["shipmentIds"]
                ],
            },
        ),
        "GenerateTransportationOptionsResponse",
    )
    transport = api.ok(
        f"{plan}/transportationOptions", placementOptionId=split["placementOptionId"]
    )
    validate(INBOUND, "ListTransportationOptionsResponse", transport)
    own = [
        o
        for o in transport["transportationOptions"]
        if o["shippingSolution"] == "USE_YOUR_OWN_CARRIER"
    ]
    assert len(own) == len(split["shipmentIds"])
    _inbound_done(
        api,
        api.post(
            f"{plan}/transportationOptions/confirmation",
            {
                "transportationSelections": [
                    {
                        "shipmentId": o["shipmentId"],
                        "transportationOptionId": o["transportationOptionId"],
                    }
                    for o in own
                ]
            },
        ),
        "ConfirmTransportationOptionsResponse",
    )
    validate(INBOUND, "InboundPlan", api.ok(plan))
    for shipment_id in split["shipmentIds"]:
        shipment = f"{plan}/shipments/{shipment_id}"
        validate(INBOUND, "Shipment", api.ok(shipment))
        validate(INBOUND, "ListShipmentItemsResponse", api.ok(f"{shipment}/items"))
        validate(INBOUND, "ListShipmentBoxesResponse", api.ok(f"{shipment}/boxes"))
    # A second plan, cancelled.
    other = _inbound_done(
        api,
        api.post(
            INBOUND_BASE,
            {
                "destinationMarketplaces": [US],
                "sourceAddress": address,
                "items": [
                    {"msku": skus[0], "quantity": 1, "labelOwner": "NONE", "prepOwner": "NONE"}
                ],
            },
        ),
        "CreateInboundPlanResponse",
    )
    response = api.http.put(
        f"{INBOUND_BASE}/{other['inboundPlanId']}/cancellation", headers=api.headers
    )
    _inbound_done(api, response, "CancelInboundPlanResponse")
    assert api.ok(f"{INBOUND_BASE}/{other['inboundPlanId']}")["status"] == "VOIDED"
    for bad in (api.post(INBOUND_BASE, {"items": []}), api.get(f"{INBOUND_BASE}/wf-missing")):
        assert bad.status_code in (400, 404)
        validate(INBOUND, "ErrorList", bad.json())


@pytest.mark.parametrize(
    ("status", "path", "params"),
    [
        (400, "/orders/v0/orders", {"MarketplaceIds": US}),
        (404, "/orders/v0/orders/111-0000000-0000000", {}),
        (400, "/fba/inventory/v1/summaries", {"granularityType": "Marketplace"}),
        (404, "/catalog/2022-04-01/items/B000000000", {"marketplaceIds": US}),
    ],
)
def test_errors_use_the_error_list_schema(api: Api, status: int, path: str, params: dict[str, str]):
    response = api.get(path, **params)
    assert response.status_code == status
    validate("ordersV0", "ErrorList", response.json()["errors"])
    assert response.headers["x-amzn-RequestId"]
