"""The plan's history window on the data pages: a date filter reaching further back than the
team's plan keeps (``ams.billing.entitlements.history_months``: 12 months on Starter, 18 on the
trial and the larger plans) starts at the window's first day, and the page says so."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from ams.billing.entitlements import history_months
from ams.dashboard.overview import plan_history_start
from ams.teams.models import Team

FilterT = TypeVar("FilterT")


@dataclass(frozen=True)
class PlanHistory:
    months: int
    first_day: date
    # The filter asked for earlier (or for no start at all): the page starts at ``first_day``.
    clamped: bool


def within_plan(
    team: Team, filters: FilterT, field: str, *, today: date, month: bool = False
) -> tuple[FilterT, PlanHistory]:
    """``filters`` with its lower bound ``field`` moved up to the plan's first day (for a
    ``month`` field, to the first whole month of the window)."""
    months = history_months(team)
    first = plan_history_start(today, months)
    if month and first.day != 1:
        first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    asked: Any = getattr(filters, field)
    if asked is None or asked < first:
        return replace(filters, **{field: first}), PlanHistory(months, first, True)  # type: ignore[type-var]
    return filters, PlanHistory(months, first, False)
