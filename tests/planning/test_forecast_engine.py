"""The forecast engine: what it chooses, how it treats unknown periods, its intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ams.planning.forecast import CANDIDATES, Settings, forecast_many
from ams.planning.forecast.engine import (
    COMBINATION,
    SHORT_HISTORY,
    fill_unknown,
    forecast_one,
)

SEASONAL = {c.name for c in CANDIDATES if c.seasonal}
EXPENSIVE = {c.name for c in CANDIDATES if c.expensive}


def mae(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(forecast) - actual)))


def seasonal_series(
    rng: np.random.Generator, n: int = 84, level: float = 60.0, amplitude: float = 25.0
) -> np.ndarray:
    t = np.arange(n)
    return np.round(level + amplitude * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n))


def test_a_seasonal_series_picks_a_seasonal_model_and_beats_naive():
    rng = np.random.default_rng(1)
    y = seasonal_series(rng)
    history, actual = y[:-12], y[-12:]

    f = forecast_one("seasonal", history, Settings(season_length=12, horizon=12))

    assert not f.intermittent
    assert SEASONAL & set(f.members), f.members
    naive = np.full(12, history[-1])
    assert mae(f.mean, actual) < 0.5 * mae(naive, actual)
    assert f.accuracy is not None
    assert f.accuracy.mase < 1


def test_an_intermittent_series_is_forecast_by_the_intermittent_family():
    rng = np.random.default_rng(2)
    y = np.where(rng.random(60) < 0.2, rng.integers(1, 6, 60), 0).astype(float)

    f = forecast_one("sparse", y, Settings(season_length=12, horizon=6))

    assert f.intermittent
    # ETS and Theta are not even tried on it.
    assert not EXPENSIVE & set(f.candidates)
    assert {"CrostonSBA", "TSB", "ADIDA"} <= set(f.candidates)
    assert not EXPENSIVE & set(f.members)
    mean_demand = y.mean()
    assert f.mean == pytest.approx(np.full(6, mean_demand), rel=0.6)


def test_unknown_days_do_not_pull_the_forecast_to_zero():
    rng = np.random.default_rng(3)
    y = rng.poisson(5.0, 120).astype(float)
    stocked_out = y.copy()
    stocked_out[80:110] = np.nan  # a month out of stock, recorded as unknown
    zeros = y.copy()
    zeros[80:110] = 0  # the same month read as zero sales

    settings = Settings(season_length=7, horizon=14)
    unknown, zero = forecast_many([("unknown", stocked_out), ("zero", zeros)], settings)

    assert unknown.mean.mean() == pytest.approx(5.0, rel=0.15)
    assert zero.mean.mean() < unknown.mean.mean()
    # Unknown periods are left out of the errors: fewer periods measured than with zeros.
    assert unknown.accuracy is not None
    assert zero.accuracy is not None
    assert unknown.accuracy.periods < zero.accuracy.periods


def test_unknown_periods_are_filled_with_the_known_ones_around_them():
    y = np.array([4.0, 4.0, np.nan, np.nan, 6.0, 6.0])
    assert fill_unknown(y, 1).tolist() == [4.0, 4.0, 4.0, 6.0, 6.0, 6.0]
    assert fill_unknown(np.array([np.nan, np.nan]), 3).tolist() == [0.0, 0.0]


def test_intervals_hold_the_forecast_and_are_never_negative():
    rng = np.random.default_rng(4)
    series = [
        ("smooth", rng.poisson(20, 60).astype(float)),
        ("sparse", np.where(rng.random(60) < 0.1, 1.0, 0.0)),
        ("falling", np.maximum(0, np.round(np.linspace(30, 0, 60) + rng.normal(0, 3, 60)))),
        ("seasonal", seasonal_series(rng, n=60, level=20, amplitude=19)),
        ("all zero", np.zeros(40)),
    ]

    forecasts = forecast_many(series, Settings(season_length=12, horizon=12, level=90))

    for f in forecasts:
        assert len(f.mean) == len(f.lo) == len(f.hi) == 12
        assert (f.lo >= 0).all(), f.series
        assert (f.lo <= f.mean + 1e-9).all(), f.series
        assert (f.mean <= f.hi + 1e-9).all(), f.series
    smooth = forecasts[0]
    assert (smooth.hi - smooth.lo).min() > 0


def test_the_interval_covers_about_its_level_on_counts():
    rng = np.random.default_rng(5)
    series = [rng.poisson(rng.uniform(0.3, 8), 72).astype(float) for _ in range(40)]
    forecasts = forecast_many(
        [(str(i), y[:-12]) for i, y in enumerate(series)], Settings(12, 12, level=90)
    )
    inside = [
        ((y[-12:] >= f.lo) & (y[-12:] <= f.hi)).mean()
        for f, y in zip(forecasts, series, strict=True)
    ]
    assert 0.8 <= float(np.mean(inside)) <= 0.99


@pytest.mark.parametrize("length", [0, 1, 2, 3, 5, 8, 13])
def test_short_histories_get_a_forecast(length):
    y = [float(v % 3) for v in range(length)]
    values = y or [math.nan, math.nan]

    f = forecast_one("short", values, Settings(season_length=12, horizon=6))

    assert len(f.mean) == 6
    assert np.isfinite(f.mean).all()
    assert (f.lo >= 0).all()
    assert (f.lo <= f.mean).all()
    assert (f.mean <= f.hi).all()
    if length < 5:
        assert f.model == SHORT_HISTORY


def test_daily_demand_keeps_its_weekday_pattern():
    rng = np.random.default_rng(6)
    weekday = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 3.0])
    y = rng.poisson(np.tile(weekday * 10, 30)).astype(float)

    f = forecast_one("daily", y, Settings(season_length=7, horizon=14))

    # The series ends on the 7th weekday: steps 6, 7, 13 and 14 are the busy days.
    busy = f.mean[[5, 6, 12, 13]]
    quiet = f.mean[[0, 1, 2, 3, 4, 7, 8]]
    assert busy.min() > 1.8 * quiet.max()


def test_many_series_on_two_processes_match_one_process():
    rng = np.random.default_rng(7)
    series = [(f"s{i}", rng.poisson(3, 40).astype(float)) for i in range(12)]
    settings = Settings(season_length=7, horizon=7)

    alone = forecast_many(series, settings, jobs=1)
    together = forecast_many(series, settings, jobs=2)

    assert [f.series for f in together] == [f"s{i}" for i in range(12)]
    for a, b in zip(alone, together, strict=True):
        assert a.model == b.model
        assert a.mean == pytest.approx(b.mean)


def test_the_combination_names_its_members():
    rng = np.random.default_rng(8)
    series = [(f"s{i}", rng.poisson(4, 48).astype(float)) for i in range(30)]
    forecasts = forecast_many(series, Settings(season_length=12, horizon=6))
    for f in forecasts:
        if f.model == COMBINATION:
            assert len(f.members) == 3
        else:
            assert f.members == (f.model,)


def test_a_history_whose_end_is_unknown_is_not_measured_on_nothing():
    y = [0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 3.0, 0.0, 1.0, 0.0] + [math.nan] * 30

    f = forecast_one("ended", y, Settings(season_length=12, horizon=4))

    assert f.model == SHORT_HISTORY
    assert f.accuracy is None
    assert f.mean == pytest.approx([0.7] * 4)


@pytest.mark.parametrize("weeks", [30, 60, 110, 160])
def test_weekly_series_with_a_yearly_season_of_any_length(weeks):
    rng = np.random.default_rng(weeks)
    t = np.arange(weeks)
    y = rng.poisson(20 * (1 + 0.5 * np.cos(2 * np.pi * t / 52))).astype(float)

    f = forecast_one("weekly", y, Settings(season_length=52, horizon=52))

    assert len(f.mean) == 52
    assert np.isfinite(f.mean).all()
    assert (f.lo >= 0).all()
    if weeks >= 2 * 52:  # a whole season seen twice: the level holds
        assert f.mean.mean() == pytest.approx(y.mean(), rel=0.5)


def test_last_years_shape_is_a_candidate_for_daily_demand_with_a_year_of_history():
    rng = np.random.default_rng(9)
    days = np.arange(800)
    y = rng.poisson(8 * (1 + 0.8 * np.cos(2 * np.pi * days / 364))).astype(float)

    with_year = forecast_one("daily", y, Settings(7, 28, year_length=364))
    short = forecast_one("daily", y[-300:], Settings(7, 28, year_length=364))

    assert "YearAgo" in with_year.candidates
    assert "YearAgo" not in short.candidates
