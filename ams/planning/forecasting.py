"""A team's demand forecast: its demand history (``selectors.demand_history``) through the engine
(``ams.planning.forecast``), every SKU and marketplace in one batch so the choice of model is
ranked over the team's own catalogue (docs/architecture.md, "Planning: forecast")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ams.planning.forecast import Forecast, Settings, forecast_many
from ams.planning.selectors import DemandHistory, demand_history
from ams.teams.models import Team

# Two years: last year's shape needs a year and two months, and the backtest its horizon on top.
HISTORY_DAYS = 730
# Daily demand: a weekly season, and a year of 52 whole weeks so weekdays line up.
WEEK = 7
YEAR = 364


@dataclass(frozen=True)
class SkuForecast:
    history: DemandHistory
    forecast: Forecast
    # The first day forecast: the day after the history's last.
    first_day: date


def team_demand_forecast(
    team: Team, *, last: date, horizon: int, history_days: int = HISTORY_DAYS, jobs: int = 1
) -> list[SkuForecast]:
    """Daily demand forecasts of every SKU and marketplace the team sold in the ``history_days``
    up to ``last``, ``horizon`` days ahead. Reads the team's rows; call it inside its scope."""
    first = last - timedelta(days=history_days - 1)
    histories = demand_history(team, first=first, last=last)
    settings = Settings(season_length=WEEK, horizon=horizon, year_length=YEAR)
    forecasts = forecast_many([(h.key, h.values()) for h in histories], settings, jobs=jobs)
    after = last + timedelta(days=1)
    return [SkuForecast(h, f, after) for h, f in zip(histories, forecasts, strict=True)]
