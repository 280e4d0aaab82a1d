"""The demand forecast against known demand: simulated sellers' daily demand per SKU and
marketplace, drawn from the simulator's own demand model (spapi_sim.world.demand: the SKU's base
rate, the marketplace's share, weekday, shopping events, the category's yearly season and growth,
Poisson orders of one to three units), with the stock-outs a seller lives through cut out of the
history as unknown days. The forecast sees the history; the demand of the following days is the
truth it is measured on.

Printed per seller: WAPE and MASE over the horizon of AMS's choice, of the seasonal naive (the
floor) and of every candidate alone, the best candidate in hindsight, and the time per 1,000
series; then the time for the series of every seller on ``jobs`` processes.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from typing import Any

import numpy as np

from ams.planning.forecast import Settings, forecast_many
from ams.planning.forecast.engine import COMBINATION, SEASONAL_NAIVE, mase_scale
from spapi_sim import ids
from spapi_sim.marketplaces import by_country
from spapi_sim.world.catalog import CATEGORIES, LISTING_ACTIVE, build_catalog
from spapi_sim.world.demand import WEEKDAY_FACTOR, event_factor, seasonal_factor, trend_factor

# Units per order: one, sometimes two or three (spapi_sim.world.history).
UNITS = np.array([1, 2, 3])
UNIT_P = np.array([0.88, 0.09, 0.03])
AMS = "AMS"


def seller_series(
    *, seed: int, seller: int, skus: int, days: int, countries: tuple[str, ...]
) -> tuple[list[tuple[str, np.ndarray]], list[np.ndarray]]:
    """One simulated seller's daily demand per SKU and marketplace: the history as the seller
    would record it (``nan`` on stock-out days) and the uncensored truth, ``days`` long."""
    marketplaces = tuple(by_country(c) for c in countries)
    products = build_catalog(seed, seller, skus, marketplaces, days)
    setup = ids.rng(seed, "history-setup", seller)
    growth = [setup.uniform(-0.1, 0.6) for _ in CATEGORIES]
    start = dt.date(2024, 1, 1)
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    calendar = np.array([WEEKDAY_FACTOR[d.weekday()] * event_factor(d) for d in dates])
    season = {
        c: np.array(
            [
                seasonal_factor(CATEGORIES[c], d) * trend_factor(growth[c], i)
                for i, d in enumerate(dates)
            ]
        )
        for c in range(len(CATEGORIES))
    }
    rng = np.random.default_rng(seed * 1000 + seller)
    history: list[tuple[str, np.ndarray]] = []
    truth: list[np.ndarray] = []
    for p in products:
        for m in marketplaces:
            if p.status_in(m.country_code) != LISTING_ACTIVE:
                continue
            rate = p.base_rate * m.demand_share * calendar * season[p.category_index]
            orders = rng.poisson(rate)
            units = np.array(
                [rng.choice(UNITS, size=k, p=UNIT_P).sum() if k else 0 for k in orders],
                dtype=np.float64,
            )
            first = max(0, p.launch_day)
            if days - first < 60:
                continue
            units = units[first:]
            recorded = units.copy()
            # A third of the SKUs run out of stock once or twice: 1 to 5 weeks of unknown demand.
            if rng.random() < 1 / 3:
                for _ in range(rng.integers(1, 3)):
                    out = int(rng.integers(7, 36))
                    at = int(rng.integers(0, max(1, len(units) - out)))
                    recorded[at : at + out] = np.nan
            history.append((f"{p.sku}@{m.country_code}", recorded))
            truth.append(units)
    return history, truth


def _scores(
    forecasts: list[Any], truth: list[np.ndarray], history: list[np.ndarray], horizon: int
) -> dict[str, dict[str, float]]:
    totals: dict[str, list[float]] = {}
    mases: dict[str, list[float]] = {}
    for f, actual_all, past in zip(forecasts, truth, history, strict=True):
        actual = actual_all[-horizon:]
        scale = mase_scale(past, 7)
        means = dict(f.candidate_means)
        means[AMS] = f.mean
        for name, mean in means.items():
            t = totals.setdefault(name, [0.0, 0.0])
            t[0] += float(np.abs(mean - actual).sum())
            t[1] += float(actual.sum())
            mases.setdefault(name, []).append(float(np.abs(mean - actual).mean()) / scale)
    return {
        name: {
            "wape": round(t[0] / t[1], 4) if t[1] else math.nan,
            "mase": round(float(np.mean(mases[name])), 4),
        }
        for name, t in totals.items()
        if len(mases[name]) == len(forecasts)
    }


def bench_forecast(
    *, sellers: int, skus: int, days: int, horizon: int, jobs: int, seed: int = 7
) -> dict[str, Any]:
    settings = Settings(season_length=7, horizon=horizon, keep_candidates=True, year_length=364)
    results: list[dict[str, Any]] = []
    everything: list[tuple[str, np.ndarray]] = []
    for seller in range(sellers):
        series, truth = seller_series(
            seed=seed, seller=seller, skus=skus, days=days + horizon, countries=("US", "CA", "MX")
        )
        history = [(key, values[:-horizon]) for key, values in series]
        everything.extend(history)
        started = time.perf_counter()
        forecasts = forecast_many(history, settings, jobs=1)
        seconds = time.perf_counter() - started
        scores = _scores(forecasts, truth, [v for _, v in history], horizon)
        singles = {k: v for k, v in scores.items() if k not in (AMS, COMBINATION)}
        best = min(singles, key=lambda k: singles[k]["mase"])
        chosen: dict[str, int] = {}
        for f in forecasts:
            chosen[f.model] = chosen.get(f.model, 0) + 1
        results.append(
            {
                "seller": seller,
                "series": len(history),
                "ams": scores[AMS],
                "seasonal_naive": scores[SEASONAL_NAIVE],
                "best_single_in_hindsight": {"model": best, **scores[best]},
                "ams_vs_best_mase": round(scores[AMS]["mase"] / scores[best]["mase"] - 1, 4),
                "ams_vs_seasonal_naive_mase": round(
                    scores[AMS]["mase"] / scores[SEASONAL_NAIVE]["mase"] - 1, 4
                ),
                "candidates": singles,
                "models_chosen": dict(sorted(chosen.items(), key=lambda kv: -kv[1])),
                "seconds_per_1000_series_one_process": round(1000 * seconds / len(history), 2),
            }
        )
    timing = Settings(season_length=7, horizon=horizon, year_length=364)
    cpu_before = os.times()
    started = time.perf_counter()
    forecast_many(everything, timing, jobs=jobs)
    seconds = time.perf_counter() - started
    cpu_after = os.times()
    # Processor time of this process and its workers: what the forecast costs whatever else
    # the machine is doing (the wall-clock time depends on that).
    cpu = sum(after - before for after, before in zip(cpu_after[:4], cpu_before[:4], strict=True))
    return {
        "days_of_history": days,
        "horizon_days": horizon,
        "sellers": results,
        "all_sellers": {
            "series": len(everything),
            "jobs": jobs,
            "cpus": os.cpu_count(),
            "seconds": round(seconds, 1),
            "seconds_per_1000_series": round(1000 * seconds / len(everything), 2),
            "cpu_seconds": round(cpu, 1),
            "load_average_1min": round(os.getloadavg()[0], 2),
        },
    }
