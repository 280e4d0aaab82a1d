"""The /_sim/ control surface for tests and demos: never part of Amazon's API, no auth."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from spapi_sim import truth
from spapi_sim.api.inbound import inbound_truth
from spapi_sim.clock import iso
from spapi_sim.consent import redirect_uri_allowed
from spapi_sim.http import Request, Response, Router, json_response
from spapi_sim.state import SimState


def register(router: Router) -> None:
    router.add("GET", "/_sim/info", info, kind="sim")
    router.add("POST", "/_sim/authorize", authorize, kind="sim")
    router.add("POST", "/_sim/revoke", revoke, kind="sim")
    router.add("GET", "/_sim/faults", get_faults, kind="sim")
    router.add("POST", "/_sim/faults", set_faults, kind="sim")
    router.add("GET", "/_sim/clock", get_clock, kind="sim")
    router.add("POST", "/_sim/clock", set_clock, kind="sim")
    router.add("GET", "/_sim/stats", get_stats, kind="sim")
    router.add("POST", "/_sim/stats/reset", reset_stats, kind="sim")
    router.add("POST", "/_sim/rate_scale", set_rate_scale, kind="sim")
    router.add("GET", "/_sim/truth/{sellingPartnerId}", get_truth, kind="sim")
    router.add("GET", "/_sim/inbound/{sellingPartnerId}", get_inbound_truth, kind="sim")


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def _body(request: Request) -> dict[str, Any]:
    try:
        data = request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def info(state: SimState, request: Request) -> Response:
    return json_response(200, state.info())


def authorize(state: SimState, request: Request) -> Response:
    """As if the seller had approved on the consent page: a fresh authorization code."""
    body = _body(request)
    spid = str(body.get("selling_partner_id", ""))
    if spid not in state.sellers:
        return _error(404, f"unknown selling_partner_id {spid!r}")
    if body.get("application_id", state.application_id) != state.application_id:
        return _error(400, "unknown application_id")
    redirect_uri = str(body.get("redirect_uri") or state.config.redirect_uris[0])
    if not redirect_uri_allowed(state, redirect_uri):
        return _error(400, "redirect_uri is not registered for the application (MD5101)")
    code = state.lwa.issue_code(spid, redirect_uri, state.now_ms())
    return json_response(
        200, {"code": code, "selling_partner_id": spid, "redirect_uri": redirect_uri}
    )


def revoke(state: SimState, request: Request) -> Response:
    """The seller removes the app: its refresh and access tokens stop working."""
    spid = str(_body(request).get("selling_partner_id", ""))
    if spid not in state.sellers:
        return _error(404, f"unknown selling_partner_id {spid!r}")
    state.lwa.revoke(spid, state.now_ms())
    return json_response(200, {"revoked": spid})


def get_faults(state: SimState, request: Request) -> Response:
    return json_response(200, state.faults.snapshot())


def set_faults(state: SimState, request: Request) -> Response:
    try:
        state.faults.update(_body(request))
    except (TypeError, ValueError) as exc:
        return _error(400, str(exc))
    return json_response(200, state.faults.snapshot())


def _clock(state: SimState) -> dict[str, Any]:
    return {
        "now": iso(state.clock.now()),
        "anchor": iso(state.config.anchor),
        "speed": state.clock.speed,
        # The demo's clock (--never-ahead) follows the real time once it has caught up.
        "never_ahead": state.config.clock_never_ahead,
        "caught_up": state.clock.caught_up(),
    }


def get_clock(state: SimState, request: Request) -> Response:
    return json_response(200, _clock(state))


def set_clock(state: SimState, request: Request) -> Response:
    body = _body(request)
    try:
        if "speed" in body:
            state.clock.set_speed(float(body["speed"]))
        if "advance_seconds" in body:
            state.clock.advance(float(body["advance_seconds"]))
    except (TypeError, ValueError) as exc:
        return _error(400, str(exc))
    return json_response(200, _clock(state))


def get_stats(state: SimState, request: Request) -> Response:
    return json_response(200, state.stats.snapshot())


def reset_stats(state: SimState, request: Request) -> Response:
    state.stats.reset()
    return json_response(200, state.stats.snapshot())


def set_rate_scale(state: SimState, request: Request) -> Response:
    try:
        scale = float(_body(request)["rate_scale"])
        if scale < 0:
            raise ValueError("rate_scale must not be negative")
    except (KeyError, TypeError, ValueError) as exc:
        return _error(400, f"expected {{'rate_scale': number}}: {exc}")
    state.limiter.set_scale(scale)
    return json_response(200, {"rate_scale": scale})


def get_truth(state: SimState, request: Request) -> Response:
    spid = request.params["sellingPartnerId"]
    world = state.sellers.get(spid)
    if world is None:
        return _error(404, f"unknown selling_partner_id {spid!r}")
    first_text, last_text = request.arg("from"), request.arg("to")
    try:
        first = dt.date.fromisoformat(first_text) if first_text else None
        last = dt.date.fromisoformat(last_text) if last_text else None
    except ValueError:
        return _error(400, "from and to must be YYYY-MM-DD dates")
    families = set(request.args("families"))
    data = truth.truth(world, state.clock.now(), first, last, families or None)
    return Response(
        200, json.dumps(data, indent=1).encode(), [("Content-Type", "application/json")]
    )


def get_inbound_truth(state: SimState, request: Request) -> Response:
    """Fulfillment Inbound's truth: per plan and shipment, units shipped and received per SKU."""
    spid = request.params["sellingPartnerId"]
    if spid not in state.sellers:
        return _error(404, f"unknown selling_partner_id {spid!r}")
    return json_response(200, inbound_truth(state, spid))
