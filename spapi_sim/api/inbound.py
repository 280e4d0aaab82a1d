"""Fulfillment Inbound API v2024-03-20: sending stock to FBA.

The flow a seller walks: createInboundPlan → generate/list/confirm packing options (or
setPackingInformation) → generate/list/confirm placement options (priced: the placement fee) →
generate/list/confirm transportation options → the shipments travel and Amazon receives them over
days. Every write answers with an ``operationId``; ``getInboundOperationStatus`` says
IN_PROGRESS until ``SimConfig.inbound_operation_seconds`` of simulated time have passed (or, on a
frozen clock, after ``inbound_polls`` polls), then SUCCESS or FAILED with ``operationProblems``.
The effect of an operation (options to list, a confirmed choice) exists only once it succeeded.

Amazon's realities, from the fault injector (one-shot ``next`` rules or ``error_rate``):
``inbound_operation_failed`` (the next generate/confirm operation FAILS inside Amazon),
``placement_empty`` / ``transportation_empty`` (the generate operation succeeds with no option),
``inbound_short`` / ``inbound_damaged`` (a shipment whose transport is confirmed is received short
or with damaged units). Without faults, a seeded draw per shipment makes about one in five short
and one in ten damaged. What was shipped and received per SKU is in ``inbound_truth()``.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from spapi_sim.api.common import decode_token, encode_token, invalid, iso_seconds, not_found
from spapi_sim.http import Response, Router, json_response
from spapi_sim.state import Context, SimState
from spapi_sim.world.history import DAY

BASE = "/inbound/fba/2024-03-20"
PAGE_SIZE = 10
MAX_PAGE_SIZE = {"plans": 30, "items": 1000, "options": 20, "boxes": 1000}

OPERATION_FAULTS = ("inbound_operation_failed",)
RECEIPT_FAULTS = ("inbound_short", "inbound_damaged")

# Days after the transportation is confirmed at which a shipment reaches each status.
SHIPMENT_TIMELINE: tuple[tuple[float, str], ...] = (
    (0.0, "READY_TO_SHIP"),
    (1.0, "SHIPPED"),
    (2.0, "IN_TRANSIT"),
    (4.0, "RECEIVING"),
    (7.0, "CLOSED"),
)
RECEIVING_START, CLOSED_AT = 4.0, 7.0
# The placement fee per unit of the minimal split (one shipment), in USD before FX; Amazon's
# optimized split (several shipments) has none.
PLACEMENT_FEE_PER_UNIT = Decimal("0.30")
PARTNERED_CARRIER_PER_UNIT = Decimal("0.45")
WAREHOUSES = ("ABE8", "ONT8", "MDW2", "TPA1", "RDU4", "FTW1")
LABEL_OWNERS = ("AMAZON", "SELLER", "NONE")
PREP_OWNERS = ("AMAZON", "SELLER", "NONE")
BOX_SOURCES = ("BOX_CONTENT_PROVIDED", "MANUAL_PROCESS", "BARCODE_2D")


def _new_id(rng: random.Random, prefix: str = "") -> str:
    return prefix + str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Operation:
    operation_id: str
    name: str
    plan_id: str
    created: int
    failed: bool
    problems: list[dict[str, str]]
    effect: Callable[[int], None]  # called once, with the instant it succeeded
    polls: int = 0
    done: bool = False


@dataclass
class Shipment:
    shipment_id: str
    placement_option_id: str
    warehouse_id: str
    items: dict[str, int]  # msku -> units
    status: str = "UNCONFIRMED"
    confirmation_id: str = ""
    transportation_option_id: str = ""
    transport_confirmed: int | None = None
    ready_to_ship: int | None = None
    # Decided when the transportation is confirmed: units Amazon will count, per msku.
    final_received: dict[str, int] = field(default_factory=dict)
    final_damaged: dict[str, int] = field(default_factory=dict)

    def status_at(self, now: int) -> str:
        if self.transport_confirmed is None:
            return self.status
        days = (now - self.transport_confirmed) / DAY
        current = self.status
        for start, status in SHIPMENT_TIMELINE:
            if days >= start:
                current = status
        return current

    def received_at(self, now: int) -> tuple[dict[str, int], dict[str, int]]:
        """(received, damaged) per msku at ``now``: counted day by day while RECEIVING."""
        if self.transport_confirmed is None:
            return {}, {}
        days = (now - self.transport_confirmed) / DAY
        if days < RECEIVING_START:
            fraction = 0.0
        elif days >= CLOSED_AT:
            fraction = 1.0
        else:
            whole_days = int(days - RECEIVING_START) + 1
            fraction = min(1.0, whole_days / (CLOSED_AT - RECEIVING_START))
        received = {k: int(v * fraction) for k, v in self.final_received.items()}
        damaged = {k: int(v * fraction) for k, v in self.final_damaged.items()}
        return received, damaged


@dataclass
class Plan:
    plan_id: str
    name: str
    marketplace_id: str
    currency: str
    fx: Decimal
    source_address: dict[str, Any]
    items: list[dict[str, Any]]
    created: int
    updated: int
    status: str = "ACTIVE"
    packing_options: list[dict[str, Any]] = field(default_factory=list)
    packing_groups: dict[str, list[str]] = field(default_factory=dict)
    packing_confirmed: str = ""
    packing_information: bool = False
    placement_options: list[dict[str, Any]] = field(default_factory=list)
    placement_confirmed: str = ""
    shipments: dict[str, Shipment] = field(default_factory=dict)
    transportation_options: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[dict[str, Any]] = field(default_factory=list)

    def quantities(self) -> dict[str, int]:
        return {item["msku"]: int(item["quantity"]) for item in self.items}


class InboundStore:
    """Every seller's inbound plans and operations; one lock guards them all."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.rng = random.Random(state.config.seed ^ 0x1B0D)
        self.plans: dict[str, dict[str, Plan]] = {}  # seller -> plan id -> plan
        self.operations: dict[str, dict[str, Operation]] = {}  # seller -> op id -> op

    def settle(self, spid: str, now: int) -> None:
        """Finish the operations whose time has come (or that were polled enough)."""
        seconds = self.state.config.inbound_operation_seconds
        polls = self.state.config.inbound_polls
        for op in self.operations.get(spid, {}).values():
            if op.done:
                continue
            if now - op.created >= seconds or (polls > 0 and op.polls >= polls):
                op.done = True
                # The instant Amazon finished, even when nobody asked until much later.
                finished = min(now, op.created + int(seconds))
                plan = self.plans.get(spid, {}).get(op.plan_id)
                if not op.failed:
                    op.effect(finished)
                elif plan is not None and op.name == "createInboundPlan":
                    plan.status = "ERRORED"
                if plan is not None:
                    plan.updated = finished


