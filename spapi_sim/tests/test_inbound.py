"""Fulfillment Inbound v2024-03-20: the flow from a plan to a shipment Amazon has received.

Every response is validated against the official model (strict: no field the model lacks).
Operations finish after ``inbound_operation_seconds`` of simulated time; the clock is frozen, so
each test moves it with ``/_sim/clock``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from spapi_sim import start_server
from spapi_sim.reports import columns as C
from spapi_sim.tests.conftest import US, Api, small_config
from spapi_sim.tests.schemas import validate
from spapi_sim.tests.test_reports import _rows

MODEL = "fulfillmentInbound_2024-03-20"
BASE = "/inbound/fba/2024-03-20"
DAY = 86400
ADDRESS = {
    "name": "Warehouse One",
    "addressLine1": "1 Dock Road",
    "city": "Newark",
    "stateOrProvinceCode": "NJ",
    "postalCode": "07114",
    "countryCode": "US",
    "phoneNumber": "+1 555 0100",
}


@pytest.fixture
def sim() -> Iterator[Api]:
    config = small_config(
        sellers=2,
        skus_per_seller=20,
        history_days=40,
        inbound_short_rate=0.0,
        inbound_damaged_rate=0.0,
    )
    with start_server(config) as running:
        client = Api(running)
        yield client
        client.http.close()


def _advance(api: Api, seconds: float) -> None:
    api.control("/_sim/clock", {"advance_seconds": seconds})
    if seconds > 3000:
        api.renew()  # access tokens live an hour


def _fba_skus(api: Api, count: int) -> list[str]:
    body = api.ok(
        "/fba/inventory/v1/summaries",
        granularityType="Marketplace",
        granularityId=US,
        marketplaceIds=US,
    )
    skus = [s["sellerSku"] for s in body["payload"]["inventorySummaries"]]
    assert len(skus) >= count
    return skus[:count]


def _post(api: Api, path: str, body: Any = None) -> dict[str, Any]:
    response = api.post(BASE + path, body if body is not None else {})
    assert response.status_code == 202, response.text
    data: dict[str, Any] = response.json()
    return data


def _get(api: Api, path: str, definition: str, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = api.ok(BASE + path, **params)
    validate(MODEL, definition, body)
    return body


def _finish(api: Api, operation_id: str, expect: str = "SUCCESS") -> dict[str, Any]:
    status = _get(api, f"/operations/{operation_id}", "InboundOperationStatus")
    assert status["operationStatus"] == "IN_PROGRESS"
    _advance(api, 11)
    status = _get(api, f"/operations/{operation_id}", "InboundOperationStatus")
    assert status["operationStatus"] == expect, status
    return status


def _create(api: Api, quantities: dict[str, int]) -> str:
    body = {
        "destinationMarketplaces": [US],
        "sourceAddress": ADDRESS,
        "name": "Spring restock",
        "items": [
            {"msku": sku, "quantity": qty, "labelOwner": "SELLER", "prepOwner": "NONE"}
            for sku, qty in quantities.items()
        ],
    }
    created = _post(api, "/inboundPlans", body)
    validate(MODEL, "CreateInboundPlanResponse", created)
    _finish(api, created["operationId"])
    return str(created["inboundPlanId"])


def _pack(api: Api, plan: str) -> None:
    generated = _post(api, f"/inboundPlans/{plan}/packingOptions")
    validate(MODEL, "GeneratePackingOptionsResponse", generated)
    _finish(api, generated["operationId"])
    options = _get(api, f"/inboundPlans/{plan}/packingOptions", "ListPackingOptionsResponse")
    option = options["packingOptions"][0]
    group = option["packingGroups"][0]
    items = _get(
        api, f"/inboundPlans/{plan}/packingGroups/{group}/items", "ListPackingGroupItemsResponse"
    )
    assert items["items"]
    confirmed = _post(
        api, f"/inboundPlans/{plan}/packingOptions/{option['packingOptionId']}/confirmation"
    )
    validate(MODEL, "ConfirmPackingOptionResponse", confirmed)
    _finish(api, confirmed["operationId"])
    boxes = {
        "packageGroupings": [
            {
                "packingGroupId": group,
                "boxes": [
                    {
                        "contentInformationSource": "BOX_CONTENT_PROVIDED",
                        "dimensions": {
                            "length": 20,
                            "width": 15,
                            "height": 12,
                            "unitOfMeasurement": "IN",
                        },
                        "weight": {"value": 22.5, "unit": "LB"},
                        "quantity": 1,
                        "items": [
                            {
                                "msku": i["msku"],
                                "quantity": i["quantity"],
                                "labelOwner": "SELLER",
                                "prepOwner": "NONE",
                            }
                            for i in items["items"]
                        ],
                    }
                ],
            }
        ]
    }
    packed = _post(api, f"/inboundPlans/{plan}/packingInformation", boxes)
    validate(MODEL, "SetPackingInformationResponse", packed)
    _finish(api, packed["operationId"])
    listed = _get(api, f"/inboundPlans/{plan}/boxes", "ListInboundPlanBoxesResponse")
    assert len(listed["boxes"]) == 1


def _place(api: Api, plan: str) -> dict[str, Any]:
    generated = _post(api, f"/inboundPlans/{plan}/placementOptions", {})
    validate(MODEL, "GeneratePlacementOptionsResponse", generated)
    _finish(api, generated["operationId"])
    return _get(api, f"/inboundPlans/{plan}/placementOptions", "ListPlacementOptionsResponse")


def _transport(api: Api, plan: str, placement: str, shipment_ids: list[str]) -> dict[str, Any]:
    body = {
        "placementOptionId": placement,
        "shipmentTransportationConfigurations": [
            {"shipmentId": sid, "readyToShipWindow": {"start": "2026-06-02T00:00:00Z"}}
            for sid in shipment_ids
        ],
    }
    generated = _post(api, f"/inboundPlans/{plan}/transportationOptions", body)
    validate(MODEL, "GenerateTransportationOptionsResponse", generated)
    _finish(api, generated["operationId"])
    return _get(
        api,
        f"/inboundPlans/{plan}/transportationOptions",
        "ListTransportationOptionsResponse",
        placementOptionId=placement,
    )


def _through_placement(api: Api, quantities: dict[str, int]) -> tuple[str, dict[str, Any]]:
    plan = _create(api, quantities)
    _pack(api, plan)
    options = _place(api, plan)
    # The single-shipment option costs the placement fee; pick it, so one shipment carries all.
    option = next(o for o in options["placementOptions"] if len(o["shipmentIds"]) == 1)
    confirmed = _post(
        api, f"/inboundPlans/{plan}/placementOptions/{option['placementOptionId']}/confirmation"
    )
    validate(MODEL, "ConfirmPlacementOptionResponse", confirmed)
    _finish(api, confirmed["operationId"])
    return plan, option


def _ship(api: Api, plan: str, option: dict[str, Any]) -> str:
    shipment_id = str(option["shipmentIds"][0])
    transport = _transport(api, plan, option["placementOptionId"], [shipment_id])
    partnered = next(
        o
        for o in transport["transportationOptions"]
        if o["shippingSolution"] == "AMAZON_PARTNERED_CARRIER"
    )
    confirmed = _post(
        api,
        f"/inboundPlans/{plan}/transportationOptions/confirmation",
        {
            "transportationSelections": [
                {
                    "shipmentId": shipment_id,
                    "transportationOptionId": partnered["transportationOptionId"],
                }
            ]
        },
    )
    validate(MODEL, "ConfirmTransportationOptionsResponse", confirmed)
    _finish(api, confirmed["operationId"])
    return shipment_id


def _truth_skus(api: Api, plan: str) -> dict[str, dict[str, int]]:
    response = api.http.get(f"/_sim/inbound/{api.spid}")
    response.raise_for_status()
    found = next(p for p in response.json()["plans"] if p["inbound_plan_id"] == plan)
    skus: dict[str, dict[str, int]] = found["shipments"][0]["skus"]
    return skus


def test_the_full_flow_from_plan_to_a_closed_shipment(sim: Api):
    skus = _fba_skus(sim, 3)
    quantities = {skus[0]: 40, skus[1]: 24, skus[2]: 12}
    plan = _create(sim, quantities)

    listed = _get(sim, "/inboundPlans", "ListInboundPlansResponse")
    assert [p["inboundPlanId"] for p in listed["inboundPlans"]] == [plan]
    items = _get(sim, f"/inboundPlans/{plan}/items", "ListInboundPlanItemsResponse")
    assert {i["msku"]: i["quantity"] for i in items["items"]} == quantities

    _pack(sim, plan)
    options = _place(sim, plan)
    fees = {len(o["shipmentIds"]): o["fees"][0]["value"] for o in options["placementOptions"]}
    # One shipment: 0.30 per unit in the marketplace's currency; Amazon's split: no fee.
    assert fees[1] == {"amount": 22.8, "code": "USD"}
    assert fees[3] == {"amount": 0.0, "code": "USD"}

    option = next(o for o in options["placementOptions"] if len(o["shipmentIds"]) == 1)
    confirmed = _post(
        sim, f"/inboundPlans/{plan}/placementOptions/{option['placementOptionId']}/confirmation"
    )
    _finish(sim, confirmed["operationId"])
    whole = _get(sim, f"/inboundPlans/{plan}", "InboundPlan")
    assert {o["status"] for o in whole["placementOptions"]} == {"ACCEPTED", "EXPIRED"}
    assert [s["status"] for s in whole["shipments"]] == ["WORKING"]

    shipment_id = _ship(sim, plan, option)
    shipment_items = _get(
        sim, f"/inboundPlans/{plan}/shipments/{shipment_id}/items", "ListShipmentItemsResponse"
    )
    assert {i["msku"]: i["quantity"] for i in shipment_items["items"]} == quantities
    boxes = _get(
        sim, f"/inboundPlans/{plan}/shipments/{shipment_id}/boxes", "ListShipmentBoxesResponse"
    )
    assert len(boxes["boxes"]) == 1

    seen = []
    for _ in range(8):
        shipment = _get(sim, f"/inboundPlans/{plan}/shipments/{shipment_id}", "Shipment")
        assert shipment["shipmentConfirmationId"].startswith("FBA")
        seen.append(shipment["status"])
        truth = _truth_skus(sim, plan)
        if shipment["status"] == "RECEIVING":
            received = sum(v["received"] for v in truth.values())
            assert 0 < received <= sum(quantities.values())
        _advance(sim, DAY)
    assert seen == [
        "READY_TO_SHIP",
        "SHIPPED",
        "IN_TRANSIT",
        "IN_TRANSIT",
        "RECEIVING",
        "RECEIVING",
        "RECEIVING",
        "CLOSED",
    ]
    truth = _truth_skus(sim, plan)
    assert {sku: v["shipped"] for sku, v in truth.items()} == quantities
    assert {sku: v["received"] for sku, v in truth.items()} == quantities
    assert _get(sim, f"/inboundPlans/{plan}", "InboundPlan")["status"] == "SHIPPED"


def test_a_short_and_damaged_receipt_is_in_the_truth(sim: Api):
    sim.control(
        "/_sim/faults",
        {
            "next": [
                {"operation": "*", "kind": "inbound_short"},
                {"operation": "*", "kind": "inbound_damaged"},
            ]
        },
    )
    skus = _fba_skus(sim, 2)
    quantities = {skus[0]: 50, skus[1]: 30}
    plan, option = _through_placement(sim, quantities)
    _ship(sim, plan, option)
    _advance(sim, 8 * DAY)
    truth = _truth_skus(sim, plan)
    short = {sku: v["short"] for sku, v in truth.items() if v["short"]}
    damaged = {sku: v["damaged"] for sku, v in truth.items() if v["damaged"]}
    assert len(short) == 1
    assert len(damaged) == 1
    for sku, values in truth.items():
        assert values["shipped"] == quantities[sku]
        assert values["received"] == quantities[sku] - values["short"]
    # Amazon's count is in the inventory ledger: Receipts under the FBA… shipment id, damaged
    # units in their own disposition.
    confirmation = _get(
        sim, f"/inboundPlans/{plan}/shipments/{option['shipmentIds'][0]}", "Shipment"
    )["shipmentConfirmationId"]
    _header, ledger = _rows(sim, C.LEDGER_DETAIL, dataStartTime="2026-06-01T00:00:00Z")
    counted: dict[tuple[str, str], int] = {}
    for row in ledger:
        if row["EventType"] == "Receipts" and row["ReferenceID"] == confirmation:
            key = (row["MSKU"], row["Disposition"])
            counted[key] = counted.get(key, 0) + int(row["Quantity"])
    expected = {(sku, "SELLABLE"): v["received"] - v["damaged"] for sku, v in truth.items()} | {
        (sku, "CARRIER_DAMAGED"): v["damaged"] for sku, v in truth.items() if v["damaged"]
    }
    assert counted == expected


def test_placement_options_can_come_back_empty(sim: Api):
    sim.control("/_sim/faults", {"next": [{"operation": "*", "kind": "placement_empty"}]})
    plan = _create(sim, dict.fromkeys(_fba_skus(sim, 2), 10))
    _pack(sim, plan)
    assert _place(sim, plan)["placementOptions"] == []
    # Asking again gives options.
    assert len(_place(sim, plan)["placementOptions"]) == 2


def test_transportation_options_can_come_back_empty(sim: Api):
    sim.control("/_sim/faults", {"next": [{"operation": "*", "kind": "transportation_empty"}]})
    plan, option = _through_placement(sim, dict.fromkeys(_fba_skus(sim, 2), 10))
    listed = _transport(sim, plan, option["placementOptionId"], option["shipmentIds"])
    assert listed["transportationOptions"] == []


def test_an_operation_can_fail_inside_amazon(sim: Api):
    plan = _create(sim, dict.fromkeys(_fba_skus(sim, 2), 10))
    _pack(sim, plan)
    sim.control(
        "/_sim/faults",
        {"next": [{"operation": "generatePlacementOptions", "kind": "inbound_operation_failed"}]},
    )
    generated = _post(sim, f"/inboundPlans/{plan}/placementOptions", {})
    status = _finish(sim, generated["operationId"], expect="FAILED")
    assert status["operationProblems"][0]["severity"] == "ERROR"
    listed = _get(sim, f"/inboundPlans/{plan}/placementOptions", "ListPlacementOptionsResponse")
    assert listed["placementOptions"] == []
    # The failure is Amazon's, not the plan's: trying again works.
    assert len(_place(sim, plan)["placementOptions"]) == 2


def test_a_plan_whose_creation_failed_is_errored(sim: Api):
    sim.control(
        "/_sim/faults",
        {"next": [{"operation": "createInboundPlan", "kind": "inbound_operation_failed"}]},
    )
    body = {
        "destinationMarketplaces": [US],
        "sourceAddress": ADDRESS,
        "items": [
            {"msku": _fba_skus(sim, 1)[0], "quantity": 3, "labelOwner": "NONE", "prepOwner": "NONE"}
        ],
    }
    created = _post(sim, "/inboundPlans", body)
    status = _finish(sim, created["operationId"], expect="FAILED")
    assert status["operationProblems"][0]["code"] == "FBA_INB_0004"
    plan = _get(sim, f"/inboundPlans/{created['inboundPlanId']}", "InboundPlan")
    assert plan["status"] == "ERRORED"
    refused = sim.post(f"{BASE}/inboundPlans/{created['inboundPlanId']}/packingOptions", {})
    assert refused.status_code == 400


def test_bad_input_is_a_clear_400(sim: Api):
    response = sim.post(
        BASE + "/inboundPlans",
        {
            "destinationMarketplaces": [US],
            "sourceAddress": ADDRESS,
            "items": [{"msku": "NOPE", "quantity": 1, "labelOwner": "SELLER", "prepOwner": "NONE"}],
        },
    )
    assert response.status_code == 400
    validate(MODEL, "ErrorList", response.json())
    assert "NOPE" in response.json()["errors"][0]["message"]
    missing = sim.get(BASE + "/inboundPlans/wf00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    validate(MODEL, "ErrorList", missing.json())


def test_throttling_and_revocation_apply_to_inbound(sim: Api):
    sim.control("/_sim/rate_scale", {"rate_scale": 1})
    statuses = [sim.get(BASE + "/inboundPlans").status_code for _ in range(8)]
    assert statuses[:6] == [200] * 6
    assert 429 in statuses[6:]
    throttled = sim.get(BASE + "/inboundPlans")
    assert throttled.status_code == 429
    validate(MODEL, "ErrorList", throttled.json())
    sim.control("/_sim/rate_scale", {"rate_scale": 0})
    sim.control("/_sim/revoke", {"selling_partner_id": sim.spid})
    assert sim.get(BASE + "/inboundPlans").status_code == 403


def test_another_sellers_plan_is_not_found(sim: Api):
    plan = _create(sim, dict.fromkeys(_fba_skus(sim, 1), 5))
    outsider = Api(sim.server, seller_index=1)
    assert outsider.get(f"{BASE}/inboundPlans/{plan}").status_code == 404
    assert outsider.ok(BASE + "/inboundPlans")["inboundPlans"] == []
    outsider.http.close()


@pytest.mark.parametrize(
    "field",
    [
        {"inbound_operation_seconds": -1},
        {"inbound_polls": -1},
        {"inbound_short_rate": 1.5},
        {"inbound_damaged_rate": -0.1},
    ],
)
def test_inbound_settings_out_of_range_are_refused(field: dict[str, float]):
    with pytest.raises(ValueError, match="inbound"):
        small_config(**field)
