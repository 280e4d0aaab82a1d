"""Fulfillment Inbound v2024-03-20 through the client, against the simulator over real HTTP.

Operations finish after one simulated second here (the clock runs at real speed); days of
receiving pass by moving the simulator's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from spapi.client import SpApiClient
from spapi.errors import AuthorizationRevoked, InboundOperationFailed, InvalidInput, Throttled
from spapi.http import RetryPolicy
from spapi.inbound import (
    check_operation,
    option_fees,
    plan_item,
    ready_to_ship,
    receipts_from_ledger,
    wait_for_operation,
)
from spapi.ratelimit import NullLimiter
from spapi.reports import iter_report_rows, request_report

from .test_against_simulator import Sim, start

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
def sim() -> Iterator[Sim]:
    running = start(inbound_operation_seconds=1.0, inbound_short_rate=0.0, inbound_damaged_rate=0.0)
    yield running
    running.server.stop()


@pytest.fixture
def client(sim: Sim) -> SpApiClient:
    token = sim.refresh_token()
    return sim.client(lambda: token)


def _skus(client: SpApiClient, marketplace_id: str, count: int) -> list[str]:
    body = client.get_inventory_summaries(marketplace_id=marketplace_id)
    return [s["sellerSku"] for s in body["payload"]["inventorySummaries"]][:count]


def _done(client: SpApiClient, answer: dict[str, Any]) -> None:
    state = wait_for_operation(client, answer["operationId"], timeout=20, interval=0.3)
    assert state.succeeded, state
    assert state.raise_for_failure() is state


def _advance(sim: Sim, seconds: float) -> None:
    sim.control.post("/_sim/clock", json={"advance_seconds": seconds}).raise_for_status()


def _truth(sim: Sim, plan_id: str) -> dict[str, dict[str, int]]:
    plans = sim.control.get(f"/_sim/inbound/{sim.seller_id}").json()["plans"]
    plan = next(p for p in plans if p["inbound_plan_id"] == plan_id)
    skus: dict[str, dict[str, int]] = plan["shipments"][0]["skus"]
    return skus


def _to_placement(client: SpApiClient, sim: Sim, quantities: dict[str, int]) -> str:
    created = client.create_inbound_plan(
        marketplace_id=sim.marketplace_ids[0],
        items=[plan_item(sku, qty) for sku, qty in quantities.items()],
        source_address=ADDRESS,
        name="Restock",
    )
    _done(client, created)
    plan_id = str(created["inboundPlanId"])
    _done(client, client.generate_packing_options(plan_id))
    option = client.list_packing_options(plan_id)["packingOptions"][0]
    group = option["packingGroups"][0]
    assert client.list_packing_group_items(plan_id, group)["items"]
    _done(client, client.confirm_packing_option(plan_id, option["packingOptionId"]))
    return plan_id


def test_the_inbound_flow_end_to_end(sim: Sim, client: SpApiClient):
    skus = _skus(client, sim.marketplace_ids[0], 2)
    quantities = {skus[0]: 30, skus[1]: 20}
    plan_id = _to_placement(client, sim, quantities)
    items = client.list_inbound_plan_items(plan_id)["items"]
    assert {i["msku"]: i["quantity"] for i in items} == quantities

    _done(client, client.generate_placement_options(plan_id))
    options = client.list_placement_options(plan_id)["placementOptions"]
    fees = {len(o["shipmentIds"]): option_fees(o) for o in options}
    assert fees[1] == {"USD": Decimal("15.00")}  # 50 units at 0.30
    assert fees[2] == {"USD": Decimal("0.00")}
    chosen = next(o for o in options if len(o["shipmentIds"]) == 1)
    _done(client, client.confirm_placement_option(plan_id, chosen["placementOptionId"]))
    shipment_id = chosen["shipmentIds"][0]
    assert client.get_shipment(plan_id, shipment_id)["status"] == "WORKING"

    _done(
        client,
        client.generate_transportation_options(
            plan_id,
            placement_option_id=chosen["placementOptionId"],
            shipment_configurations=[ready_to_ship(shipment_id, datetime(2026, 6, 2, tzinfo=UTC))],
        ),
    )
    transport = client.list_transportation_options(plan_id, shipment_id=shipment_id)
    partnered = next(
        o
        for o in transport["transportationOptions"]
        if o["shippingSolution"] == "AMAZON_PARTNERED_CARRIER"
    )
    assert option_fees({"fees": [{"value": partnered["quote"]["cost"]}]}) == {
        "USD": Decimal("22.50")
    }
    _done(
        client,
        client.confirm_transportation_options(
            plan_id,
            [
                {
                    "shipmentId": shipment_id,
                    "transportationOptionId": partnered["transportationOptionId"],
                }
            ],
        ),
    )
    shipped = {
        i["msku"]: i["quantity"] for i in client.list_shipment_items(plan_id, shipment_id)["items"]
    }
    assert shipped == quantities

    statuses = []
    for _ in range(4):
        _advance(sim, 2 * DAY)
        statuses.append(client.get_shipment(plan_id, shipment_id)["status"])
    assert statuses == ["IN_TRANSIT", "RECEIVING", "RECEIVING", "CLOSED"]
    truth = _truth(sim, plan_id)
    assert {sku: v["shipped"] for sku, v in truth.items()} == shipped
    assert {sku: v["received"] for sku, v in truth.items()} == shipped

    pages = list(client.iter_pages(client.list_inbound_plans, page_size=1))
    assert [p["inboundPlans"][0]["inboundPlanId"] for p in pages] == [plan_id]


def test_a_short_damaged_receipt_read_from_the_ledger_matches_the_truth(
    sim: Sim, client: SpApiClient
):
    sim.faults(
        next=[
            {"operation": "*", "kind": "inbound_short"},
            {"operation": "*", "kind": "inbound_damaged"},
        ]
    )
    skus = _skus(client, sim.marketplace_ids[0], 2)
    quantities = {skus[0]: 40, skus[1]: 60}
    plan_id = _to_placement(client, sim, quantities)
    _done(client, client.generate_placement_options(plan_id))
    options = client.list_placement_options(plan_id)["placementOptions"]
    chosen = next(o for o in options if len(o["shipmentIds"]) == 1)
    _done(client, client.confirm_placement_option(plan_id, chosen["placementOptionId"]))
    shipment_id = chosen["shipmentIds"][0]
    _done(
        client,
        client.generate_transportation_options(
            plan_id,
            placement_option_id=chosen["placementOptionId"],
            shipment_configurations=[ready_to_ship(shipment_id, datetime.now(UTC))],
        ),
    )
    own = next(
        o
        for o in client.list_transportation_options(plan_id, shipment_id=shipment_id)[
            "transportationOptions"
        ]
        if o["shippingSolution"] == "USE_YOUR_OWN_CARRIER"
    )
    _done(
        client,
        client.confirm_transportation_options(
            plan_id,
            [{"shipmentId": shipment_id, "transportationOptionId": own["transportationOptionId"]}],
        ),
    )
    _advance(sim, 8 * DAY)
    shipment = client.get_shipment(plan_id, shipment_id)
    assert shipment["status"] == "CLOSED"
    confirmation = shipment["shipmentConfirmationId"]
    start = datetime.fromisoformat(
        sim.control.get("/_sim/clock").json()["now"].replace("Z", "+00:00")
    )
    report = request_report(
        client,
        "GET_LEDGER_DETAIL_VIEW_DATA",
        marketplace_ids=sim.marketplace_ids[:1],
        data_start_time=start.replace(hour=0, minute=0, second=0) - timedelta(days=9),
        poll_interval=0.2,
        max_poll_interval=0.5,
    )
    counted = receipts_from_ledger(
        iter_report_rows(client, report["reportDocumentId"]), [confirmation]
    )[confirmation]
    truth = _truth(sim, plan_id)
    assert sum(v["short"] for v in truth.values()) > 0
    assert sum(v["damaged"] for v in truth.values()) > 0
    for sku, values in truth.items():
        assert counted[sku].get("SELLABLE", 0) == values["received"] - values["damaged"]
        assert counted[sku].get("CARRIER_DAMAGED", 0) == values["damaged"]
        assert values["received"] + values["short"] == quantities[sku]


def test_an_operation_in_progress_is_returned_and_resumed(sim: Sim, client: SpApiClient):
    sku = _skus(client, sim.marketplace_ids[0], 1)[0]
    created = client.create_inbound_plan(
        marketplace_id=sim.marketplace_ids[0],
        items=[plan_item(sku, 5)],
        source_address=ADDRESS,
    )
    state = wait_for_operation(client, created["operationId"], timeout=0)
    assert state.in_progress
    assert state.operation == "createInboundPlan"
    _advance(sim, 5)
    assert check_operation(client, created["operationId"]).succeeded


def test_a_failed_operation_raises_with_amazons_problems(sim: Sim, client: SpApiClient):
    plan_id = _to_placement(client, sim, dict.fromkeys(_skus(client, sim.marketplace_ids[0], 2), 4))
    sim.faults(next=[{"operation": "generatePlacementOptions", "kind": "inbound_operation_failed"}])
    answer = client.generate_placement_options(plan_id)
    state = wait_for_operation(client, answer["operationId"], timeout=20, interval=0.3)
    assert state.failed
    with pytest.raises(InboundOperationFailed) as caught:
        state.raise_for_failure()
    assert caught.value.problems[0]["severity"] == "ERROR"
    assert caught.value.operation_id == answer["operationId"]
    assert client.list_placement_options(plan_id)["placementOptions"] == []


def test_empty_placement_options_are_an_empty_list(sim: Sim, client: SpApiClient):
    plan_id = _to_placement(client, sim, dict.fromkeys(_skus(client, sim.marketplace_ids[0], 2), 4))
    sim.faults(next=[{"operation": "*", "kind": "placement_empty"}])
    _done(client, client.generate_placement_options(plan_id))
    assert client.list_placement_options(plan_id)["placementOptions"] == []


def test_bad_input_is_invalid_input(sim: Sim, client: SpApiClient):
    with pytest.raises(InvalidInput) as caught:
        client.create_inbound_plan(
            marketplace_id=sim.marketplace_ids[0],
            items=[plan_item("NO-SUCH-SKU", 1)],
            source_address=ADDRESS,
        )
    assert "NO-SUCH-SKU" in caught.value.message


def test_the_shared_limiter_keeps_to_the_usage_plan(sim: Sim, client: SpApiClient):
    sim.reset_stats()
    for _ in range(9):
        client.list_inbound_plans()
    stats = sim.stats("listInboundPlans")
    assert stats["requests"] == 9
    assert stats["throttled"] == 0


def test_throttling_without_a_limiter_is_throttled(sim: Sim):
    token = sim.refresh_token()
    bare = sim.client(
        lambda: token, limiter=NullLimiter(), retry=RetryPolicy(max_attempts=1, base_delay=0)
    )

    def burst() -> None:
        for _ in range(10):
            bare.list_inbound_plans()

    with pytest.raises(Throttled):
        burst()


def test_a_revoked_authorization_is_authorization_revoked(sim: Sim, client: SpApiClient):
    client.list_inbound_plans()
    sim.control.post("/_sim/revoke", json={"selling_partner_id": sim.seller_id}).raise_for_status()
    with pytest.raises(AuthorizationRevoked):
        client.list_inbound_plans()