_STORES_LOCK = threading.Lock()


def store(state: SimState) -> InboundStore:
    """The state's inbound store, made on first use."""
    with _STORES_LOCK:
        existing = state.extensions.get("inbound")
        if isinstance(existing, InboundStore):
            return existing
        created = InboundStore(state)
        state.extensions["inbound"] = created
        return created


def register(router: Router) -> None:
    routes: list[tuple[str, str, Any, str]] = [
        ("GET", "/inboundPlans", list_inbound_plans, "listInboundPlans"),
        ("POST", "/inboundPlans", create_inbound_plan, "createInboundPlan"),
        ("GET", "/inboundPlans/{inboundPlanId}", get_inbound_plan, "getInboundPlan"),
        ("GET", "/inboundPlans/{inboundPlanId}/items", list_plan_items, "listInboundPlanItems"),
        ("GET", "/inboundPlans/{inboundPlanId}/boxes", list_plan_boxes, "listInboundPlanBoxes"),
        (
            "PUT",
            "/inboundPlans/{inboundPlanId}/cancellation",
            cancel_inbound_plan,
            "cancelInboundPlan",
        ),
        (
            "POST",
            "/inboundPlans/{inboundPlanId}/packingOptions",
            generate_packing_options,
            "generatePackingOptions",
        ),
        (
            "GET",
            "/inboundPlans/{inboundPlanId}/packingOptions",
            list_packing_options,
            "listPackingOptions",
        ),
        (
            "POST",
            "/inboundPlans/{inboundPlanId}/packingOptions/{packingOptionId}/confirmation",
            confirm_packing_option,
            "confirmPackingOption",
        ),
        (
            "GET",
            "/inboundPlans/{inboundPlanId}/packingGroups/{packingGroupId}/items",
            list_packing_group_items,
            "listPackingGroupItems",
        ),
        (
            "POST",
            "/inboundPlans/{inboundPlanId}/packingInformation",
            set_packing_information,
            "setPackingInformation",
        ),
        (
            "POST",
            "/inboundPlans/{inboundPlanId}/placementOptions",
            generate_placement_options,
            "generatePlacementOptions",
        ),
        (
            "GET",
            "/inboundPlans/{inboundPlanId}/placementOptions",
            list_placement_options,
            "listPlacementOptions",
        ),
        (
            "POST",
            "/inboundPlans/{inboundPlanId}/placementOptions/{placementOptionId}/confirmation",
            confirm_placement_option,
            "confirmPlacementOption",
        ),
        (
            "POST",
            "/inboundPlans/{inboundPlanId}/transportationOptions",
            generate_transportation_options,
            "generateTransportationOptions",
        ),
        (
            "GET",
            "/inboundPlans/{inboundPlanId}/transportationOptions",
            list_transportation_options,
            "listTransportationOptions",
        ),
        (
            "POST",
            "/inboundPlans/{inboundPlanId}/transportationOptions/confirmation",
            confirm_transportation_options,
            "confirmTransportationOptions",
        ),
        (
            "GET",
            "/inboundPlans/{inboundPlanId}/shipments/{shipmentId}",
            get_shipment,
            "getShipment",
        ),
        (
            "GET",
            "/inboundPlans/{inboundPlanId}/shipments/{shipmentId}/items",
            list_shipment_items,
            "listShipmentItems",
        ),
        (
            "GET",
            "/inboundPlans/{inboundPlanId}/shipments/{shipmentId}/boxes",
            list_shipment_boxes,
            "listShipmentBoxes",
        ),
        ("GET", "/operations/{operationId}", get_operation_status, "getInboundOperationStatus"),
    ]
    for method, path, handler, operation in routes:
        router.add(method, BASE + path, handler, operation=operation)


# --- helpers ----------------------------------------------------------------------------------


def _body(ctx: Context) -> dict[str, Any]:
    try:
        data = ctx.request.json()
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise invalid("The request body must be a JSON object.")
    return data


def _plan(ctx: Context, inbound: InboundStore) -> Plan:
    plan_id = ctx.request.params["inboundPlanId"]
    plan = inbound.plans.get(ctx.seller.selling_partner_id, {}).get(plan_id)
    if plan is None:
        raise not_found(f"Inbound plan {plan_id} was not found.")
    return plan


def _active(plan: Plan) -> None:
    if plan.status != "ACTIVE":
        raise invalid(f"Inbound plan {plan.plan_id} is {plan.status}; it cannot be changed.")


