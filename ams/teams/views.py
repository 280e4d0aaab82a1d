from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ams.accounts.invited import invited_forget, invited_remember
from ams.accounts.models import User
from ams.core.audit_log import audit_record
from ams.core.exports import FORMATS, Cell, export_response
from ams.core.models import AuditEntry
from ams.core.pagination import CappedPaginator
from ams.core.retention import AMAZON_MONTHS, FINANCIAL_MAX_MONTHS
from ams.core.selectors import team_audit_entries, team_audit_kinds
from ams.teams import selectors, services
from ams.teams.access import TeamRequest, team_view
from ams.teams.deletion import MAX_DAYS
from ams.teams.forms import (
    AuditFilterForm,
    InvitationForm,
    RoleForm,
    TeamCreateForm,
    TeamSettingsForm,
)
from ams.teams.models import Membership, Role
from ams.teams.retention import MIN_MONTHS


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in user to their first team."""
    memberships = selectors.user_memberships(_user(request))
    if not memberships:
        return redirect("team_create")
    return redirect("team_dashboard", team_slug=memberships[0].team.slug)


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(owner=_user(request), name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", _error_text(exc))
            return render(request, "teams/team_create.html", {"form": form}, status=429)
        messages.success(request, f"{team.name} is ready.")
        return redirect("team_dashboard", team_slug=team.slug)
    return render(request, "teams/team_create.html", {"form": form})


@team_view()
@require_http_methods(["GET"])
def team_dashboard(request: TeamRequest) -> HttpResponse:
    return render(
        request, "teams/dashboard.html", {"members": selectors.team_members(request.team)[:10]}
    )


@team_view(write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def members(request: TeamRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                team=request.team,
                actor=request.membership,
                email=form.cleaned_data["email"],
                role=Role(form.cleaned_data["role"]),
            )
        except ValidationError as exc:
            form.add_error("email", _error_text(exc))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("team_members", team_slug=request.team.slug)
    actor = request.membership.role_enum
    rows = [
        {
            "membership": m,
            "is_me": m.user_id == request.membership.user_id,
            "can_change": _may_manage(actor, m),
            "can_transfer": actor is Role.OWNER and m.user_id != request.membership.user_id,
        }
        for m in selectors.team_members(request.team)
    ]
    context = {
        "form": form,
        "rows": rows,
        "invitations": selectors.team_open_invitations(request.team),
        "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        "can_manage": request.membership.role_enum.at_least(Role.ADMIN),
        "is_owner": request.membership.role_enum is Role.OWNER,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "teams/members.html", context, status=status)


def _may_manage(actor: Role, target: Membership) -> bool:
    """The same rule the services enforce, so the page only offers what will work."""
    if target.role_enum is Role.OWNER or target.user_id is None:
        return False
    if actor is Role.OWNER:
        return True
    return actor is Role.ADMIN and target.role_enum in (Role.MEMBER, Role.VIEWER)


def _back_to_members(request: TeamRequest) -> HttpResponse:
    return redirect("team_members", team_slug=request.team.slug)


@team_view(write=Role.ADMIN)
@require_POST
def member_role(request: TeamRequest, membership_id: int) -> HttpResponse:
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return _back_to_members(request)
    try:
        target = services.membership_set_role(
            team=request.team,
            actor=request.membership,
            membership_id=membership_id,
            role=Role(form.cleaned_data["role"]),
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"{target.user.name} is now {target.get_role_display().lower()}.")
    return _back_to_members(request)


@team_view(write=Role.ADMIN)
@require_POST
def member_costs(request: TeamRequest, membership_id: int) -> HttpResponse:
    shown = request.POST.get("sees_costs") == "on"
    try:
        target = services.membership_set_sees_costs(
            team=request.team,
            actor=request.membership,
            membership_id=membership_id,
            sees_costs=shown,
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            f"{target.user.name} {'now sees' if shown else 'no longer sees'} costs and margins.",
        )
    return _back_to_members(request)


@team_view(write=Role.ADMIN)
@require_POST
def member_remove(request: TeamRequest, membership_id: int) -> HttpResponse:
    try:
        services.membership_remove(
            team=request.team, actor=request.membership, membership_id=membership_id
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "The member was removed.")
    return _back_to_members(request)


@team_view(write=Role.OWNER)
@require_POST
def ownership_transfer(request: TeamRequest, membership_id: int) -> HttpResponse:
    try:
        target = services.ownership_transfer(
            team=request.team, actor=request.membership, membership_id=membership_id
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"{target.user.name} now owns {request.team.name}. You are an admin."
        )
    return _back_to_members(request)


@team_view(write=Role.ADMIN)
@require_POST
def invitation_revoke(request: TeamRequest, invitation_id: int) -> HttpResponse:
    try:
        services.invitation_revoke(
            team=request.team, actor=request.membership, invitation_id=invitation_id
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "The invitation was withdrawn.")
    return _back_to_members(request)


@team_view(write=Role.VIEWER)
@require_POST
def team_leave(request: TeamRequest) -> HttpResponse:
    try:
        services.membership_leave(team=request.team, membership=request.membership)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _back_to_members(request)
    messages.success(request, f"You left {request.team.name}.")
    return redirect("home")


# Everyone sees the settings; owners and admins change the name, only the owner the rest.
@team_view(read=Role.VIEWER, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def team_settings(request: TeamRequest) -> HttpResponse:
    is_owner = request.membership.role_enum is Role.OWNER
    initial = {
        "name": request.team.name,
        "require_owner_2fa": request.team.require_owner_2fa,
        "home_currency": request.team.home_currency,
    }
    form = TeamSettingsForm(request.POST or None, initial=initial, owner=is_owner)
    if request.method == "POST" and form.is_valid():
        services.team_update(
            team=request.team,
            actor=request.membership,
            name=form.cleaned_data["name"],
            require_owner_2fa=form.cleaned_data["require_owner_2fa"] if is_owner else None,
            home_currency=form.cleaned_data["home_currency"],
        )
        messages.success(request, "Settings saved.")
        return redirect("team_settings", team_slug=request.team.slug)
    return render(
        request,
        "teams/settings.html",
        {
            "form": form,
            "is_owner": is_owner,
            "can_edit": request.membership.role_enum.at_least(Role.ADMIN),
            "deletion_days": MAX_DAYS,
            "amazon_max": AMAZON_MONTHS,
            "financial_max": FINANCIAL_MAX_MONTHS,
            "min_months": MIN_MONTHS,
        },
    )


AUDIT_HEADER = ("at", "seq", "kind", "actor_id", "data", "hash")
AUDIT_PER_PAGE = 50


@team_view(read=Role.ADMIN)
@require_http_methods(["GET"])
def team_audit(request: TeamRequest) -> HttpResponse | StreamingHttpResponse:
    """The team's security audit trail, for owners and admins, with filters and an export."""
    team = request.team
    members = selectors.team_members(team)
    form = AuditFilterForm(
        request.GET or None,
        kinds=team_audit_kinds(team_id=team.id),
        actors=[(m.user_id, m.user.name or m.user.email) for m in members],
    )
    filters = form.filters()
    entries = team_audit_entries(team_id=team.id, filters=filters)
    values = {k: v for k, v in request.GET.items() if k in form.fields and v}
    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise Http404("Unknown export format")
        audit_record(
            team_id=team.id,
            actor_id=request.user.id,
            kind="audit.exported",
            format=fmt,
            **values,
        )
        return _audit_export(request, entries, fmt)
    page = CappedPaginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    names = selectors.audit_actor_names(team, {e.actor_id for e in page if e.actor_id})
    context = {
        "form": form,
        "page": page,
        "rows": [(e, names.get(e.actor_id) if e.actor_id else "AMS") for e in page],
        "query": urlencode(values),
        "export_csv": urlencode({**values, "format": "csv"}),
        "export_xlsx": urlencode({**values, "format": "xlsx"}),
    }
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "teams/audit.html", context, status=status)


