"""The days a repeating expense is charged on, and what falls in a period. Pure date arithmetic."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date


def add_months(day: date, months: int, *, anchor_day: int) -> date:
    """``months`` calendar months after ``day``, on ``anchor_day`` or the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor_day, last))


def charge_days(
    starts_on: date, every_months: int | None, ends_on: date | None, first: date, last: date
) -> Iterator[date]:
    """The days from ``first`` to ``last`` (inclusive) the expense is charged on."""
    if every_months is None:
        if first <= starts_on <= last:
            yield starts_on
        return
    end = min(last, ends_on) if ends_on else last
    # Jump close to the period rather than walking from a start years back.
    skipped = max(
        0, ((first.year - starts_on.year) * 12 + first.month - starts_on.month) // every_months - 1
    )
    step = skipped
    day = add_months(starts_on, step * every_months, anchor_day=starts_on.day)
    while day <= end:
        if day >= first:
            yield day
        step += 1
        day = add_months(starts_on, step * every_months, anchor_day=starts_on.day)
