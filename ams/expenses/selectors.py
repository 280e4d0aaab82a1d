"""Reads of the expenses: the list, and what each category costs in a period."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from ams.core.exchange_rates import convert
from ams.expenses.models import REPEAT_MONTHS, Category, Expense, Repeat
from ams.expenses.occurrences import charge_days
from ams.teams.models import Team


def expenses(team: Team) -> QuerySet[Expense]:
    return Expense.objects.filter(team=team).order_by("-starts_on", "-id")


def access_expense(team: Team, expense_id: int) -> Expense | None:
    return Expense.objects.filter(team=team, id=expense_id).first()


@dataclass(frozen=True)
class ExpenseTotal:
    category: str
    label: str
    currency: str
    amount: Decimal
    charges: int
    # In the home currency asked for, each charge at the ECB's rate of its day; None without one.
    amount_home: Decimal | None = None


def charges_in(expense: Expense, first: date, last: date) -> int:
    """How many times the expense is charged from ``first`` to ``last``."""
    every = None if expense.repeat == Repeat.ONCE else REPEAT_MONTHS[Repeat(expense.repeat)]
    return sum(1 for _ in charge_days(expense.starts_on, every, expense.ends_on, first, last))


def expense_totals(team: Team, first: date, last: date, *, home: str = "") -> list[ExpenseTotal]:
    """Per category and currency, the expenses charged in the period (each charge on its day),
    also in ``home`` at the rate of each charge's day."""
    candidates = Expense.objects.filter(team=team, starts_on__lte=last).filter(
        Q(repeat=Repeat.ONCE, starts_on__gte=first)
        | (~Q(repeat=Repeat.ONCE) & (Q(ends_on__isnull=True) | Q(ends_on__gte=first)))
    )
    sums: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [Decimal(0), 0, Decimal(0)])
    for expense in candidates:
        every = None if expense.repeat == Repeat.ONCE else REPEAT_MONTHS[Repeat(expense.repeat)]
        for day in charge_days(expense.starts_on, every, expense.ends_on, first, last):
            total = sums[(expense.category, expense.currency)]
            total[0] += expense.amount
            total[1] += 1
            converted = (
                convert(
                    expense.amount, from_currency=expense.currency, to_currency=home, day=day
                ).amount
                if home
                else None
            )
            # One charge without a rate leaves the home total unknown, never short.
            total[2] = None if converted is None or total[2] is None else total[2] + converted
    labels = dict(Category.choices)
    return [
        ExpenseTotal(
            category, labels.get(category, category), currency, Decimal(amount), int(n), home_amount
        )
        for (category, currency), (amount, n, home_amount) in sorted(sums.items())
    ]