def _audit_export(
    request: TeamRequest, entries: QuerySet[AuditEntry], fmt: str
) -> StreamingHttpResponse:
    def rows() -> Iterator[tuple[Cell, ...]]:
        for entry in entries.iterator(chunk_size=2000):
            yield (
                entry.created_at,
                entry.seq,
                entry.kind,
                entry.actor_id,
                json.dumps(entry.data, sort_keys=True),
                entry.hash,
            )

    return export_response(
        fmt,
        team_id=request.team.id,
        team_slug=request.team.slug,
        table="audit-log",
        header=AUDIT_HEADER,
        rows=rows,
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email. Shows what it is for, then joins the team on POST."""
    try:
        team, invitation = services.invitation_from_token(token)
    except services.InvitationInvalid as exc:
        return render(
            request, "teams/invitation_invalid.html", {"reason": _error_text(exc)}, status=400
        )
    if not request.user.is_authenticated:
        # Sign-up then fills in the invited address and, kept, counts it as confirmed.
        invited_remember(request, email=invitation.email, token=token)
        return render(
            request, "teams/invitation_signin.html", {"team": team, "invitation": invitation}
        )
    if request.method == "POST":
        try:
            services.invitation_accept(token=token, user=_user(request))
        except services.InvitationInvalid as exc:
            return render(
                request, "teams/invitation_invalid.html", {"reason": _error_text(exc)}, status=400
            )
        invited_forget(request)
        messages.success(request, f"Welcome to {team.name}.")
        return redirect("team_dashboard", team_slug=team.slug)
    return render(request, "teams/invitation_accept.html", {"team": team, "invitation": invitation})
