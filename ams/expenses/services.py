"""Writes of the expenses, each recorded in the team's audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from ams.core.audit_log import audit_record
from ams.expenses.models import Expense, Repeat
from ams.teams.models import Team


class ExpenseRefused(ValueError):
    """An expense AMS cannot keep as given; the message says why."""


@dataclass(frozen=True)
class ExpenseData:
    category: str
    description: str
    amount: Decimal
    currency: str
    starts_on: date
    repeat: str = Repeat.ONCE
    ends_on: date | None = None
    marketplace_id: str = ""
    sku: str = ""


def _checked(data: ExpenseData) -> ExpenseData:
    if data.amount <= 0:
        raise ExpenseRefused(
            "An expense is a positive amount; a refund of one is a separate entry."
        )
    if data.amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ExpenseRefused("An amount has at most two decimals.")
    if len(data.currency) != 3 or not data.currency.isalpha():
        raise ExpenseRefused("A currency is a three-letter code such as USD or EUR.")
    if data.ends_on is not None:
        if data.repeat == Repeat.ONCE:
            raise ExpenseRefused("Only a repeating expense has an end date.")
        if data.ends_on < data.starts_on:
            raise ExpenseRefused("An expense cannot end before it starts.")
    return data


@transaction.atomic
def expense_add(*, team: Team, actor_id: int, data: ExpenseData) -> Expense:
    checked = _checked(data)
    expense = Expense.objects.create(
        team=team,
        category=checked.category,
        description=checked.description,
        amount=checked.amount,
        currency=checked.currency.upper(),
        starts_on=checked.starts_on,
        repeat=checked.repeat,
        ends_on=checked.ends_on,
        marketplace_id=checked.marketplace_id,
        sku=checked.sku,
    )
    audit_record(
        team_id=team.id,
        actor_id=actor_id,
        kind="expense.added",
        expense=expense.id,
        category=expense.category,
    )
    return expense


@transaction.atomic
def expense_update(*, team: Team, actor_id: int, expense: Expense, data: ExpenseData) -> Expense:
    checked = _checked(data)
    locked = Expense.objects.select_for_update().get(team=team, id=expense.id)
    for name in ExpenseData.__dataclass_fields__:
        setattr(locked, name, getattr(checked, name))
    locked.currency = checked.currency.upper()
    locked.save()
    audit_record(
        team_id=team.id,
        actor_id=actor_id,
        kind="expense.changed",
        expense=locked.id,
        category=locked.category,
    )
    return locked


@transaction.atomic
def expense_delete(*, team: Team, actor_id: int, expense: Expense) -> None:
    deleted, _ = Expense.objects.filter(team=team, id=expense.id).delete()
    if deleted:
        audit_record(team_id=team.id, actor_id=actor_id, kind="expense.deleted", expense=expense.id)
