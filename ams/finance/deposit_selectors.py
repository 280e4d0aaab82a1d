"""Reads of the deposits page: each settlement's deposit matched to the seller's bank bookings
(ams.finance.deposit_matching), the statements imported, and a statement's remembered columns.

Matching runs on each read, over the team's deposits and only the bookings that could match one
(an amount some deposit has, or a description naming Amazon), so it always reflects the latest
settlements and statements and needs nothing stored to be kept up to date.
"""

from __future__ import annotations

from datetime import UTC

from django.db.models import Q, QuerySet

from ams.finance.deposit_matching import Deposit, Line, Matching, Period, match
from ams.finance.models import BankLayout, BankLine, BankStatement, Settlement
from ams.teams.models import Team

STATEMENTS_SHOWN = 20


def deposit_matching(team: Team) -> Matching:
    deposits = [
        Deposit(pk, settlement_id, deposit_at.astimezone(UTC).date(), amount, currency)
        for pk, settlement_id, deposit_at, amount, currency in Settlement.objects.filter(
            team=team, deposit_at__isnull=False
        ).values_list("id", "settlement_id", "deposit_at", "deposit_amount", "currency")
        if deposit_at is not None
    ]
    amounts = sorted({d.amount for d in deposits if d.amount > 0})
    lines = [
        Line(*row)
        for row in BankLine.objects.filter(team=team)
        .filter(Q(from_amazon=True, amount__gt=0) | Q(amount__in=amounts))
        .values_list("id", "booked_on", "amount", "currency", "description", "from_amazon")
    ]
    periods = [
        Period(currency, first, last)
        for currency, first, last in BankStatement.objects.filter(
            team=team, status=BankStatement.Status.IMPORTED, first_day__isnull=False
        ).values_list("currency", "first_day", "last_day")
        if first is not None and last is not None
    ]
    return match(deposits, lines, periods)


def settlements_by_pk(team: Team, pks: list[int]) -> dict[int, Settlement]:
    return {s.pk: s for s in Settlement.objects.filter(team=team, id__in=pks)}


def statements(team: Team) -> QuerySet[BankStatement]:
    """The latest statements uploaded, newest first."""
    return BankStatement.objects.filter(team=team).order_by("-uploaded_at", "-id")[
        :STATEMENTS_SHOWN
    ]


def access_statement(team: Team, statement_pk: int) -> BankStatement | None:
    """The team's statement, or None for a missing one and for another team's alike."""
    return BankStatement.objects.filter(team=team, id=statement_pk).first()


def layout_for(team: Team, signature: str) -> BankLayout | None:
    return BankLayout.objects.filter(team=team, signature=signature).first()


def bank_currencies(team: Team) -> list[str]:
    """The currencies of the team's settlements, for the statement's currency choice."""
    return sorted(
        set(Settlement.objects.filter(team=team).values_list("currency", flat=True).distinct())
    )
