"""The shipment pages: the list, a new shipment from waiting order lines, one shipment with its
legs, and counting it in at its location."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.shipments import selectors, services
from ams.shipments.forms import LegForm, LegProgressForm, ReceiveForm, ShipmentForm
from ams.shipments.models import Shipment, ShipmentLeg, ShipmentStatus
from ams.shipments.services import ShipmentError
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role


def _shipment(request: TeamRequest, shipment_id: int) -> Shipment:
    shipment = selectors.access_shipment(request.team, shipment_id)
    if shipment is None:
        raise Http404("No such shipment")
    return shipment


def _can_edit(request: TeamRequest) -> bool:
    return request.membership.role_enum.at_least(Role.MEMBER)


@team_view(read=Role.VIEWER)
@require_GET
def shipment_list(request: TeamRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ShipmentStatus.values:
        status = ""
    context = {
        "shipments": selectors.shipments(request.team, status=status)[:500],
        "status": status,
        "statuses": ShipmentStatus.choices,
        "can_edit": _can_edit(request),
    }
    return render(request, "shipments/shipments.html", context)


def _new_form(request: TeamRequest, data: Any = None) -> ShipmentForm:
    return ShipmentForm(
        data,
        destinations=[(loc.pk, str(loc)) for loc in selectors.locations(request.team)],
        lines=selectors.shippable_lines(request.team),
    )


@team_view(read=Role.MEMBER, write=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def shipment_new(request: TeamRequest) -> HttpResponse:
    form = _new_form(request, request.POST or None)
    leg_form = LegForm(request.POST or None, prefix="leg")
    if request.method == "POST" and form.is_valid():
        # The first leg is optional: an empty one is left out, a half-filled one is checked.
        leg_given = any(str(request.POST.get(f"leg-{f}", "")).strip() for f in LegForm.base_fields)
        if not leg_given or leg_form.is_valid():
            try:
                shipment = services.shipment_create(
                    team=request.team,
                    actor=request.user,
                    destination_id=form.cleaned_data["destination"],
                    quantities=form.quantities(),
                    cartons=form.cartons(),
                    legs=[leg_form.leg()] if leg_given else [],
                    note=form.cleaned_data["note"],
                )
            except ShipmentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Planned {shipment.number}.")
                return redirect("shipment_detail", request.team.slug, shipment.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "leg_form": leg_form}
    return render(request, "shipments/shipment_new.html", context, status=status)


def _detail_context(request: TeamRequest, shipment: Shipment, **forms: Any) -> dict[str, Any]:
    lines = list(shipment.lines.all())
    on_its_way = shipment.status in (
        ShipmentStatus.PLANNED,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.ARRIVED,
    )
    can_edit = _can_edit(request) and on_its_way
    return {
        "shipment": shipment,
        "lines": lines,
        "legs": list(shipment.legs.all()),
        "units": sum(line.quantity for line in lines),
        "shortfall": sum(line.shortfall for line in lines)
        if shipment.status == ShipmentStatus.RECEIVED
        else 0,
        "can_edit": can_edit,
        "may_cancel": can_edit and shipment.status == ShipmentStatus.PLANNED,
        "leg_form": forms.get("leg_form") or LegForm(prefix="leg"),
        "leg_error": forms.get("leg_error"),
        "receive_form": forms.get("receive_form")
        or ReceiveForm(initial={"received_on": timezone.now().date()}, lines=lines),
    }


@team_view(read=Role.VIEWER)
@require_GET
def shipment_detail(request: TeamRequest, shipment_id: int) -> HttpResponse:
    shipment = _shipment(request, shipment_id)
    return render(request, "shipments/shipment.html", _detail_context(request, shipment))


def _again(request: TeamRequest, shipment: Shipment, **forms: Any) -> HttpResponse:
    context = _detail_context(request, _shipment(request, shipment.pk), **forms)
    return render(request, "shipments/shipment.html", context, status=400)


def _back(request: TeamRequest, shipment: Shipment, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("shipment_detail", request.team.slug, shipment.pk)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def leg_add(request: TeamRequest, shipment_id: int) -> HttpResponse:
    shipment = _shipment(request, shipment_id)
    form = LegForm(request.POST, prefix="leg")
    if form.is_valid():
        try:
            services.shipment_leg_add(team=request.team, shipment_id=shipment.pk, leg=form.leg())
        except ShipmentError as exc:
            form.add_error(None, str(exc))
        else:
            return _back(request, shipment, "Added the leg.")
    return _again(request, shipment, leg_form=form)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def leg_progress(request: TeamRequest, shipment_id: int, shipmentleg_id: int) -> HttpResponse:
    shipment = _shipment(request, shipment_id)
    form = LegProgressForm(request.POST, prefix=f"leg{shipmentleg_id}")
    error = "Enter the days as dates."
    if form.is_valid():
        try:
            services.shipment_leg_progress(
                team=request.team,
                shipment_id=shipment.pk,
                leg_id=shipmentleg_id,
                departed_on=form.cleaned_data["departed_on"],
                arrived_on=form.cleaned_data["arrived_on"],
            )
        except ShipmentLeg.DoesNotExist:
            raise Http404("No such leg") from None
        except ShipmentError as exc:
            error = str(exc)
        else:
            return _back(request, shipment, "Saved the leg's days.")
    return _again(request, shipment, leg_error=error)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def shipment_receive(request: TeamRequest, shipment_id: int) -> HttpResponse:
    shipment = _shipment(request, shipment_id)
    form = ReceiveForm(request.POST, lines=list(shipment.lines.all()))
    if form.is_valid():
        try:
            services.shipment_receive(
                team=request.team,
                actor=request.user,
                shipment_id=shipment.pk,
                received_on=form.cleaned_data["received_on"],
                quantities=form.quantities(),
            )
        except ShipmentError as exc:
            form.add_error(None, str(exc))
        else:
            return _back(
                request, shipment, f"Counted {shipment.number} in at {shipment.destination}."
            )
    return _again(request, shipment, receive_form=form)


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def shipment_cancel(request: TeamRequest, shipment_id: int) -> HttpResponse:
    shipment = _shipment(request, shipment_id)
    try:
        services.shipment_cancel(team=request.team, shipment_id=shipment.pk)
    except ShipmentError as exc:
        messages.error(request, str(exc))
        return _again(request, shipment)
    return _back(request, shipment, f"Cancelled {shipment.number}.")


@team_view(read=Role.VIEWER)
@require_GET
def unit_timeline(request: TeamRequest) -> HttpResponse:
    """Where every unit is, per product: all products, or one (``?product=<id>``)."""
    product_id = request.GET.get("product", "")
    one = int(product_id) if product_id.isdigit() else None
    rows = selectors.timeline(request.team, product_id=one)
    if one is not None and not rows:
        raise Http404("No such product")
    context = {
        "rows": rows,
        "one": rows[0] if one is not None else None,
        "stages": selectors.STAGES,
    }
    return render(request, "shipments/timeline.html", context)
