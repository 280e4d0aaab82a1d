"""Which bank booking is which settlement's deposit.

A deposit is matched to a booking of the same amount, to the cent, in its currency, booked from
Amazon's deposit date to ``WINDOW_BUSINESS_DAYS`` business days after it (Amazon starts the
transfer on the deposit date; a bank can take up to five business days to show it). The window
opens one day early: the deposit date is a UTC day, and a bank in the Americas books in its own,
earlier, day. Each booking pays at most one deposit; deposits are matched in date order, each to
the earliest booking of its exact amount.

What is left over is listed: a deposit with a booking from Amazon in its window but of another
amount (the difference shown), a deposit with none at all, and bookings from Amazon that no
deposit accounts for. A deposit outside every imported statement's period, or in a currency no
statement is in, is not "missing": AMS cannot know.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

WINDOW_BUSINESS_DAYS = 5


class Status(StrEnum):
    MATCHED = "matched"
    AMOUNT_DIFFERS = "amount differs"
    MISSING = "missing"
    NOT_COVERED = "no statement"
    NOTHING_PAID = "nothing paid out"


@dataclass(frozen=True)
class Deposit:
    settlement_pk: int
    settlement_id: str
    day: date
    amount: Decimal  # what reached the bank: 0 for a negative total
    currency: str


@dataclass(frozen=True)
class Line:
    pk: int
    booked_on: date
    amount: Decimal
    currency: str
    description: str
    from_amazon: bool


@dataclass(frozen=True)
class Period:
    """The days and currency an imported statement covers."""

    currency: str
    first: date
    last: date


@dataclass(frozen=True)
class DepositMatch:
    deposit: Deposit
    status: Status
    line: Line | None = None

    @property
    def difference(self) -> Decimal | None:
        """The booking's amount less the deposit's (amount differs only)."""
        if self.status is not Status.AMOUNT_DIFFERS or self.line is None:
            return None
        return self.line.amount - self.deposit.amount


@dataclass(frozen=True)
class Matching:
    deposits: list[DepositMatch]
    # Credits from Amazon that no deposit accounts for, oldest first.
    unmatched_lines: list[Line]

    def count(self, status: Status) -> int:
        return sum(1 for m in self.deposits if m.status is status)


def window(day: date) -> tuple[date, date]:
    """The days a deposit of ``day`` may be booked on."""
    last, left = day, WINDOW_BUSINESS_DAYS
    while left:
        last += timedelta(days=1)
        if last.weekday() < 5:
            left -= 1
    return day - timedelta(days=1), last


def _covered(periods: Iterable[Period], currency: str, first: date, last: date) -> bool:
    return any(p.currency == currency and p.first <= last and p.last >= first for p in periods)


def match(deposits: Iterable[Deposit], lines: Iterable[Line], periods: list[Period]) -> Matching:
    ordered = sorted(deposits, key=lambda d: (d.day, d.settlement_id, d.settlement_pk))
    free = sorted(lines, key=lambda line: (line.booked_on, line.pk))
    by_currency: dict[str, list[Line]] = defaultdict(list)
    for line in free:
        by_currency[line.currency].append(line)
    days = {currency: [x.booked_on for x in group] for currency, group in by_currency.items()}
    used: set[int] = set()
    found: dict[int, DepositMatch] = {}

    def candidates(deposit: Deposit) -> list[Line]:
        """The free bookings of the deposit's currency in its window, found by bisection."""
        first, last = window(deposit.day)
        group = by_currency.get(deposit.currency, [])
        booked = days.get(deposit.currency, [])
        in_window = group[bisect_left(booked, first) : bisect_right(booked, last)]
        return [x for x in in_window if x.pk not in used]

    # The exact amount first, over every deposit, so that a near amount never takes a booking
    # another deposit matches to the cent.
    for deposit in ordered:
        if deposit.amount <= 0:
            found[deposit.settlement_pk] = DepositMatch(deposit, Status.NOTHING_PAID)
            continue
        exact = next((x for x in candidates(deposit) if x.amount == deposit.amount), None)
        if exact is not None:
            used.add(exact.pk)
            found[deposit.settlement_pk] = DepositMatch(deposit, Status.MATCHED, exact)
    # Then the bookings from Amazon of another amount, closest amounts paired first over every
    # deposit left, so that a deposit of 200.00 never takes the 12.00 booking of one of 12.50.
    pairs = sorted(
        (
            (abs(x.amount - d.amount), abs((x.booked_on - d.day).days), d.day, x.pk, d, x)
            for d in ordered
            if d.settlement_pk not in found
            for x in candidates(d)
            if x.from_amazon and x.amount > 0
        ),
        key=lambda pair: pair[:4],
    )
    for *_order, d, x in pairs:
        if d.settlement_pk in found or x.pk in used:
            continue
        used.add(x.pk)
        found[d.settlement_pk] = DepositMatch(d, Status.AMOUNT_DIFFERS, x)
    for deposit in ordered:
        if deposit.settlement_pk in found:
            continue
        if _covered(periods, deposit.currency, *window(deposit.day)):
            found[deposit.settlement_pk] = DepositMatch(deposit, Status.MISSING)
        else:
            found[deposit.settlement_pk] = DepositMatch(deposit, Status.NOT_COVERED)
    unmatched = [x for x in free if x.from_amazon and x.amount > 0 and x.pk not in used]
    return Matching([found[d.settlement_pk] for d in ordered], unmatched)
