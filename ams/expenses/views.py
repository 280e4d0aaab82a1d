"""The expenses page: the list with this month's total per category, and the form to add one;
an expense's own page to change or delete it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ams.amazon.selectors import team_markets
from ams.core.pagination import CappedPaginator
from ams.expenses import selectors, services
from ams.expenses.forms import ExpenseForm
from ams.expenses.models import Expense
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

PER_PAGE = 50


def _expense(request: TeamRequest, expense_id: int) -> Expense:
    expense = selectors.access_expense(request.team, expense_id)
    if expense is None:
        raise Http404("No such expense")
    return expense


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_http_methods(["GET", "POST"])
def expense_list(request: TeamRequest) -> HttpResponseBase:
    team = request.team
    form = ExpenseForm(request.POST or None, team_markets=team_markets(team))
    if request.method == "POST" and form.is_valid():
        try:
            expense = services.expense_add(
                team=team, actor_id=request.user.id, data=form.data_for_service()
            )
        except services.ExpenseRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"Added: {expense.description}.")
            return redirect("expenses", team.slug)
    today = timezone.now().date()
    first = today.replace(day=1)
    page = CappedPaginator(selectors.expenses(team), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "month_first": first,
        "month_totals": selectors.expense_totals(team, first, today),
        "can_write": request.membership.role_enum.at_least(Role.MEMBER),
    }
    return render(request, "expenses/list.html", context, status=400 if form.errors else 200)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_http_methods(["GET", "POST"])
def expense_edit(request: TeamRequest, expense_id: int) -> HttpResponseBase:
    team = request.team
    expense = _expense(request, expense_id)
    form = ExpenseForm(request.POST or None, team_markets=team_markets(team), instance=expense)
    if request.method == "POST" and form.is_valid():
        try:
            services.expense_update(
                team=team, actor_id=request.user.id, expense=expense, data=form.data_for_service()
            )
        except services.ExpenseRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"Saved: {form.cleaned_data['description']}.")
            return redirect("expenses", team.slug)
    context = {
        "form": form,
        "expense": expense,
        "can_write": request.membership.role_enum.at_least(Role.MEMBER),
    }
    return render(request, "expenses/edit.html", context, status=400 if form.errors else 200)


@team_view(read=Role.VIEWER, write=Role.MEMBER, costs=True)
@require_POST
def expense_delete(request: TeamRequest, expense_id: int) -> HttpResponseBase:
    expense = _expense(request, expense_id)
    services.expense_delete(team=request.team, actor_id=request.user.id, expense=expense)
    messages.success(request, f"Deleted: {expense.description}.")
    return redirect("expenses", request.team.slug)
