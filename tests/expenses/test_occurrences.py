"""The days a repeating expense is charged on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ams.expenses.occurrences import add_months, charge_days


def test_a_monthly_charge_on_the_31st_falls_on_each_months_last_day():
    days = list(charge_days(date(2026, 1, 31), 1, None, date(2026, 1, 1), date(2026, 5, 31)))
    assert days == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_a_yearly_charge_on_29_february_and_an_end_date():
    assert add_months(date(2024, 2, 29), 12, anchor_day=29) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 48, anchor_day=29) == date(2028, 2, 29)
    quarterly = charge_days(
        date(2025, 11, 15), 3, date(2026, 8, 14), date(2026, 1, 1), date(2026, 12, 31)
    )
    assert list(quarterly) == [date(2026, 2, 15), date(2026, 5, 15)]


def test_a_one_off_is_charged_once_inside_the_period_only():
    assert list(charge_days(date(2026, 3, 3), None, None, date(2026, 3, 1), date(2026, 3, 31))) == [
        date(2026, 3, 3)
    ]
    assert (
        list(charge_days(date(2026, 2, 28), None, None, date(2026, 3, 1), date(2026, 3, 31))) == []
    )


def _walked(start: date, every: int, ends: date | None, first: date, last: date) -> list[date]:
    """Every charge walked one by one from the start: what the jump ahead must agree with."""
    days: list[date] = []
    step = 0
    while True:
        day = add_months(start, step * every, anchor_day=start.day)
        if day > last or (ends and day > ends):
            return days
        if day >= first:
            days.append(day)
        step += 1


@pytest.mark.parametrize("every", [1, 3, 12])
def test_jumping_to_a_late_period_finds_the_same_days_as_walking(every):
    start = date(2019, 1, 30)
    for offset in range(0, 2600, 37):
        first = start + timedelta(days=offset)
        last = first + timedelta(days=offset % 400)
        ends = None if offset % 2 else first + timedelta(days=200)
        assert list(charge_days(start, every, ends, first, last)) == _walked(
            start, every, ends, first, last
        )
