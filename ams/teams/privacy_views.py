"""The privacy controls: a team's retention windows, deleting a team or an account, the receipt.

Both deletions ask for the password again (allauth's re-authentication: a session left open on a
shared computer must not be enough) and hand over to ``ams.teams.deletion``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar, cast

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.accounts.models import User
from ams.core.audit_log import audit_record
from ams.core.export_jobs import ExportRefused, export_job_start
from ams.teams import deletion, retention, selectors
from ams.teams.access import TeamRequest, team_view
from ams.teams.data_export import team_data_source
from ams.teams.forms import RetentionForm
from ams.teams.models import Role
from ams.teams.personal_export import personal_archive_chunks

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _password_again(view: View) -> View:
    """allauth's re-authentication (its decorator is untyped); a GET only shows the page."""
    return cast(View, reauthentication_required(view, allow_get=True))


@team_view(write=Role.OWNER)
@require_POST
def team_retention(request: TeamRequest) -> HttpResponse:
    form = RetentionForm(request.POST)
    if form.is_valid():
        try:
            retention.team_retention_set(
                team=request.team,
                actor=request.membership,
                months=form.cleaned_data["months"],
                financial_months=form.cleaned_data["financial_months"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Retention saved. Older data goes tonight.")
    else:
        messages.error(request, "Enter whole numbers of months.")
    return redirect("team_settings", team_slug=request.team.slug)


@team_view(write=Role.OWNER, while_lapsed=True)
@require_POST
def team_data_export(request: TeamRequest) -> HttpResponse:
    """Everything the team holds, built by a job; the Exports page and an email bring the link."""
    try:
        export_job_start(
            source=team_data_source(request.team.id, {}),
            fmt="zip",
            team_id=request.team.id,
            team_slug=request.team.slug,
            user_id=request.user.pk,
        )
    except ExportRefused as refused:
        messages.error(request, str(refused))
        return redirect("team_settings", team_slug=request.team.slug)
    messages.success(
        request,
        "The team's data is being gathered. It will be here, and a link will be emailed to you, "
        "when it is ready.",
    )
    return redirect("exports", team_slug=request.team.slug)


@team_view(write=Role.OWNER, while_lapsed=True)
@require_POST
@_password_again
def team_delete(request: TeamRequest) -> HttpResponse:
    try:
        deletion.team_delete_request(
            team=request.team, actor=request.membership, confirm=request.POST.get("confirm", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("team_settings", team_slug=request.team.slug)
    messages.success(
        request,
        f"{request.team.name} is being deleted. Its Amazon tokens are already gone; a receipt "
        f"will be mailed to you when every row is deleted (at the latest in {deletion.MAX_DAYS} days).",
    )
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
@_password_again
def account_delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    owned = deletion.owned_teams(user)
    if request.method == "POST":
        try:
            deletion.account_delete_request(user=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("account_delete")
        logout(request)
        return render(request, "accounts/deleted.html", {"days": deletion.MAX_DAYS})
    return render(
        request,
        "accounts/delete.html",
        {
            "owned": owned,
            "receipts": selectors.user_deletion_receipts(user),
            "days": deletion.MAX_DAYS,
        },
    )


@login_required
@require_GET
def personal_data_export(request: HttpRequest) -> StreamingHttpResponse:
    """Everything AMS holds about the person asking, as one zip (``ams.teams.personal_export``)."""
    user = request.user
    assert isinstance(user, User)
    audit_record(team_id=None, actor_id=user.id, kind="account.data_exported")
    response = StreamingHttpResponse(personal_archive_chunks(user), content_type="application/zip")
    stamp = timezone.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="ams-my-data-{stamp}.zip"'
    return response


@require_GET
def deletion_receipt(request: HttpRequest, token: str) -> HttpResponse:
    """The receipt mailed to the person: the link is the only key, as the account may be gone."""
    receipt = deletion.receipt_from_token(token)
    if receipt is None:
        # Like an invitation's link: a wrong or mistyped link is the visitor's error.
        return render(request, "teams/receipt_invalid.html", status=400)
    response = HttpResponse(
        json.dumps(deletion.receipt_document(receipt), indent=2, ensure_ascii=False),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="ams-deletion-{receipt.id}.json"'
    return response
