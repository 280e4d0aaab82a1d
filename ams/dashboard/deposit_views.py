"""The deposits page: each settlement's deposit and the bank booking that paid it, the
mismatches, and the seller's bank statements (owners and admins import them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ams.core.sorting import Sorting
from ams.dashboard.deposit_forms import StatementColumnsForm, StatementUploadForm
from ams.dashboard.views import PER_PAGE
from ams.finance import bank_csv, bank_statements
from ams.finance import deposit_selectors as deposits_read
from ams.finance.bank_csv import StatementFileError
from ams.finance.deposit_matching import WINDOW_BUSINESS_DAYS, DepositMatch, Status
from ams.finance.models import BankLayout, BankStatement
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

LISTED = 200  # mismatches listed in full up to this many each
PREVIEW_ROWS = 10

# A deposit's match is worked out on each read, for all the team's deposits at once (see
# ams.finance.deposit_selectors), so the table sorts those in memory, by the same keys and
# headers as the tables the database sorts; the settlement's id breaks ties.
DEPOSIT_SORTING = Sorting(
    {
        "settlement": ("settlement_id",),
        "deposit": ("deposit_at",),
        "deposited": ("total_amount",),
        "status": ("status",),
    },
    default="-deposit",
)
_DEPOSIT_KEYS: dict[str, Callable[[DepositMatch], Any]] = {
    "settlement": lambda m: m.deposit.settlement_id,
    "deposit": lambda m: m.deposit.day,
    "deposited": lambda m: m.deposit.amount,
    "status": lambda m: m.status.value,
}


def _sorted(matches: list[DepositMatch], value: str) -> list[DepositMatch]:
    """Newest deposit first (the matching's own order, reversed) unless a column is asked for."""
    if not value or not DEPOSIT_SORTING.knows(value):
        return matches[::-1]
    sort = DEPOSIT_SORTING.chosen(value)
    key = _DEPOSIT_KEYS[sort.key]
    return sorted(matches, key=lambda m: (key(m), m.deposit.settlement_pk), reverse=sort.descending)


def _deposits_context(
    request: TeamRequest, upload_form: StatementUploadForm | None = None
) -> dict[str, Any]:
    team = request.team
    matching = deposits_read.deposit_matching(team)
    newest_first = matching.deposits[::-1]
    sort = request.GET.get("sort", "").strip()
    unknown_sort = not DEPOSIT_SORTING.knows(sort)
    sort = "" if unknown_sort else sort
    page = Paginator(_sorted(matching.deposits, sort), PER_PAGE).get_page(request.GET.get("page"))
    kept = {"sort": sort} if sort else {}
    settlements = deposits_read.settlements_by_pk(
        team, [m.deposit.settlement_pk for m in page.object_list]
    )
    can_import = request.membership.role_enum.at_least(Role.ADMIN)
    return {
        "page": page,
        "query": urlencode(kept),
        "sort": DEPOSIT_SORTING.headers(sort, kept),
        "problems": [f"Unknown sort column “{request.GET['sort']}”: the deposits are newest first."]
        if unknown_sort
        else [],
        "rows": [(m, settlements.get(m.deposit.settlement_pk)) for m in page.object_list],
        "counts": {status.name.lower(): matching.count(status) for status in Status},
        "missing": [m for m in newest_first if m.status is Status.MISSING][:LISTED],
        "differing": [m for m in newest_first if m.status is Status.AMOUNT_DIFFERS][:LISTED],
        "unmatched_lines": matching.unmatched_lines[::-1][:LISTED],
        "unmatched_count": len(matching.unmatched_lines),
        "statements": deposits_read.statements(team),
        "can_import": can_import,
        "upload_form": upload_form or (StatementUploadForm() if can_import else None),
        "window_days": WINDOW_BUSINESS_DAYS,
    }


@team_view(read=Role.VIEWER)
@require_GET
def deposits(request: TeamRequest) -> HttpResponseBase:
    return render(request, "dashboard/deposits.html", _deposits_context(request))


@team_view(read=Role.ADMIN, write=Role.ADMIN)
@require_POST
def statement_upload(request: TeamRequest) -> HttpResponseBase:
    form = StatementUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = bank_statements.statement_upload(
                team=request.team,
                actor=request.user,
                name=upload.name or "statement.csv",
                data=upload.read(bank_csv.MAX_BYTES + 1),
            )
        except StatementFileError as exc:
            form.add_error("file", str(exc))
        else:
            statement = result.statement
            if statement.status == BankStatement.Status.IMPORTED:
                messages.success(request, _imported(statement))
                return redirect("deposits", request.team.slug)
            if result.error:
                messages.warning(request, result.error)
            return _to_columns(request, statement)
    context = _deposits_context(request, upload_form=form)
    return render(request, "dashboard/deposits.html", context, status=400)


def _imported(statement: BankStatement) -> str:
    skipped = (
        f"; {statement.rows_skipped} row(s) were not bookings and were passed over"
        if statement.rows_skipped
        else ""
    )
    return (
        f"{statement.file_name}: {statement.lines_added} new booking(s) stored, "
        f"{statement.lines_known} already known{skipped}."
    )


def _to_columns(request: TeamRequest, statement: BankStatement) -> HttpResponse:
    url = reverse("statement_columns", args=[request.team.slug])
    return redirect(f"{url}?statement={statement.pk}")


def _statement(request: TeamRequest) -> BankStatement | HttpResponse:
    raw = request.GET.get("statement") or request.POST.get("statement") or ""
    try:
        pk = int(raw)
    except ValueError:
        return HttpResponse("Which statement?", status=400)
    statement = deposits_read.access_statement(request.team, pk)
    if statement is None:
        raise Http404("No such statement")
    return statement


@team_view(read=Role.ADMIN, write=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def statement_columns(request: TeamRequest) -> HttpResponseBase:
    """Choose the columns of a statement waiting for them (``?statement=<id>``); the choice is
    remembered for every later statement of the same layout, and the statement imported."""
    statement = _statement(request)
    if isinstance(statement, HttpResponse):
        return statement
    if statement.status != BankStatement.Status.COLUMNS:
        messages.info(request, f"{statement.file_name} is imported already.")
        return redirect("deposits", request.team.slug)
    found = bank_csv.inspect(bytes(statement.content))
    layout = deposits_read.layout_for(request.team, found.signature)
    suggested = found.suggestion()
    date_column = layout.date_column if layout else (suggested.date_column if suggested else 0)
    detected = found.date_formats.get(date_column, ())
    form = StatementColumnsForm(
        request.POST if request.method == "POST" else None,
        header=found.header,
        date_formats=detected,
        initial=_initial(layout, suggested, request),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                layout = bank_statements.layout_save(
                    team=request.team,
                    statement=statement,
                    mapping=form.mapping(),
                    currency=form.cleaned_data["currency"],
                    found=found,
                )
                bank_statements.statement_import(
                    team=request.team, statement=statement, layout=layout, found=found
                )
            except StatementFileError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _imported(statement))
                return redirect("deposits", request.team.slug)
    context = {
        "statement": statement,
        "form": form,
        "header": found.header,
        "preview": [
            [row[i] if i < len(row) else "" for i in range(len(found.header))]
            for row in found.sample[:PREVIEW_ROWS]
        ],
        "rows": found.rows,
        "ambiguous_dates": len(detected) > 1,
        "remembered": layout is not None,
    }
    return render(request, "dashboard/statement_columns.html", context, status=status)


def _initial(
    layout: BankLayout | None, suggested: bank_csv.Mapping | None, request: TeamRequest
) -> dict[str, Any]:
    currencies = deposits_read.bank_currencies(request.team)
    mapping: bank_csv.Mapping | None
    if layout is not None:
        mapping = bank_statements.mapping_of(layout)
        currency = layout.currency
    else:
        mapping = suggested
        currency = currencies[0] if currencies else ""
    if mapping is None:
        return {"currency": currency}
    return {
        "date_column": mapping.date_column,
        "date_format": mapping.date_format,
        "amount_column": mapping.amount_column,
        "debit_column": mapping.debit_column if mapping.debit_column is not None else "",
        "decimal_mark": mapping.decimal_mark,
        "description_columns": list(mapping.description_columns),
        "currency": currency,
    }


@team_view(read=Role.ADMIN, write=Role.ADMIN)
@require_POST
def statement_discard(request: TeamRequest) -> HttpResponseBase:
    """Drop a statement waiting for its columns (``statement=<id>``), and the file it keeps."""
    statement = _statement(request)
    if isinstance(statement, HttpResponse):
        return statement
    try:
        bank_statements.statement_discard(team=request.team, statement=statement)
    except StatementFileError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{statement.file_name} was discarded.")
    return redirect("deposits", request.team.slug)
