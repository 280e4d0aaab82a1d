"""Expenses: entered by members, read by everyone in the team, never by another team; what each
category costs in a period, each repeating charge on its day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from ams.core.models import AuditEntry
from ams.core.tenancy import team_scope
from ams.expenses.models import Expense
from ams.expenses.selectors import expense_totals
from ams.expenses.services import ExpenseData, ExpenseRefused, expense_add
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _add(p: Personas, team=None, **values) -> Expense:
    data = {
        "category": "software",
        "description": "Repricer",
        "amount": Decimal("49.00"),
        "currency": "USD",
        "starts_on": date(2026, 1, 31),
        "repeat": "monthly",
        **values,
    }
    team = team or p.team
    with team_scope(team.id):
        return expense_add(team=team, actor_id=p.owner.id, data=ExpenseData(**data))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**values: str) -> dict[str, str]:
    return {
        "category": "inbound_freight",
        "description": "Container CN-1",
        "amount": "1234.56",
        "currency": "USD",
        "starts_on": "2026-03-05",
        "repeat": "once",
        "ends_on": "",
        "marketplace_id": "",
        "sku": "",
        **values,
    }


def _expenses(p: Personas) -> list[Expense]:
    with team_scope(p.team.id):
        return list(Expense.objects.filter(team=p.team))


def test_a_period_adds_each_charge_on_its_day_per_category_and_currency(personas: Personas):
    _add(personas)  # 49 USD on the last day of every month from January
    _add(personas, description="Ended", starts_on=date(2025, 1, 10), ends_on=date(2026, 2, 10))
    _add(
        personas,
        category="inbound_freight",
        description="Freight",
        amount=Decimal("800.00"),
        repeat="once",
        starts_on=date(2026, 2, 3),
    )
    _add(
        personas,
        category="inbound_freight",
        description="Freight EU",
        amount=Decimal("300.00"),
        currency="EUR",
        repeat="once",
        starts_on=date(2026, 2, 20),
    )
    _add(personas, description="Not yet", starts_on=date(2026, 3, 1), repeat="yearly")
    _add(personas, team=personas.outsider_team, amount=Decimal("999.00"))
    with team_scope(personas.team.id):
        february = expense_totals(personas.team, date(2026, 2, 1), date(2026, 2, 28))
        quarter = expense_totals(personas.team, date(2026, 1, 1), date(2026, 3, 31))
    found = {(t.category, t.currency): (t.amount, t.charges) for t in february}
    assert found == {
        ("inbound_freight", "EUR"): (Decimal("300.00"), 1),
        ("inbound_freight", "USD"): (Decimal("800.00"), 1),
        # 49 on 28 February, and the ended one's last charge on 10 February; never the outsider's.
        ("software", "USD"): (Decimal("98.00"), 2),
    }
    software = next(t for t in quarter if t.category == "software")
    # January 31, February 28, March 31 (49 each); the ended one on Jan 10 and Feb 10; the yearly on Mar 1.
    assert (software.amount, software.charges) == (Decimal("294.00"), 6)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"amount": Decimal("0")}, "positive amount"),
        ({"amount": Decimal("-5")}, "positive amount"),
        ({"amount": Decimal("1.005")}, "two decimals"),
        ({"currency": "US"}, "three-letter"),
        ({"repeat": "once", "ends_on": date(2026, 5, 1)}, "Only a repeating"),
        ({"ends_on": date(2026, 1, 1)}, "cannot end before"),
    ],
)
def test_an_expense_ams_cannot_keep_is_refused_and_nothing_is_stored(personas, values, reason):
    with pytest.raises(ExpenseRefused, match=reason):
        _add(personas, **values)
    assert _expenses(personas) == []


def test_a_member_adds_changes_and_deletes_an_expense_recorded_in_the_trail(personas: Personas):
    member = _client(personas.member)
    url = f"/t/{personas.team.slug}/expenses/"
    response = member.post(url, _form())
    assert response.status_code == 302
    (expense,) = _expenses(personas)
    assert (expense.amount, expense.currency, expense.category) == (
        Decimal("1234.56"),
        "USD",
        "inbound_freight",
    )
    page = member.get(url).content.decode()
    assert 'id="expenses-table"' in page
    assert "1,234.56 USD" in page
    changed = member.post(
        f"{url}{expense.pk}/", _form(amount="1300.00", repeat="monthly", ends_on="2026-12-05")
    )
    assert changed.status_code == 302
    with team_scope(personas.team.id):
        expense.refresh_from_db()
    assert (expense.amount, expense.repeat, expense.ends_on) == (
        Decimal("1300.00"),
        "monthly",
        date(2026, 12, 5),
    )
    assert member.post(f"{url}{expense.pk}/delete/").status_code == 302
    assert _expenses(personas) == []
    with team_scope(personas.team.id):
        kinds = list(
            AuditEntry.objects.filter(team_id=personas.team.id, kind__startswith="expense.")
            .order_by("seq")
            .values_list("kind", flat=True)
        )
    assert kinds == ["expense.added", "expense.changed", "expense.deleted"]


def test_a_bad_form_says_why_and_stores_nothing(personas: Personas):
    member = _client(personas.member)
    url = f"/t/{personas.team.slug}/expenses/"
    for values, message in (
        ({"amount": "-3"}, "greater than or equal to 0.01"),
        ({"amount": "abc"}, "Enter a number"),
        ({"repeat": "once", "ends_on": "2026-06-01"}, "Only a repeating expense has an end date"),
        ({"repeat": "monthly", "ends_on": "2026-01-01"}, "cannot come before the first"),
        ({"currency": "XXX"}, "Select a valid choice"),
        ({"starts_on": "31/02/2026"}, "Enter a valid date"),
    ):
        response = member.post(url, _form(**values))
        assert response.status_code == 400, values
        assert message in response.content.decode(), values
    assert _expenses(personas) == []


def test_a_viewer_reads_but_cannot_write_and_an_outsider_sees_nothing(personas: Personas):
    expense = _add(personas)
    theirs = _add(personas, team=personas.outsider_team, description="Their secret tool")
    viewer = _client(personas.viewer)
    url = f"/t/{personas.team.slug}/expenses/"
    page = viewer.get(url).content.decode()
    assert "Repricer" in page
    assert 'id="add-expense"' not in page  # no form the role cannot submit
    assert "Their secret tool" not in page
    assert viewer.post(url, _form()).status_code == 403
    assert viewer.post(f"{url}{expense.pk}/delete/").status_code == 403
    assert len(_expenses(personas)) == 1
    # Another team's expense is not found through this team's pages.
    assert viewer.get(f"{url}{theirs.pk}/").status_code == 404
    assert _client(personas.member).post(f"{url}{theirs.pk}/delete/").status_code == 404
    outsider = _client(personas.outsider)
    assert outsider.get(url).status_code == 404
    assert outsider.post(f"{url}{expense.pk}/delete/").status_code == 404
    assert len(_expenses(personas)) == 1
