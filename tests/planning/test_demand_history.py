"""The demand history: units sold per SKU, marketplace and day, out-of-stock days unknown."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from ams.core.tenancy import team_scope
from ams.inventory.models import StockSnapshot
from ams.planning.forecast import Settings, forecast_many
from ams.planning.selectors import demand_history
from ams.teams.models import Team
from tests.amazon.factories import make_connection
from tests.procurement.helpers import US, sku_day

pytestmark = pytest.mark.django_db

FIRST = date(2026, 3, 1)
LAST = date(2026, 3, 10)


def snapshot(team: Team, sku: str, day: date, fulfillable: int) -> None:
    from ams.amazon.models import SellerConnection

    with team_scope(team.id):
        connection = SellerConnection.objects.filter(team=team).first()
        assert connection is not None
        StockSnapshot.objects.create(
            team=team,
            connection=connection,
            marketplace_id=US,
            sku=sku,
            day=day,
            fulfillable=fulfillable,
            inbound=0,
            reserved=0,
            unfulfillable=0,
            total=fulfillable,
        )


def test_out_of_stock_days_are_unknown_not_zero(personas):
    team = personas.team
    make_connection(team)
    for d in (1, 2, 3):
        sku_day(team, "MUG-1", date(2026, 3, d), units=2)
    # Two currencies of one day are one day's units.
    sku_day(team, "MUG-1", date(2026, 3, 9), units=1)
    sku_day(team, "MUG-1", date(2026, 3, 9), units=2, currency="CAD")
    # In stock until the 4th, out from the 5th to the 7th, back on the 8th.
    for d in range(1, 11):
        snapshot(team, "MUG-1", date(2026, 3, d), 0 if 5 <= d <= 7 else 10)

    with team_scope(team.id):
        (mug,) = demand_history(team, first=FIRST, last=LAST)

    assert (mug.marketplace_id, mug.sku, mug.first_day) == (US, "MUG-1", FIRST)
    assert mug.units == (2, 2, 2, 0, None, None, None, 0, 3, 0)
    values = mug.values()
    assert math.isnan(values[4])
    assert values[3] == 0.0


def test_a_series_starts_when_the_sku_first_sold_or_was_stocked(personas):
    team = personas.team
    make_connection(team)
    sku_day(team, "LAMP-1", date(2026, 3, 6), units=1)
    sku_day(team, "VASE-1", date(2026, 3, 8), units=4)
    snapshot(team, "VASE-1", date(2026, 3, 4), 5)
    # Stocked but never sold in the window: no demand to forecast from.
    snapshot(team, "BOWL-1", date(2026, 3, 4), 5)

    with team_scope(team.id):
        lamp, vase = demand_history(team, first=FIRST, last=LAST)

    assert (lamp.sku, lamp.first_day, lamp.units) == ("LAMP-1", date(2026, 3, 6), (1, 0, 0, 0, 0))
    assert (vase.sku, vase.first_day) == ("VASE-1", date(2026, 3, 4))
    assert vase.units == (0, 0, 0, 0, 4, 0, 0)


def test_another_team_sees_none_of_it(personas):
    team, outsider = personas.team, personas.outsider_team
    make_connection(team)
    make_connection(outsider)
    sku_day(team, "MUG-1", date(2026, 3, 2), units=5)
    snapshot(team, "MUG-1", date(2026, 3, 3), 0)
    sku_day(outsider, "MUG-1", date(2026, 3, 2), units=1)

    with team_scope(outsider.id):
        (theirs,) = demand_history(outsider, first=FIRST, last=LAST)
        # Asking for the team's history from the outsider's scope finds nothing (RLS).
        assert demand_history(team, first=FIRST, last=LAST) == []
    assert (theirs.first_day, theirs.units) == (date(2026, 3, 2), (1, 0, 0, 0, 0, 0, 0, 0, 0))


def test_the_history_feeds_the_forecast_and_stock_outs_do_not_pull_it_down(personas):
    team = personas.team
    make_connection(team)
    first = date(2026, 1, 1)
    days = 70
    for d in range(days):
        day = first + timedelta(days=d)
        out = 40 <= d < 60
        if not out:
            sku_day(team, "MUG-1", day, units=3)
        snapshot(team, "MUG-1", day, 0 if out else 50)

    with team_scope(team.id):
        (mug,) = demand_history(team, first=first, last=first + timedelta(days=days - 1))
    (forecast,) = forecast_many([(mug.key, mug.values())], Settings(season_length=7, horizon=14))

    assert mug.units.count(None) == 20
    assert forecast.mean == pytest.approx([3.0] * 14, abs=0.3)


def test_a_teams_forecast_covers_its_skus_and_none_of_another_teams(personas):
    from ams.planning.forecasting import team_demand_forecast

    team, outsider = personas.team, personas.outsider_team
    make_connection(team)
    make_connection(outsider)
    last = date(2026, 3, 31)
    for d in range(40):
        day = last - timedelta(days=d)
        sku_day(team, "MUG-1", day, units=2)
        sku_day(outsider, "SECRET-1", day, units=9)

    with team_scope(team.id):
        (mug,) = team_demand_forecast(team, last=last, horizon=7)

    assert mug.history.sku == "MUG-1"
    assert mug.first_day == date(2026, 4, 1)
    assert mug.forecast.mean == pytest.approx([2.0] * 7, abs=0.2)
    assert mug.forecast.accuracy is not None
