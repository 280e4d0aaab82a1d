"""The reimbursement claims page: the cases, soonest deadline first, one case's evidence and the
text to paste into Seller Central, and the seller's status."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ams.claims import selectors, services
from ams.claims.case_text import case_text
from ams.claims.forms import ClaimListForm, ClaimStatusForm
from ams.claims.models import Claim, ClaimStatus
from ams.claims.policy import RETURN_WINDOWS, WAREHOUSE_SETTLING_DAYS
from ams.core.pagination import CappedPaginator
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

PER_PAGE = 50


def _days_left(claim: Claim, today_ordinal: int) -> int:
    return claim.deadline.toordinal() - today_ordinal


@team_view(read=Role.VIEWER)
@require_GET
def claim_list(request: TeamRequest) -> HttpResponse:
    form = ClaimListForm(request.GET)
    form.is_valid()
    show = form.cleaned_data.get("show") or "active"
    sort = form.cleaned_data.get("sort", "")
    today = timezone.localdate()
    page = CappedPaginator(
        selectors.claims(request.team, today=today, show=show, sort=sort), PER_PAGE
    ).get_page(request.GET.get("page"))
    kept = {"show": show, **({"sort": sort} if sort else {})}
    rows = [(claim, _days_left(claim, today.toordinal())) for claim in page.object_list]
    return render(
        request,
        "claims/claims.html",
        {
            "page": page,
            "rows": rows,
            "show": show,
            "query": urlencode(kept),
            "sort": selectors.CLAIM_SORTING.headers(sort, kept),
            "problems": [str(m) for m in form.errors.get("sort", [])],
            "totals": selectors.open_totals(request.team, today=today),
            "today": today,
            "settling_days": WAREHOUSE_SETTLING_DAYS,
            "return_windows": RETURN_WINDOWS,
        },
    )


def _claim_or_404(request: TeamRequest, pk: int) -> Claim:
    claim = selectors.access_claim(request.team, pk)
    if claim is None:
        raise Http404("No such case.")
    return claim


def _claim_page(
    request: TeamRequest, claim: Claim, form: ClaimStatusForm, *, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "claims/claim.html",
        {
            "claim": claim,
            "days_left": _days_left(claim, today.toordinal()),
            "not_yet": claim.opens_on > today,
            "text": case_text(claim),
            "form": form,
            "can_edit": request.membership.role_enum.at_least(Role.MEMBER),
            "resolved": claim.status == ClaimStatus.RESOLVED,
        },
        status=status,
    )


@team_view(read=Role.VIEWER, write=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def claim_detail(request: TeamRequest, claim_id: int) -> HttpResponse:
    """The case, its evidence and the text for Seller Central; a POST sets its status."""
    claim = _claim_or_404(request, claim_id)
    if request.method != "POST":
        initial = {"status": claim.status, "case_id": claim.case_id}
        return _claim_page(request, claim, ClaimStatusForm(initial=initial))
    form = ClaimStatusForm(request.POST)
    if not form.is_valid():
        return _claim_page(request, claim, form, status=400)
    claim = services.claim_mark(
        team=request.team,
        claim=claim,
        status=form.cleaned_data["status"],
        case_id=form.cleaned_data["case_id"],
        actor=request.user,
        now=timezone.now(),
    )
    messages.success(request, f"Marked {claim.get_status_display().lower()}.")
    return redirect(reverse("claim_detail", args=[request.team.slug, claim.pk]))