def _shipment(ctx: Context, plan: Plan) -> Shipment:
    shipment_id = ctx.request.params["shipmentId"]
    shipment = plan.shipments.get(shipment_id)
    if shipment is None or (
        plan.placement_confirmed and shipment.placement_option_id != plan.placement_confirmed
    ):
        raise not_found(f"Shipment {shipment_id} was not found in plan {plan.plan_id}.")
    return shipment


def _money(plan: Plan, usd: Decimal) -> dict[str, Any]:
    amount = (usd * plan.fx).quantize(Decimal("0.01"))
    return {"amount": float(amount), "code": plan.currency}


def _page(ctx: Context, rows: list[Any], kind: str, limit: int) -> tuple[list[Any], str | None]:
    raw = ctx.request.arg("pageSize")
    size = PAGE_SIZE
    if raw:
        try:
            size = int(raw)
        except ValueError:
            raise invalid("pageSize must be an integer.") from None
        if not 1 <= size <= limit:
            raise invalid(f"pageSize must be between 1 and {limit}.")
    offset = 0
    token = ctx.request.arg("paginationToken")
    if token:
        offset = int(decode_token(token, kind)["o"])
    page = rows[offset : offset + size]
    if offset + size < len(rows):
        return page, encode_token({"k": kind, "o": offset + size})
    return page, None


def _paged(body: dict[str, Any], token: str | None) -> Response:
    if token:
        body["pagination"] = {"nextToken": token}
    return json_response(200, body)


def _start(
    ctx: Context,
    inbound: InboundStore,
    name: str,
    plan_id: str,
    effect: Callable[[int], None],
    problems_if_failed: list[dict[str, str]] | None = None,
) -> str:
    """Record an operation; the fault injector may make it fail inside Amazon."""
    fault = ctx.state.faults.draw(name, OPERATION_FAULTS)
    operation_id = _new_id(inbound.rng)
    problems: list[dict[str, str]] = []
    if fault is not None:
        problems = problems_if_failed or [
            {
                "code": "FBA_INB_0182",
                "message": f"{name} could not be completed: Amazon's fulfilment network "
                "could not process the request. Try again later.",
                "severity": "ERROR",
                "details": "",
            }
        ]
    spid = ctx.seller.selling_partner_id
    inbound.operations.setdefault(spid, {})[operation_id] = Operation(
        operation_id, name, plan_id, ctx.now, fault is not None, problems, effect
    )
    return operation_id


def _accepted(operation_id: str, **extra: str) -> Response:
    return json_response(202, {**extra, "operationId": operation_id})


# --- plans --------------------------------------------------------------------------------------


def _address(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid("sourceAddress is required.")
    limits = {
        "addressLine1": 180,
        "addressLine2": 60,
        "city": 30,
        "companyName": 50,
        "countryCode": 2,
        "districtOrCounty": 50,
        "email": 1024,
        "name": 50,
        "phoneNumber": 20,
        "postalCode": 32,
        "stateOrProvinceCode": 64,
    }
    for required in ("addressLine1", "city", "countryCode", "name", "phoneNumber", "postalCode"):
        if not isinstance(value.get(required), str) or not value[required]:
            raise invalid(f"sourceAddress.{required} is required.")
    result = {}
    for key, text in value.items():
        if key not in limits:
            raise invalid(f"sourceAddress.{key} is not a field of AddressInput.")
        if not isinstance(text, str) or not 1 <= len(text) <= limits[key]:
            raise invalid(f"sourceAddress.{key} must be 1 to {limits[key]} characters.")
        result[key] = text
    if len(result["countryCode"]) != 2 or not result["countryCode"].isupper():
        raise invalid("sourceAddress.countryCode must be two capital letters.")
    return result


def create_inbound_plan(ctx: Context) -> Response:
    body = _body(ctx)
    world = ctx.seller
    markets = body.get("destinationMarketplaces")
    if not isinstance(markets, list) or len(markets) != 1:
        raise invalid("destinationMarketplaces must hold exactly one marketplace id.")
    mi = world.marketplace_index(str(markets[0]))
    if mi is None:
        raise invalid(f"Invalid destinationMarketplaces: {markets[0]} is not this seller's.")
    marketplace = world.marketplaces[mi]
    address = _address(body.get("sourceAddress"))
    raw_items = body.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise invalid("items must hold at least one item.")
    by_sku = {p.sku: p for p in world.products}
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            raise invalid(f"items[{index}] must be an object.")
        msku = raw.get("msku")
        product = by_sku.get(msku) if isinstance(msku, str) else None
        if product is None:
            raise invalid(f"items[{index}].msku {msku!r} is not a listing of this seller.")
        if product.channel != "AFN":
            raise invalid(f"items[{index}].msku {msku} is not fulfilled by Amazon.")
        if msku in seen:
            raise invalid(f"items[{index}].msku {msku} appears twice.")
        seen.add(product.sku)
        quantity = raw.get("quantity")
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not 1 <= quantity <= 500000
        ):
            raise invalid(f"items[{index}].quantity must be an integer from 1 to 500000.")
        if raw.get("labelOwner") not in LABEL_OWNERS:
            raise invalid(f"items[{index}].labelOwner must be one of {', '.join(LABEL_OWNERS)}.")
        if raw.get("prepOwner") not in PREP_OWNERS:
            raise invalid(f"items[{index}].prepOwner must be one of {', '.join(PREP_OWNERS)}.")
        items.append(
            {
                "msku": product.sku,
                "asin": product.asin,
                "fnsku": product.fnsku,
                "quantity": quantity,
                "labelOwner": raw["labelOwner"],
                "prepOwner": raw["prepOwner"],
            }
        )
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 40):
        raise invalid("name must be 1 to 40 characters.")
    inbound = store(ctx.state)
    with inbound.lock:
        plan_id = _new_id(inbound.rng, "wf")
        now = ctx.now
        plan = Plan(
            plan_id=plan_id,
            name=name or f"FBA STA ({iso_seconds(ctx, now)[:10]})",
            marketplace_id=marketplace.id,
            currency=marketplace.currency,
            fx=Decimal(str(marketplace.fx)),
            source_address=address,
            items=items,
            created=now,
            updated=now,
        )
        spid = world.selling_partner_id
        failed_problems = [
            {
                "code": "FBA_INB_0004",
                "message": "The inbound plan could not be created. Try again later.",
                "severity": "ERROR",
                "details": "",
            }
        ]

        def effect(_finished: int) -> None:
            return None

        operation_id = _start(ctx, inbound, "createInboundPlan", plan_id, effect, failed_problems)
        inbound.plans.setdefault(spid, {})[plan_id] = plan
    return _accepted(operation_id, inboundPlanId=plan_id)


