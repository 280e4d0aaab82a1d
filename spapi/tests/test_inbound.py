"""spapi.inbound on its own: polling bounded in time, fees as Decimal, receipts from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from spapi.client import SpApiClient
from spapi.errors import BadResponse, InboundOperationFailed, SpApiError
from spapi.inbound import (
    check_operation,
    option_fees,
    plan_item,
    ready_to_ship,
    receipts_from_ledger,
    wait_for_operation,
)

from .conftest import FakeAmazon, FakeClock

OPERATION = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
PATH = f"/inbound/fba/2024-03-20/operations/{OPERATION}"


def status(value: str, problems: list[dict[str, str]] | None = None) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "operation": "generatePlacementOptions",
            "operationId": OPERATION,
            "operationProblems": problems or [],
            "operationStatus": value,
        },
    )


def test_waiting_stops_at_the_timeout_with_the_operation_still_in_progress(
    amazon: FakeAmazon, client: SpApiClient, clock: FakeClock
):
    amazon.add(PATH, status("IN_PROGRESS"))
    state = wait_for_operation(
        client, OPERATION, timeout=10, interval=3, sleep=clock.sleep, clock=clock
    )
    assert state.in_progress
    assert sum(clock.slept) <= 10
    assert len(amazon.calls(PATH)) == 5  # at 0, 3, 6, 9 and 10 seconds


def test_waiting_returns_as_soon_as_the_operation_is_done(
    amazon: FakeAmazon, client: SpApiClient, clock: FakeClock
):
    amazon.add(PATH, status("IN_PROGRESS"), status("IN_PROGRESS"), status("SUCCESS"))
    state = wait_for_operation(
        client, OPERATION, timeout=60, interval=2, sleep=clock.sleep, clock=clock
    )
    assert state.succeeded
    assert state.operation == "generatePlacementOptions"
    assert len(amazon.calls(PATH)) == 3


def test_a_failed_operation_raises_with_its_problems(amazon: FakeAmazon, client: SpApiClient):
    problem = {"code": "FBA_INB_0182", "message": "No placement option.", "severity": "ERROR"}
    amazon.add(PATH, status("FAILED", [problem]))
    state = check_operation(client, OPERATION)
    assert state.failed
    with pytest.raises(InboundOperationFailed) as caught:
        state.raise_for_failure()
    assert isinstance(caught.value, SpApiError)
    assert caught.value.code == "FBA_INB_0182"
    assert caught.value.problems == [problem]
    assert "No placement option." in str(caught.value)


def test_an_unknown_status_is_a_bad_response(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(PATH, status("DONE"))
    with pytest.raises(BadResponse):
        check_operation(client, OPERATION)


def test_option_fees_net_of_discounts_per_currency():
    option = {
        "fees": [
            {
                "type": "FEE",
                "target": "Placement Services",
                "description": "",
                "value": {"amount": 22.8, "code": "USD"},
            },
            {
                "type": "FEE",
                "target": "Placement Services",
                "description": "",
                "value": {"amount": 0.1, "code": "USD"},
            },
        ],
        "discounts": [
            {
                "type": "DISCOUNT",
                "target": "Placement Services",
                "description": "",
                "value": {"amount": 2.9, "code": "USD"},
            },
        ],
    }
    assert option_fees(option) == {"USD": Decimal("20.00")}
    assert option_fees({"fees": [], "discounts": []}) == {}


def test_receipts_from_the_ledger_per_shipment_sku_and_disposition():
    rows = [
        {
            "EventType": "Receipts",
            "ReferenceID": "FBA1",
            "MSKU": "A",
            "Quantity": "10",
            "Disposition": "SELLABLE",
        },
        {
            "EventType": "Receipts",
            "ReferenceID": "FBA1",
            "MSKU": "A",
            "Quantity": "5",
            "Disposition": "SELLABLE",
        },
        {
            "EventType": "Receipts",
            "ReferenceID": "FBA1",
            "MSKU": "A",
            "Quantity": "1",
            "Disposition": "CARRIER_DAMAGED",
        },
        {
            "EventType": "Receipts",
            "ReferenceID": "FBA2",
            "MSKU": "A",
            "Quantity": "7",
            "Disposition": "SELLABLE",
        },
        {
            "EventType": "Shipments",
            "ReferenceID": "FBA1",
            "MSKU": "A",
            "Quantity": "-3",
            "Disposition": "SELLABLE",
        },
    ]
    assert receipts_from_ledger(rows, ["FBA1", "FBA9"]) == {
        "FBA1": {"A": {"SELLABLE": 15, "CARRIER_DAMAGED": 1}},
        "FBA9": {},
    }
    with pytest.raises(BadResponse):
        receipts_from_ledger(
            [{"EventType": "Receipts", "ReferenceID": "FBA1", "MSKU": "A", "Quantity": "x"}],
            ["FBA1"],
        )


def test_request_builders():
    assert plan_item("SKU-1", 4) == {
        "msku": "SKU-1",
        "quantity": 4,
        "labelOwner": "SELLER",
        "prepOwner": "NONE",
    }
    with pytest.raises(ValueError, match="quantity"):
        plan_item("SKU-1", 0)
    assert ready_to_ship("sh1", datetime(2026, 6, 2, 9, tzinfo=UTC)) == {
        "shipmentId": "sh1",
        "readyToShipWindow": {"start": "2026-06-02T09:00:00Z"},
    }
