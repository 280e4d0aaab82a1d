"""Calendar months back from a day or an instant: a plan's history window, a retention window."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from typing import TypeVar

D = TypeVar("D", bound=date)  # a date, or a datetime (which keeps its time and zone)


def months_before(moment: D, months: int) -> D:
    """The same day ``months`` calendar months earlier (the month's last day where it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
