from __future__ import annotations

import re

import structlog
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ams.accounts.models import User
from ams.amazon import selectors, services
from ams.amazon.clients import AmazonNotConfigured
from ams.amazon.forms import ConnectForm
from ams.amazon.services import AuthorizationRefused
from ams.core.tenancy import team_scope
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role, Team

log = structlog.get_logger(__name__)

REMOVE_IN_SELLER_CENTRAL = (
    "To revoke the authorization at Amazon too, remove the app in Seller Central: "
    "Apps and Services → Manage Your Apps."
)
# Amazon's error parameter is shown only when it looks like an OAuth error code.
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


def _to_consent(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    # The consent page must not learn which AMS page sent the seller there.
    response["Referrer-Policy"] = "no-referrer"
    return response


@team_view(read=Role.VIEWER)
@require_GET
def connections(request: TeamRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        {"connection": c, "expires_soon": c.authorization_expires_soon(now)}
        for c in selectors.team_connections(request.team)
    ]
    context = {
        "rows": rows,
        "records": selectors.team_deletion_records(request.team),
        "form": ConnectForm(),
        "can_manage": request.membership.role_enum.at_least(services.MANAGER_ROLE),
        "remove_in_seller_central": REMOVE_IN_SELLER_CENTRAL,
    }
    return render(request, "amazon/connections.html", context)


@team_view(read=Role.ADMIN, write=Role.ADMIN)
@require_POST
def connect(request: TeamRequest) -> HttpResponse:
    form = ConnectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a region to connect.")
        return redirect("amazon_connections", team_slug=request.team.slug)
    try:
        url = services.authorization_begin(
            session=request.session,
            team=request.team,
            actor=request.membership,
            region=form.cleaned_data["region"],
        )
    except (AuthorizationRefused, AmazonNotConfigured) as exc:
        messages.error(request, _refusal_text(exc))
        return redirect("amazon_connections", team_slug=request.team.slug)
    return _to_consent(url)


@team_view(read=Role.ADMIN, write=Role.ADMIN)
@require_POST
def reauthorize(request: TeamRequest, sellerconnection_id: int) -> HttpResponse:
    connection = selectors.access_connection(request.team, sellerconnection_id)
    try:
        url = services.connection_reauthorize(
            session=request.session, connection=connection, actor=request.membership
        )
    except (AuthorizationRefused, AmazonNotConfigured) as exc:
        messages.error(request, _refusal_text(exc))
        return redirect("amazon_connections", team_slug=request.team.slug)
    return _to_consent(url)


@team_view(read=Role.ADMIN, write=Role.ADMIN)
@require_POST
def disconnect(request: TeamRequest, sellerconnection_id: int) -> HttpResponse:
    connection = selectors.access_connection(request.team, sellerconnection_id)
    try:
        record = services.connection_disconnect(connection=connection, actor=request.membership)
    except AuthorizationRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{connection} is disconnected and its refresh token deleted. Its Amazon data will be deleted "
            f"by {record.due_at:%Y-%m-%d %H:%M} UTC. {REMOVE_IN_SELLER_CENTRAL}",
        )
    return redirect("amazon_connections", team_slug=request.team.slug)


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, AmazonNotConfigured):
        return "This AMS installation has no Amazon app configured (SPAPI_APPLICATION_ID, LWA_CLIENT_ID)."
    return str(exc)


@transaction.non_atomic_requests  # the code exchange calls Amazon; no transaction is held open meanwhile
@login_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Where Seller Central sends the seller back. Not team-scoped: the state names the team."""
    assert isinstance(request.user, User)
    team: Team | None = None
    try:
        pending = services.authorization_state_pop(
            session=request.session, state=request.GET.get("state", ""), user=request.user
        )
        team = Team.objects.filter(id=pending.team_id).first()
        error = request.GET.get("error")
        if error is not None:
            shown = f" ({error})" if _ERROR_CODE.match(error) else ""
            raise AuthorizationRefused(
                f"Amazon did not authorize the app{shown}. Nothing was connected."
            )
        connection = services.connection_authorize(
            pending=pending,
            user=request.user,
            selling_partner_id=request.GET.get("selling_partner_id", ""),
            code=request.GET.get("spapi_oauth_code", ""),
        )
    except AuthorizationRefused as exc:
        # A security event (forged or replayed state, refused code): logged, never with the code.
        log.warning(
            "amazon.authorization_refused", reason=str(exc), team_id=team.id if team else None
        )
        response = render(
            request, "amazon/callback_error.html", {"reason": str(exc), "team": team}, status=400
        )
    else:
        assert team is not None
        with team_scope(team.id):
            markets = connection.marketplaces.count()
        messages.success(request, f"Connected {connection} with {markets} marketplaces.")
        response = redirect("amazon_connections", team_slug=team.slug)
    response["Referrer-Policy"] = "no-referrer"
    return response