def _summary(ctx: Context, plan: Plan) -> dict[str, Any]:
    return {
        "createdAt": iso_seconds(ctx, plan.created),
        "inboundPlanId": plan.plan_id,
        "lastUpdatedAt": iso_seconds(ctx, plan.updated),
        "marketplaceIds": [plan.marketplace_id],
        "name": plan.name,
        "sourceAddress": plan.source_address,
        "status": plan.status,
    }


def list_inbound_plans(ctx: Context) -> Response:
    inbound = store(ctx.state)
    status = ctx.request.arg("status")
    if status and status not in ("ACTIVE", "VOIDED", "SHIPPED"):
        raise invalid("status must be ACTIVE, VOIDED or SHIPPED.")
    sort_by = ctx.request.arg("sortBy") or "LAST_UPDATED_TIME"
    if sort_by not in ("LAST_UPDATED_TIME", "CREATION_TIME"):
        raise invalid("sortBy must be LAST_UPDATED_TIME or CREATION_TIME.")
    order = ctx.request.arg("sortOrder") or "DESC"
    if order not in ("ASC", "DESC"):
        raise invalid("sortOrder must be ASC or DESC.")
    spid = ctx.seller.selling_partner_id
    with inbound.lock:
        inbound.settle(spid, ctx.now)
        _refresh_plan_status(ctx, inbound)
        plans = [
            p for p in inbound.plans.get(spid, {}).values() if not status or p.status == status
        ]
        by_update = sort_by == "LAST_UPDATED_TIME"
        plans.sort(
            key=lambda p: (p.updated if by_update else p.created, p.plan_id),
            reverse=order == "DESC",
        )
        page, token = _page(ctx, plans, "inboundPlans", MAX_PAGE_SIZE["plans"])
        return _paged({"inboundPlans": [_summary(ctx, p) for p in page]}, token)


def _refresh_plan_status(ctx: Context, inbound: InboundStore) -> None:
    """A plan whose shipments have all left is SHIPPED."""
    for plan in inbound.plans.get(ctx.seller.selling_partner_id, {}).values():
        if plan.status != "ACTIVE" or not plan.placement_confirmed:
            continue
        chosen = [
            s for s in plan.shipments.values() if s.placement_option_id == plan.placement_confirmed
        ]
        if chosen and all(
            s.status_at(ctx.now) in ("SHIPPED", "IN_TRANSIT", "RECEIVING", "CLOSED") for s in chosen
        ):
            plan.status = "SHIPPED"


