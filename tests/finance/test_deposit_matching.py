"""Deposits matched to bank bookings: the exact amount within the window, one booking per
deposit, and what is left over listed for what it is."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from ams.finance.deposit_matching import Deposit, Line, Period, Status, match, window

_ids = itertools.count(1)

# Thursday 2 July 2026: five business days later is Thursday 9 July (the weekend does not count).
THURSDAY = date(2026, 7, 2)
JULY = [Period("EUR", date(2026, 6, 1), date(2026, 7, 31))]


def deposit(amount: str, day: date = THURSDAY, currency: str = "EUR", sid: str = "") -> Deposit:
    n = next(_ids)
    return Deposit(n, sid or f"S{n}", day, Decimal(amount), currency)


def line(
    amount: str, day: date, description: str = "AMAZON PAYMENTS EUROPE", currency: str = "EUR"
) -> Line:
    return Line(next(_ids), day, Decimal(amount), currency, description, "AMAZON" in description)


def test_the_window_runs_five_business_days_and_opens_a_day_early():
    assert window(THURSDAY) == (date(2026, 7, 1), date(2026, 7, 9))
    assert window(date(2026, 7, 3)) == (date(2026, 7, 2), date(2026, 7, 10))  # Friday


def test_exact_amount_on_the_day_and_within_the_window():
    on_the_day, late = deposit("582.89"), deposit("100.00", date(2026, 7, 16))
    booked = line("582.89", THURSDAY)
    booked_late = line("100.00", date(2026, 7, 23), "SEPA CREDIT")  # the fifth business day
    result = match([on_the_day, late], [booked_late, booked], JULY)
    assert [(m.status, m.line) for m in result.deposits] == [
        (Status.MATCHED, booked),
        (Status.MATCHED, booked_late),
    ]
    assert result.unmatched_lines == []


def test_outside_the_window_another_currency_or_another_cent_is_no_match():
    d = deposit("582.89")
    after = line("582.89", date(2026, 7, 10))  # the sixth business day
    dollars = line("582.89", THURSDAY, currency="USD")
    a_cent_off = line("582.88", date(2026, 7, 3))
    result = match([d], [after, dollars, a_cent_off], JULY)
    (m,) = result.deposits
    # The booking from Amazon in the window, of another amount: listed with the difference.
    assert (m.status, m.line, m.difference) == (Status.AMOUNT_DIFFERS, a_cent_off, Decimal("-0.01"))
    # Credits naming Amazon that pay no deposit, whatever their currency, oldest first.
    assert result.unmatched_lines == [dollars, after]


def test_a_deposit_with_no_booking_is_missing_unless_no_statement_covers_it():
    missing = deposit("50.00")
    uncovered = deposit("60.00", date(2026, 9, 1))
    in_dollars = deposit("70.00", currency="USD")
    result = match([missing, uncovered, in_dollars], [line("9.99", THURSDAY, "COFFEE")], JULY)
    assert {m.deposit.amount: m.status for m in result.deposits} == {
        Decimal("50.00"): Status.MISSING,
        Decimal("60.00"): Status.NOT_COVERED,
        Decimal("70.00"): Status.NOT_COVERED,
    }
    assert result.unmatched_lines == []  # coffee does not name Amazon


def test_each_booking_pays_one_deposit_and_an_exact_match_is_never_taken_by_a_near_one():
    first, second = deposit("100.00"), deposit("100.00", date(2026, 7, 3))
    near = deposit("99.00", date(2026, 7, 1))
    one, two = line("100.00", date(2026, 7, 3)), line("100.00", date(2026, 7, 6))
    result = match([first, second, near], [two, one], JULY)
    by_amount = {(m.deposit.amount, m.deposit.day): m for m in result.deposits}
    assert by_amount[(Decimal("100.00"), THURSDAY)].line == one
    assert by_amount[(Decimal("100.00"), date(2026, 7, 3))].line == two
    assert by_amount[(Decimal("99.00"), date(2026, 7, 1))].status is Status.MISSING


def test_a_negative_settlement_pays_nothing_and_matches_nothing():
    nothing = deposit("0.00")
    stray = line("0.00", THURSDAY)
    result = match([nothing], [stray], JULY)
    assert result.deposits[0].status is Status.NOTHING_PAID
    assert result.count(Status.NOTHING_PAID) == 1


def test_another_amount_goes_to_the_deposit_it_is_closest_to():
    earlier, close = deposit("200.00", date(2026, 7, 1)), deposit("12.50", date(2026, 7, 3))
    booked = line("12.00", date(2026, 7, 6))
    result = match([earlier, close], [booked], JULY)
    assert [(m.deposit, m.status) for m in result.deposits] == [
        (earlier, Status.MISSING),
        (close, Status.AMOUNT_DIFFERS),
    ]
    assert result.deposits[1].difference == Decimal("-0.50")
