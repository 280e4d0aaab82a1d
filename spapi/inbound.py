"""Fulfillment Inbound v2024-03-20: the asynchronous operations as steps a caller can resume.

Every write of the inbound flow (createInboundPlan, generate/confirm packing, placement and
transportation options, setPackingInformation, cancelInboundPlan) answers with an
``operationId`` and does its work afterwards. A caller stores the id with its own record and
polls:

```python
created = client.create_inbound_plan(
    marketplace_id=mp, items=[plan_item("SKU-1", 48)], source_address=address
)
state = wait_for_operation(client, created["operationId"], timeout=30)
if state.in_progress:
    ...  # keep the id; call check_operation() or wait_for_operation() again later
state.raise_for_failure()  # InboundOperationFailed with Amazon's operationProblems
```

``wait_for_operation`` never blocks longer than ``timeout``: it returns the last state, done or
not. Nothing here holds state between calls, so a job that died between two polls resumes with
``check_operation`` and the stored id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from spapi.client import SpApiClient, format_param
from spapi.errors import BadResponse, InboundOperationFailed

IN_PROGRESS, SUCCESS, FAILED = "IN_PROGRESS", "SUCCESS", "FAILED"


@dataclass(frozen=True, slots=True)
class OperationState:
    """Where an inbound operation stands: ``status`` is IN_PROGRESS, SUCCESS or FAILED."""

    operation_id: str
    operation: str
    status: str
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCESS

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def raise_for_failure(self) -> OperationState:
        """Raise :class:`InboundOperationFailed` when FAILED; else return self."""
        if self.failed:
            summary = "; ".join(p.get("message", "") for p in self.problems) or "no details"
            raise InboundOperationFailed(
                f"{self.operation} failed: {summary}",
                operation_id=self.operation_id,
                inbound_operation=self.operation,
                problems=list(self.problems),
            )
        return self


def check_operation(client: SpApiClient, operation_id: str) -> OperationState:
    """One ``getInboundOperationStatus`` call, as an :class:`OperationState`."""
    body = client.get_inbound_operation_status(operation_id)
    status = body.get("operationStatus")
    if status not in (IN_PROGRESS, SUCCESS, FAILED):
        raise BadResponse(
            f"unexpected operationStatus {status!r}",
            operation="fulfillmentInbound_2024-03-20.getInboundOperationStatus",
        )
    problems = [
        {str(k): str(v) for k, v in p.items()}
        for p in body.get("operationProblems") or []
        if isinstance(p, Mapping)
    ]
    return OperationState(
        operation_id=str(body.get("operationId") or operation_id),
        operation=str(body.get("operation") or ""),
        status=str(status),
        problems=problems,
    )


def wait_for_operation(
    client: SpApiClient,
    operation_id: str,
    *,
    timeout: float = 60.0,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> OperationState:
    """Poll until the operation is done or ``timeout`` seconds have passed; return its state.

    An operation still IN_PROGRESS at the timeout is returned as such (not an error): the caller
    keeps the id and resumes later. Errors of the calls themselves (throttling after the
    retries, a revoked authorization) propagate as the client's typed errors.
    """
    deadline = clock() + timeout
    while True:
        state = check_operation(client, operation_id)
        if not state.in_progress:
            return state
        remaining = deadline - clock()
        if remaining <= 0:
            return state
        sleep(min(interval, remaining))


def plan_item(
    msku: str,
    quantity: int,
    *,
    label_owner: str = "SELLER",
    prep_owner: str = "NONE",
    expiration: str | None = None,
) -> dict[str, Any]:
    """An ``ItemInput`` for createInboundPlan / setPackingInformation box contents."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    item: dict[str, Any] = {
        "msku": msku,
        "quantity": quantity,
        "labelOwner": label_owner,
        "prepOwner": prep_owner,
    }
    if expiration:
        item["expiration"] = expiration
    return item


def ready_to_ship(shipment_id: str, start: datetime) -> dict[str, Any]:
    """A ``ShipmentTransportationConfiguration`` with the ready-to-ship window's start."""
    return {"shipmentId": shipment_id, "readyToShipWindow": {"start": format_param(start)}}


def option_fees(option: Mapping[str, Any]) -> dict[str, Decimal]:
    """An option's fees minus its discounts, per currency, as Decimal (the placement fee of a
    placement option; Amazon sends the amounts as JSON numbers)."""
    totals: dict[str, Decimal] = {}
    for key, sign in (("fees", 1), ("discounts", -1)):
        for incentive in option.get(key) or []:
            value = incentive.get("value") or {}
            code = str(value.get("code", ""))
            amount = Decimal(str(value.get("amount", 0))) * sign
            totals[code] = totals.get(code, Decimal(0)) + amount
    return {code: amount.quantize(Decimal("0.01")) for code, amount in totals.items()}


def receipts_from_ledger(
    rows: Iterable[Mapping[str, str]], shipment_confirmation_ids: Iterable[str]
) -> dict[str, dict[str, dict[str, int]]]:
    """Units Amazon counted in per shipment, SKU and disposition, from the inventory ledger.

    The v2024-03-20 model has no received quantities; Amazon's count is the
    ``GET_LEDGER_DETAIL_VIEW_DATA`` report's ``Receipts`` rows, whose ``ReferenceID`` is the
    shipment's ``shipmentConfirmationId`` (``FBA…``). Pass the rows of
    ``reports.iter_report_rows``; the answer is ``{confirmation_id: {msku: {"SELLABLE": n,
    "CARRIER_DAMAGED": m, …}}}`` (shipments with no receipt yet are present and empty).
    """
    wanted = set(shipment_confirmation_ids)
    result: dict[str, dict[str, dict[str, int]]] = {ref: {} for ref in wanted}
    for row in rows:
        ref = row.get("ReferenceID", "")
        if row.get("EventType") != "Receipts" or ref not in wanted:
            continue
        try:
            quantity = int(row.get("Quantity", ""))
        except ValueError:
            raise BadResponse(
                f"ledger row with quantity {row.get('Quantity')!r}",
                operation="reports_2021-06-30.getReportDocument",
            ) from None
        by_disposition = result[ref].setdefault(row.get("MSKU", ""), {})
        disposition = row.get("Disposition", "") or "SELLABLE"
        by_disposition[disposition] = by_disposition.get(disposition, 0) + quantity
    return result
