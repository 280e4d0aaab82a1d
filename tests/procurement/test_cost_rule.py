"""The one cost rule (ams.procurement.cost_rule), applied to lines of its own: the edges every page,
export and read model that prices sold units inherits from it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ams.core.tenancy import team_scope
from ams.procurement.cost_rule import cost_on_day, dated_costs
from ams.procurement.selectors import CostKey, costs_for
from ams.teams.models import Team
from tests.factories import Personas
from tests.procurement.helpers import DE, US, add_cost

pytestmark = pytest.mark.django_db

Line = tuple[str, str | None, date]  # SKU, marketplace, day

_LINES = """
WITH costs AS ({costs})
SELECT {unit_cost}, {currency}
FROM unnest(%(skus)s::text[], %(marketplaces)s::text[], %(days)s::date[]) WITH ORDINALITY AS l(sku, marketplace_id, day, i)
{joins}
ORDER BY l.i
"""


def applied(
    team: Team, *lines: Line, scope: Team | None = None
) -> list[tuple[Decimal | None, str | None]]:
    """(unit cost, currency) of each line by the rule, asked for ``team`` inside ``scope``'s scope."""
    rule = cost_on_day(lines="l", day="l.day", costs="costs")
    query = _LINES.format(
        costs=dated_costs(),
        unit_cost=rule.column("unit_cost"),
        currency=rule.column("currency"),
        joins=rule.joins,
    )
    params: dict[str, Any] = {
        "team": team.id,
        "skus": [sku for sku, _m, _d in lines],
        "marketplaces": [m for _s, m, _d in lines],
        "days": [d for _s, _m, d in lines],
    }
    with team_scope((scope or team).id), connection.cursor() as cursor:
        cursor.execute(query, params)
        found = [(row[0], row[1]) for row in cursor.fetchall()]
    assert len(found) == len(lines), "a line priced twice, or lost"
    return found


def unit_costs(team: Team, *lines: Line) -> list[Decimal | None]:
    return [cost for cost, _currency in applied(team, *lines)]


def test_a_cost_applies_from_its_own_day_and_not_a_day_before(personas: Personas):
    add_cost(personas.team, "MUG-1", "4.00", date(2026, 1, 10))
    assert unit_costs(
        personas.team,
        ("MUG-1", US, date(2026, 1, 9)),
        ("MUG-1", US, date(2026, 1, 10)),
        ("MUG-1", US, date(2026, 1, 11)),
    ) == [None, Decimal("4.00"), Decimal("4.00")]


def test_no_cost_before_the_first_dated_one(personas: Personas):
    add_cost(personas.team, "MUG-1", "4.00", date(2026, 3, 1))
    add_cost(personas.team, "MUG-1", "3.10", date(2026, 4, 1), marketplace_id=DE, currency="EUR")
    assert unit_costs(
        personas.team, ("MUG-1", US, date(2026, 2, 28)), ("MUG-1", DE, date(2026, 2, 28))
    ) == [None, None]
    assert unit_costs(personas.team, ("NEVER-COSTED", US, date(2026, 5, 1))) == [None]


def test_a_later_cost_does_not_apply_backwards(personas: Personas):
    add_cost(personas.team, "MUG-1", "4.00", date(2026, 1, 1))
    add_cost(personas.team, "MUG-1", "4.50", date(2026, 3, 1))
    assert unit_costs(
        personas.team,
        ("MUG-1", US, date(2026, 2, 28)),
        ("MUG-1", US, date(2026, 3, 1)),
        ("MUG-1", US, date(2027, 1, 1)),
    ) == [Decimal("4.00"), Decimal("4.50"), Decimal("4.50")]


def test_the_marketplaces_own_cost_beats_the_one_for_every_marketplace_whatever_their_dates(
    personas: Personas,
):
    add_cost(personas.team, "MUG-1", "4.00", date(2026, 1, 1))
    add_cost(personas.team, "MUG-1", "3.10", date(2026, 2, 1), marketplace_id=DE, currency="EUR")
    # Newer than the German record, yet Germany keeps its own.
    add_cost(personas.team, "MUG-1", "4.20", date(2026, 3, 1))
    assert applied(
        personas.team,
        ("MUG-1", DE, date(2026, 1, 15)),  # before Germany's own: the one for every marketplace
        ("MUG-1", DE, date(2026, 2, 1)),
        ("MUG-1", DE, date(2026, 4, 1)),
        ("MUG-1", US, date(2026, 4, 1)),  # another marketplace never takes Germany's
        ("MUG-1", None, date(2026, 4, 1)),  # no marketplace: the one for every marketplace
    ) == [
        (Decimal("4.00"), "USD"),
        (Decimal("3.10"), "EUR"),
        (Decimal("3.10"), "EUR"),
        (Decimal("4.20"), "USD"),
        (Decimal("4.20"), "USD"),
    ]


def test_another_teams_cost_never_applies(personas: Personas):
    add_cost(personas.outsider_team, "MUG-1", "9.99", date(2026, 1, 1))
    add_cost(personas.outsider_team, "LAMP-1", "7.00", date(2026, 1, 1), marketplace_id=US)
    add_cost(personas.team, "LAMP-1", "5.00", date(2026, 2, 1))
    lines: list[Line] = [
        ("MUG-1", US, date(2026, 2, 1)),
        ("LAMP-1", US, date(2026, 1, 15)),
        ("LAMP-1", US, date(2026, 2, 1)),
    ]
    assert unit_costs(personas.team, *lines) == [None, None, Decimal("5.00")]
    # Asking for the team from inside the outsider's scope finds nothing of either (RLS).
    assert [cost for cost, _c in applied(personas.team, *lines, scope=personas.outsider_team)] == [
        None,
        None,
        None,
    ]
    # The outsider, in its own scope, has its own costs only.
    assert unit_costs(personas.outsider_team, *lines) == [
        Decimal("9.99"),
        Decimal("7.00"),
        Decimal("7.00"),
    ]


def test_the_lookup_of_the_pages_follows_the_rule(personas: Personas):
    add_cost(personas.team, "MUG-1", "4.00", date(2026, 1, 1))
    add_cost(personas.team, "MUG-1", "3.10", date(2026, 2, 1), marketplace_id=DE, currency="EUR")
    add_cost(personas.team, "MUG-1", "4.50", date(2026, 3, 1))
    add_cost(personas.outsider_team, "MUG-1", "9.99", date(2025, 1, 1))
    lines: list[Line] = [("MUG-1", m, date(2025, 12, d)) for m in (US, DE) for d in (30, 31)] + [
        ("MUG-1", m, date(2026, month, 1)) for m in (US, DE, None) for month in (1, 2, 3, 4)
    ]
    with team_scope(personas.team.id):
        found = costs_for(personas.team, [CostKey(sku, m, d) for sku, m, d in lines])
    assert [(f.unit_cost, f.currency) for f in found.values()] == applied(personas.team, *lines)


def test_the_applied_rule_cannot_be_changed_once_built():
    """Every query that prices lines builds its joins from one AppliedCost; none may alter it."""
    import dataclasses

    applied = cost_on_day(lines="line", day="line.day", costs="costs")
    with pytest.raises(dataclasses.FrozenInstanceError):
        applied.own = "somebody_else"  # type: ignore[misc]
    assert applied.column("unit_cost").startswith("CASE WHEN own.id IS NOT NULL")
