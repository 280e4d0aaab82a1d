"""How a team page resolves who is asking and what they may do.

``@team_view(read=..., write=...)`` takes the team from the URL and the user's membership of it,
enters the team's scope for the whole view, and refuses:
- anonymous users (redirect to sign in),
- users who are not members (404, the same as a team that does not exist),
- members below ``read`` (403), and unsafe methods from members below ``write`` (403),
- unsafe methods while the team's subscription has ended (403 saying how to resume), except on
  views declared ``while_lapsed=True`` (billing, so the owner can resume).
The declared roles are kept on the view, so the route-by-persona probe reads them from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import structlog
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render

from ams.accounts.models import User
from ams.core.tenancy import team_scope
from ams.teams.entitlements import Action, may
from ams.teams.models import Membership, Role, Team
from ams.teams.selectors import access_membership, access_team

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TeamRequest(HttpRequest):
    user: User
    team: Team
    membership: Membership


@dataclass(frozen=True)
class TeamAccess:
    read: Role
    write: Role | None  # None: the view accepts no unsafe method
    costs: bool = False  # the page shows costs, prices paid or margins


View = TypeVar("View", bound=Callable[..., HttpResponse])


# Views may stream (exports): any response, not only HttpResponse.
def team_view(
    *,
    read: Role = Role.VIEWER,
    write: Role | None = None,
    while_lapsed: bool = False,
    costs: bool = False,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(
            request: HttpRequest, team_slug: str, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            assert isinstance(request.user, User)
            team = access_team(team_slug)
            # One scope for the membership, the view and its template (whose context processors
            # enter the same scope again at no cost): every scope entered is a savepoint and a query.
            with team_scope(team.id):
                membership = access_membership(request.user, team)
                role = membership.role_enum
                if not role.at_least(read):
                    raise PermissionDenied("Your role cannot open this page.")
                if costs and not membership.costs_visible:
                    raise PermissionDenied(
                        "This page shows costs and margins, which the team keeps from you."
                    )
                if request.method not in SAFE_METHODS and (
                    write is None or not role.at_least(write)
                ):
                    raise PermissionDenied("Your role cannot make this change.")
                if team.require_owner_2fa and role is Role.OWNER and not _has_totp(request.user):
                    messages.warning(
                        request, f"{team.name} requires its owner to use two-factor authentication."
                    )
                    return redirect("mfa_activate_totp")
                team_request: TeamRequest = request  # type: ignore[assignment]
                team_request.team = team
                team_request.membership = membership
                structlog.contextvars.bind_contextvars(team_id=team.id)
                if request.method not in SAFE_METHODS and not while_lapsed:
                    decision = may(team, Action.WRITE)
                    if not decision:
                        return render(
                            request,
                            "billing/read_only.html",
                            {"reason": decision.reason},
                            status=403,
                        )
                return view(team_request, *args, **kwargs)

        protected = login_required(wrapped)
        protected.team_access = TeamAccess(read=read, write=write, costs=costs)  # type: ignore[attr-defined]
        return protected

    return decorator


def _has_totp(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())