def get_inbound_plan(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        _refresh_plan_status(ctx, inbound)
        plan = _plan(ctx, inbound)
        body = _summary(ctx, plan)
        body["packingOptions"] = [
            {"packingOptionId": o["packingOptionId"], "status": o["status"]}
            for o in plan.packing_options
        ]
        body["placementOptions"] = [
            {"placementOptionId": o["placementOptionId"], "status": o["status"]}
            for o in plan.placement_options
        ]
        body["shipments"] = [
            {"shipmentId": s.shipment_id, "status": s.status_at(ctx.now)}
            for s in plan.shipments.values()
            if not plan.placement_confirmed or s.placement_option_id == plan.placement_confirmed
        ]
        return json_response(200, body)


def _item(item: dict[str, Any], quantity: int) -> dict[str, Any]:
    prep: dict[str, Any] = {"prepOwner": item["prepOwner"], "prepType": "ITEM_NO_PREP"}
    return {
        "asin": item["asin"],
        "fnsku": item["fnsku"],
        "labelOwner": item["labelOwner"],
        "msku": item["msku"],
        "prepInstructions": [prep],
        "quantity": quantity,
    }


def list_plan_items(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        plan = _plan(ctx, inbound)
        rows = [_item(i, int(i["quantity"])) for i in plan.items]
    page, token = _page(ctx, rows, "planItems", MAX_PAGE_SIZE["items"])
    return _paged({"items": page}, token)


def cancel_inbound_plan(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        plan = _plan(ctx, inbound)
        if plan.status == "VOIDED":
            raise invalid(f"Inbound plan {plan.plan_id} is already cancelled.")
        if any(s.transport_confirmed is not None for s in plan.shipments.values()):
            raise invalid(f"Inbound plan {plan.plan_id} has shipments on their way.")

        def effect(_finished: int) -> None:
            plan.status = "VOIDED"

        operation_id = _start(ctx, inbound, "cancelInboundPlan", plan.plan_id, effect)
    return _accepted(operation_id)


# --- packing -------------------------------------------------------------------------------


def generate_packing_options(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        _active(plan)
        option_id = _new_id(inbound.rng, "po")
        group_id = _new_id(inbound.rng, "pg")

        def effect(_finished: int) -> None:
            plan.packing_groups[group_id] = [i["msku"] for i in plan.items]
            plan.packing_options.append(
                {
                    "discounts": [],
                    "fees": [],
                    "packingGroups": [group_id],
                    "packingOptionId": option_id,
                    "status": "OFFERED",
                    "supportedConfigurations": [
                        {
                            "boxPackingMethods": ["BOX_CONTENT_PROVIDED"],
                            "boxRequirements": {
                                "weight": {"maximum": 50.0, "minimum": 0.0, "unit": "LB"}
                            },
                            "shippingRequirements": [
                                {
                                    "modes": ["GROUND_SMALL_PARCEL"],
                                    "solution": "AMAZON_PARTNERED_CARRIER",
                                },
                                {
                                    "modes": ["GROUND_SMALL_PARCEL"],
                                    "solution": "USE_YOUR_OWN_CARRIER",
                                },
                            ],
                        }
                    ],
                    "supportedShippingConfigurations": [
                        {
                            "shippingMode": "GROUND_SMALL_PARCEL",
                            "shippingSolution": "AMAZON_PARTNERED_CARRIER",
                        },
                        {
                            "shippingMode": "GROUND_SMALL_PARCEL",
                            "shippingSolution": "USE_YOUR_OWN_CARRIER",
                        },
                    ],
                }
            )

        operation_id = _start(ctx, inbound, "generatePackingOptions", plan.plan_id, effect)
    return _accepted(operation_id)


def list_packing_options(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        rows = [dict(o) for o in plan.packing_options]
    page, token = _page(ctx, rows, "packingOptions", MAX_PAGE_SIZE["options"])
    return _paged({"packingOptions": page}, token)


def list_packing_group_items(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        group = plan.packing_groups.get(ctx.request.params["packingGroupId"])
        if group is None:
            raise not_found("Packing group not found.")
        rows = [_item(i, int(i["quantity"])) for i in plan.items if i["msku"] in group]
    page, token = _page(ctx, rows, "groupItems", 100)
    return _paged({"items": page}, token)


def confirm_packing_option(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        _active(plan)
        option_id = ctx.request.params["packingOptionId"]
        option = next((o for o in plan.packing_options if o["packingOptionId"] == option_id), None)
        if option is None:
            raise not_found(f"Packing option {option_id} was not found.")
        if plan.packing_confirmed:
            raise invalid("A packing option is already confirmed for this plan.")

        def effect(_finished: int) -> None:
            plan.packing_confirmed = option_id
            for other in plan.packing_options:
                other["status"] = "ACCEPTED" if other is option else "EXPIRED"

        operation_id = _start(ctx, inbound, "confirmPackingOption", plan.plan_id, effect)
    return _accepted(operation_id)


def _box(plan: Plan, raw: Any, where: str, rng: random.Random) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid(f"{where} must be an object.")
    source = raw.get("contentInformationSource")
    if source not in BOX_SOURCES:
        raise invalid(f"{where}.contentInformationSource must be one of {', '.join(BOX_SOURCES)}.")
    dims = raw.get("dimensions")
    if not isinstance(dims, dict) or dims.get("unitOfMeasurement") not in ("IN", "CM"):
        raise invalid(f"{where}.dimensions needs length, width, height and unitOfMeasurement.")
    for key in ("length", "width", "height"):
        if not isinstance(dims.get(key), int | float) or dims[key] <= 0:
            raise invalid(f"{where}.dimensions.{key} must be a positive number.")
    weight = raw.get("weight")
    if not isinstance(weight, dict) or weight.get("unit") not in ("LB", "KG"):
        raise invalid(f"{where}.weight needs value and unit (LB or KG).")
    if not isinstance(weight.get("value"), int | float) or weight["value"] <= 0:
        raise invalid(f"{where}.weight.value must be a positive number.")
    quantity = raw.get("quantity")
    if not isinstance(quantity, int) or not 1 <= quantity <= 10000:
        raise invalid(f"{where}.quantity must be an integer from 1 to 10000.")
    known = {i["msku"]: i for i in plan.items}
    items = []
    for index, item in enumerate(raw.get("items") or []):
        msku = item.get("msku") if isinstance(item, dict) else None
        if msku not in known:
            raise invalid(f"{where}.items[{index}].msku {msku!r} is not in the plan.")
        units = item.get("quantity")
        if not isinstance(units, int) or units < 1:
            raise invalid(f"{where}.items[{index}].quantity must be a positive integer.")
        items.append(_item(known[msku], units))
    return {
        "packageId": _new_id(rng, "pk"),
        "contentInformationSource": source,
        "dimensions": {
            "height": dims["height"],
            "length": dims["length"],
            "unitOfMeasurement": dims["unitOfMeasurement"],
            "width": dims["width"],
        },
        "items": items,
        "quantity": quantity,
        "weight": {"unit": weight["unit"], "value": weight["value"]},
    }


def set_packing_information(ctx: Context) -> Response:
    body = _body(ctx)
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        _active(plan)
        groupings = body.get("packageGroupings")
        if not isinstance(groupings, list) or not groupings:
            raise invalid("packageGroupings must hold at least one grouping.")
        boxes: list[dict[str, Any]] = []
        for gi, grouping in enumerate(groupings):
            if not isinstance(grouping, dict) or not isinstance(grouping.get("boxes"), list):
                raise invalid(f"packageGroupings[{gi}].boxes is required.")
            group_id = grouping.get("packingGroupId")
            if group_id is not None and group_id not in plan.packing_groups:
                raise invalid(
                    f"packageGroupings[{gi}].packingGroupId {group_id} is not in the plan."
                )
            for bi, raw in enumerate(grouping["boxes"]):
                boxes.append(_box(plan, raw, f"packageGroupings[{gi}].boxes[{bi}]", inbound.rng))

        def effect(_finished: int) -> None:
            plan.packing_information = True
            plan.boxes = boxes

        operation_id = _start(ctx, inbound, "setPackingInformation", plan.plan_id, effect)
    return _accepted(operation_id)


def list_plan_boxes(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        rows = list(plan.boxes)
    page, token = _page(ctx, rows, "planBoxes", MAX_PAGE_SIZE["boxes"])
    return _paged({"boxes": page}, token)


def list_shipment_boxes(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        shipment = _shipment(ctx, plan)
        wanted = set(shipment.items)
        rows = [
            {**box, "items": [i for i in box["items"] if i["msku"] in wanted]}
            for box in plan.boxes
            if any(i["msku"] in wanted for i in box["items"]) or not box["items"]
        ]
    page, token = _page(ctx, rows, "shipmentBoxes", MAX_PAGE_SIZE["boxes"])
    return _paged({"boxes": page}, token)


# --- placement -------------------------------------------------------------------------------


def _split(quantities: dict[str, int], parts: int) -> list[dict[str, int]]:
    """SKUs dealt round-robin over ``parts`` shipments (a SKU goes whole to one)."""
    skus = sorted(quantities)
    parts = max(1, min(parts, len(skus)))
    result: list[dict[str, int]] = [{} for _ in range(parts)]
    for index, sku in enumerate(skus):
        result[index % parts][sku] = quantities[sku]
    return result


def generate_placement_options(ctx: Context) -> Response:
    _body(ctx)
    inbound = store(ctx.state)
    spid = ctx.seller.selling_partner_id
    with inbound.lock:
        inbound.settle(spid, ctx.now)
        plan = _plan(ctx, inbound)
        _active(plan)
        if not plan.packing_confirmed and not plan.packing_information:
            raise invalid("Confirm a packing option or set packing information first.")
        if plan.placement_confirmed:
            raise invalid("A placement option is already confirmed for this plan.")
        empty = ctx.state.faults.draw("generatePlacementOptions", ("placement_empty",)) is not None
        quantities = plan.quantities()
        units = sum(quantities.values())
        rng = inbound.rng
        drafts: list[tuple[list[dict[str, int]], Decimal]] = []
        if not empty:
            drafts.append((_split(quantities, 1), PLACEMENT_FEE_PER_UNIT * units))
            if len(quantities) > 1:
                drafts.append((_split(quantities, 3), Decimal(0)))
        options: list[dict[str, Any]] = []
        shipments: list[Shipment] = []
        for split, fee in drafts:
            option_id = _new_id(rng, "pl")
            ids = []
            for part in split:
                shipment = Shipment(
                    shipment_id=_new_id(rng, "sh"),
                    placement_option_id=option_id,
                    warehouse_id=WAREHOUSES[rng.randrange(len(WAREHOUSES))],
                    items=part,
                )
                shipments.append(shipment)
                ids.append(shipment.shipment_id)
            options.append(
                {
                    "discounts": [],
                    "expiration": iso_seconds(ctx, ctx.now + 30 * DAY),
                    "fees": [
                        {
                            "description": "Placement service fee",
                            "target": "Placement Services",
                            "type": "FEE",
                            "value": _money(plan, fee),
                        }
                    ],
                    "placementOptionId": option_id,
                    "shipmentIds": ids,
                    "status": "OFFERED",
                }
            )

        def effect(_finished: int) -> None:
            plan.placement_options = options
            plan.shipments = {s.shipment_id: s for s in shipments}

        operation_id = _start(ctx, inbound, "generatePlacementOptions", plan.plan_id, effect)
    return _accepted(operation_id)


def list_placement_options(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        rows = [dict(o) for o in plan.placement_options]
    page, token = _page(ctx, rows, "placementOptions", MAX_PAGE_SIZE["options"])
    return _paged({"placementOptions": page}, token)


def confirm_placement_option(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        _active(plan)
        option_id = ctx.request.params["placementOptionId"]
        option = next(
            (o for o in plan.placement_options if o["placementOptionId"] == option_id), None
        )
        if option is None:
            raise not_found(f"Placement option {option_id} was not found.")
        if plan.placement_confirmed:
            raise invalid("A placement option is already confirmed for this plan.")

        def effect(_finished: int) -> None:
            plan.placement_confirmed = option_id
            for other in plan.placement_options:
                other["status"] = "ACCEPTED" if other is option else "EXPIRED"
            for shipment in plan.shipments.values():
                if shipment.placement_option_id == option_id:
                    shipment.status = "WORKING"
                    shipment.confirmation_id = "FBA" + "".join(
                        inbound.rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(9)
                    )

        operation_id = _start(ctx, inbound, "confirmPlacementOption", plan.plan_id, effect)
    return _accepted(operation_id)


# --- transportation --------------------------------------------------------------------------


def generate_transportation_options(ctx: Context) -> Response:
    body = _body(ctx)
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        _active(plan)
        option_id = body.get("placementOptionId")
        if not any(o["placementOptionId"] == option_id for o in plan.placement_options):
            raise invalid(f"placementOptionId {option_id!r} is not a placement option of the plan.")
        configs = body.get("shipmentTransportationConfigurations")
        if not isinstance(configs, list) or not configs:
            raise invalid("shipmentTransportationConfigurations must hold at least one shipment.")
        wanted: dict[str, Shipment] = {}
        for index, config in enumerate(configs):
            if not isinstance(config, dict):
                raise invalid(f"shipmentTransportationConfigurations[{index}] must be an object.")
            shipment = plan.shipments.get(str(config.get("shipmentId")))
            if shipment is None or shipment.placement_option_id != option_id:
                raise invalid(
                    f"shipmentTransportationConfigurations[{index}].shipmentId is not a "
                    "shipment of that placement option."
                )
            window = config.get("readyToShipWindow")
            if not isinstance(window, dict) or not isinstance(window.get("start"), str):
                raise invalid(
                    f"shipmentTransportationConfigurations[{index}].readyToShipWindow.start "
                    "is required."
                )
            wanted[shipment.shipment_id] = shipment
        empty = (
            ctx.state.faults.draw("generateTransportationOptions", ("transportation_empty",))
            is not None
        )
        options: list[dict[str, Any]] = []
        if not empty:
            for shipment in wanted.values():
                units = sum(shipment.items.values())
                options.append(
                    {
                        "carrier": {"alphaCode": "UPSN", "name": "United Parcel Service Inc."},
                        "preconditions": [],
                        "quote": {
                            "cost": _money(plan, PARTNERED_CARRIER_PER_UNIT * units),
                            "expiration": iso_seconds(ctx, ctx.now + 2 * DAY),
                            "voidableUntil": iso_seconds(ctx, ctx.now + DAY),
                        },
                        "shipmentId": shipment.shipment_id,
                        "shippingMode": "GROUND_SMALL_PARCEL",
                        "shippingSolution": "AMAZON_PARTNERED_CARRIER",
                        "transportationOptionId": _new_id(inbound.rng, "to"),
                    }
                )
                options.append(
                    {
                        "carrier": {"alphaCode": "OTHR", "name": "Other"},
                        "preconditions": [],
                        "shipmentId": shipment.shipment_id,
                        "shippingMode": "GROUND_SMALL_PARCEL",
                        "shippingSolution": "USE_YOUR_OWN_CARRIER",
                        "transportationOptionId": _new_id(inbound.rng, "to"),
                    }
                )

        def effect(_finished: int) -> None:
            kept = [o for o in plan.transportation_options if o["shipmentId"] not in wanted]
            plan.transportation_options = kept + options

        operation_id = _start(ctx, inbound, "generateTransportationOptions", plan.plan_id, effect)
    return _accepted(operation_id)


def list_transportation_options(ctx: Context) -> Response:
    inbound = store(ctx.state)
    placement = ctx.request.arg("placementOptionId")
    shipment_id = ctx.request.arg("shipmentId")
    if not placement and not shipment_id:
        raise invalid("Either placementOptionId or shipmentId is required.")
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        rows = []
        for option in plan.transportation_options:
            shipment = plan.shipments[option["shipmentId"]]
            if shipment_id and option["shipmentId"] != shipment_id:
                continue
            if placement and shipment.placement_option_id != placement:
                continue
            rows.append(dict(option))
    page, token = _page(ctx, rows, "transportationOptions", MAX_PAGE_SIZE["options"])
    return _paged({"transportationOptions": page}, token)


def _receipt(ctx: Context, inbound: InboundStore, shipment: Shipment) -> None:
    """Decide what Amazon will count: short and damaged units, per SKU."""
    short = ctx.state.faults.draw("confirmTransportationOptions", ("inbound_short",)) is not None
    damaged = (
        ctx.state.faults.draw("confirmTransportationOptions", ("inbound_damaged",)) is not None
    )
    draw = random.Random(f"{ctx.state.config.seed}:{shipment.shipment_id}")
    short = short or draw.random() < ctx.state.config.inbound_short_rate
    damaged = damaged or draw.random() < ctx.state.config.inbound_damaged_rate
    skus = sorted(shipment.items)
    received = dict(shipment.items)
    hurt: dict[str, int] = {}
    if short:
        sku = skus[draw.randrange(len(skus))]
        missing = max(1, received[sku] // 10)
        received[sku] -= missing
    if damaged:
        sku = skus[draw.randrange(len(skus))]
        if received[sku] > 0:
            hurt[sku] = max(1, received[sku] // 20)
    shipment.final_received = received
    shipment.final_damaged = hurt
    _ledger_receipts(ctx, shipment)


def _ledger_receipts(ctx: Context, shipment: Shipment) -> None:
    """The inventory ledger's Receipts rows for the units counted each receiving day: sellable
    ones, and carrier-damaged ones in their own disposition, under the FBA… shipment id."""
    assert shipment.transport_confirmed is not None
    world = ctx.seller
    plan_market = next(
        p.marketplace_id
        for p in store(ctx.state).plans[world.selling_partner_id].values()
        if shipment.shipment_id in p.shipments
    )
    mi = world.marketplace_index(plan_market)
    assert mi is not None
    before: tuple[dict[str, int], dict[str, int]] = ({}, {})
    first = int(RECEIVING_START)
    for day in range(first, int(CLOSED_AT) + 1):
        moment = shipment.transport_confirmed + day * DAY
        now = shipment.received_at(moment)
        for sku in sorted(shipment.items):
            product = world.by_sku[sku].index
            received = now[0].get(sku, 0) - before[0].get(sku, 0)
            damaged = now[1].get(sku, 0) - before[1].get(sku, 0)
            if received - damaged:
                world.inbound_receipts.append(
                    (moment, product, mi, shipment.confirmation_id, received - damaged, "SELLABLE")
                )
            if damaged:
                world.inbound_receipts.append(
                    (moment, product, mi, shipment.confirmation_id, damaged, "CARRIER_DAMAGED")
                )
        before = now


def confirm_transportation_options(ctx: Context) -> Response:
    body = _body(ctx)
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        _active(plan)
        selections = body.get("transportationSelections")
        if not isinstance(selections, list) or not selections:
            raise invalid("transportationSelections must hold at least one selection.")
        chosen: list[tuple[Shipment, str]] = []
        for index, selection in enumerate(selections):
            if not isinstance(selection, dict):
                raise invalid(f"transportationSelections[{index}] must be an object.")
            option = next(
                (
                    o
                    for o in plan.transportation_options
                    if o["transportationOptionId"] == selection.get("transportationOptionId")
                    and o["shipmentId"] == selection.get("shipmentId")
                ),
                None,
            )
            if option is None:
                raise invalid(
                    f"transportationSelections[{index}] is not a transportation option of "
                    "that shipment."
                )
            shipment = plan.shipments[option["shipmentId"]]
            if shipment.placement_option_id != plan.placement_confirmed:
                raise invalid("Confirm the shipment's placement option first.")
            if shipment.transport_confirmed is not None:
                raise invalid(f"Shipment {shipment.shipment_id} already has its transportation.")
            chosen.append((shipment, option["transportationOptionId"]))

        def effect(moment: int) -> None:
            for shipment, option_id in chosen:
                shipment.transportation_option_id = option_id
                shipment.transport_confirmed = moment
                _receipt(ctx, inbound, shipment)

        operation_id = _start(ctx, inbound, "confirmTransportationOptions", plan.plan_id, effect)
    return _accepted(operation_id)


# --- shipments -------------------------------------------------------------------------------


def get_shipment(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        shipment = _shipment(ctx, plan)
        body: dict[str, Any] = {
            "destination": {
                "destinationType": "AMAZON_OPTIMIZED",
                "warehouseId": shipment.warehouse_id,
            },
            "name": f"{plan.name} {shipment.warehouse_id}",
            "placementOptionId": shipment.placement_option_id,
            "shipmentId": shipment.shipment_id,
            "source": {"address": plan.source_address, "sourceType": "SELLER_FACILITY"},
            "status": shipment.status_at(ctx.now),
        }
        if shipment.confirmation_id:
            body["shipmentConfirmationId"] = shipment.confirmation_id
            body["amazonReferenceId"] = shipment.confirmation_id[3:]
        if shipment.transportation_option_id:
            body["selectedTransportationOptionId"] = shipment.transportation_option_id
        if shipment.transport_confirmed is not None:
            start = shipment.transport_confirmed
            body["dates"] = {
                "readyToShipWindow": {
                    "start": iso_seconds(ctx, start),
                    "end": iso_seconds(ctx, start + DAY),
                }
            }
        return json_response(200, body)


def list_shipment_items(ctx: Context) -> Response:
    inbound = store(ctx.state)
    with inbound.lock:
        inbound.settle(ctx.seller.selling_partner_id, ctx.now)
        plan = _plan(ctx, inbound)
        shipment = _shipment(ctx, plan)
        known = {i["msku"]: i for i in plan.items}
        rows = [_item(known[sku], units) for sku, units in sorted(shipment.items.items())]
    page, token = _page(ctx, rows, "shipmentItems", MAX_PAGE_SIZE["items"])
    return _paged({"items": page}, token)


# --- operations ------------------------------------------------------------------------------


def get_operation_status(ctx: Context) -> Response:
    inbound = store(ctx.state)
    spid = ctx.seller.selling_partner_id
    operation_id = ctx.request.params["operationId"]
    with inbound.lock:
        op = inbound.operations.get(spid, {}).get(operation_id)
        if op is None:
            raise not_found(f"Operation {operation_id} was not found.")
        op.polls += 1
        inbound.settle(spid, ctx.now)
        status = "IN_PROGRESS" if not op.done else ("FAILED" if op.failed else "SUCCESS")
        return json_response(
            200,
            {
                "operation": op.name,
                "operationId": op.operation_id,
                "operationProblems": op.problems if op.done else [],
                "operationStatus": status,
            },
        )


# --- the truth -------------------------------------------------------------------------------


def inbound_truth(state: SimState, spid: str) -> dict[str, Any]:
    """Per plan and shipment: status, and units shipped, received and damaged per SKU now."""
    inbound = store(state)
    world = state.sellers[spid]
    now = state.now_seconds(world)
    plans = []
    with inbound.lock:
        inbound.settle(spid, now)
        for plan in inbound.plans.get(spid, {}).values():
            shipments = []
            for shipment in plan.shipments.values():
                if (
                    plan.placement_confirmed
                    and shipment.placement_option_id != plan.placement_confirmed
                ):
                    continue
                received, damaged = shipment.received_at(now)
                final = shipment.final_received
                shipments.append(
                    {
                        "shipment_id": shipment.shipment_id,
                        "shipment_confirmation_id": shipment.confirmation_id,
                        "status": shipment.status_at(now),
                        "warehouse_id": shipment.warehouse_id,
                        "skus": {
                            sku: {
                                "shipped": units if shipment.transport_confirmed is not None else 0,
                                "received": received.get(sku, 0),
                                "damaged": damaged.get(sku, 0),
                                "short": units - final[sku] if sku in final else 0,
                            }
                            for sku, units in sorted(shipment.items.items())
                        },
                    }
                )
            plans.append(
                {
                    "inbound_plan_id": plan.plan_id,
                    "status": plan.status,
                    "marketplace_id": plan.marketplace_id,
                    "placement_option_id": plan.placement_confirmed,
                    "shipments": shipments,
                }
            )
    return {"selling_partner_id": spid, "plans": plans}
