"""The location pages: the seller's warehouses and 3PLs, the stock each holds and its moves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.products.models import Product
from ams.products.selectors import products as team_products
from ams.shipments import selectors, services
from ams.shipments.forms import CountForm, LocationForm, MoveForm, SendForm
from ams.shipments.models import Location
from ams.shipments.services import ShipmentError
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role


def _location(request: TeamRequest, location_id: int) -> Location:
    location = selectors.access_location(request.team, location_id)
    if location is None:
        raise Http404("No such location")
    return location


def _can_edit(request: TeamRequest) -> bool:
    return request.membership.role_enum.at_least(Role.MEMBER)


@team_view(read=Role.VIEWER)
@require_GET
def location_list(request: TeamRequest) -> HttpResponse:
    held = selectors.stock_by_location(request.team)
    rows = [
        (location, sum(held.get(location.pk, {}).values()), len(held.get(location.pk, {})))
        for location in selectors.locations(request.team)
    ]
    context = {"rows": rows, "can_edit": _can_edit(request)}
    return render(request, "shipments/locations.html", context)


@team_view(read=Role.MEMBER, write=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def location_new(request: TeamRequest) -> HttpResponse:
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_create(team=request.team, data=form.data_out())
        except ShipmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Added {location.name}.")
            return redirect("location_detail", request.team.slug, location.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "shipments/location_form.html", {"form": form}, status=status)


def _forms(request: TeamRequest, location: Location, data: Any = None) -> dict[str, Any]:
    products = [(p.pk, str(p)) for p in team_products(request.team)]
    others = [
        (loc.pk, str(loc)) for loc in selectors.locations(request.team) if loc.pk != location.pk
    ]
    today = {"moved_on": timezone.now().date()}
    return {
        "move_form": MoveForm(data, products=products, locations=others, initial=today),
        "send_form": SendForm(data, products=products, initial=today),
        "count_form": CountForm(data, products=products, initial=today),
    }


def _detail(
    request: TeamRequest, location: Location, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "location": location,
        "stock": selectors.location_stock(request.team, location),
        "moves": selectors.location_moves(request.team, location),
        "can_edit": _can_edit(request),
        **_forms(request, location),
        **forms,
    }
    return render(request, "shipments/location.html", context, status=status)


@team_view(read=Role.VIEWER)
@require_GET
def location_detail(request: TeamRequest, location_id: int) -> HttpResponse:
    return _detail(request, _location(request, location_id))


def _stock_write(request: TeamRequest, location_id: int, kind: str) -> HttpResponse:
    location = _location(request, location_id)
    form = _forms(request, location, request.POST)[f"{kind}_form"]
    if form.is_valid():
        data = form.cleaned_data
        common = {
            "team": request.team,
            "actor": request.user,
            "product_id": data["product"],
            "moved_on": data["moved_on"],
            "note": data["note"],
        }
        try:
            if kind == "move":
                services.stock_move(
                    **common,
                    from_location_id=location.pk,
                    to_location_id=data["to_location"],
                    quantity=data["quantity"],
                )
                message = "Moved the units."
            elif kind == "send":
                services.stock_send_to_amazon(
                    **common, location_id=location.pk, quantity=data["quantity"]
                )
                message = "Recorded the units sent to Amazon."
            else:
                found = services.stock_count(
                    **common, location_id=location.pk, counted=data["counted"]
                )
                message = "The count agrees." if found is None else "Corrected the stock."
        except (Product.DoesNotExist, Location.DoesNotExist):
            raise Http404("No such product or location") from None
        except ShipmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, message)
            return redirect("location_detail", request.team.slug, location.pk)
    return _detail(request, location, status=400, **{f"{kind}_form": form})


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def stock_move(request: TeamRequest, location_id: int) -> HttpResponse:
    return _stock_write(request, location_id, "move")


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def stock_send(request: TeamRequest, location_id: int) -> HttpResponse:
    return _stock_write(request, location_id, "send")


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_POST
def stock_count(request: TeamRequest, location_id: int) -> HttpResponse:
    return _stock_write(request, location_id, "count")
