"""Model selection per series by a rolling-origin backtest, and the forecast of the chosen model.

Every series is cut at a few origins near its end; each candidate model is fitted on the history
before an origin and forecasts the ``horizon`` periods after it. The candidate with the smallest
mean absolute error over those windows (equivalently the smallest MASE: the scale is the series'
own) forecasts the series from its full history. Unknown periods (``nan``, a day the SKU was out
of stock) are never zeros: they are left out of every error and, for fitting, filled with the
mean of the nearest known periods around them, which keeps the level where the known demand is.

statsforecast (and numba under it) is imported on first use, so a process that never forecasts
never pays for it; its compiled functions are cached on disk (``numba_cache_dir``), so only the
first process on a machine compiles them.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

# Syntetos and Boylan's cut-off: more than 1.32 periods between demands on average makes a series
# intermittent, where the Croston family and the averages forecast better than ETS or Theta.
INTERMITTENT_ADI = 1.32
# ETS does not take a season longer than this (R's forecast::ets refuses m > 24 too); a weekly
# series' yearly season (52) is left to Theta's decomposition and the seasonal naive.
ETS_MAX_SEASON = 24
# The expensive models fit the most recent periods only: enough for two seasons and the level.
EXPENSIVE_WINDOW_MIN = 104


@dataclass(frozen=True)
class Settings:
    season_length: int
    horizon: int
    # The prediction interval's coverage, in percent.
    level: int = 90
    # Backtest origins per series.
    origins: int = 3
    # Offer the mean of the three best candidates as a candidate of its own.
    combination: bool = True
    # Return every candidate's forecast too (the benchmark compares them).
    keep_candidates: bool = False
    # A series leaves the model that measures best over all series of its kind only for one
    # that measures this much better (in root mean squared error) on its own backtest.
    switch_margin: float = 0.1
    pooled_loss: str = "rmsse"
    series_loss: str = "rmsse"
    # Periods in a year when the season is shorter (364 for daily demand: 52 whole weeks, so
    # weekdays line up): offers last year's shape as a candidate once a year and more is known.
    year_length: int | None = None

    def __post_init__(self) -> None:
        if self.season_length < 1:
            raise ValueError("The season length must be at least 1.")
        if self.horizon < 1:
            raise ValueError("The horizon must be at least 1.")
        if not 0 < self.level < 100:
            raise ValueError("The interval's level must be between 0 and 100 percent.")
        if self.origins < 1:
            raise ValueError("The backtest needs at least one origin.")


@dataclass(frozen=True)
class Accuracy:
    """A candidate's backtest on one series: MASE (mean absolute error over the mean absolute
    seasonal difference of the history), WAPE (absolute errors over actual units) and bias
    (forecast minus actual, over actual units: positive forecasts too much)."""

    mase: float
    wape: float
    bias: float
    # Periods the errors were measured on (unknown periods left out).
    periods: int


@dataclass(frozen=True)
class Forecast:
    series: str
    model: str
    mean: Array
    lo: Array
    hi: Array
    # The chosen model's backtest; None when the history is too short for one.
    accuracy: Accuracy | None
    candidates: dict[str, Accuracy] = field(default_factory=dict)
    # With Settings.keep_candidates: each candidate's forecast from the full history.
    candidate_means: dict[str, Array] = field(default_factory=dict)
    intermittent: bool = False
    # The candidates averaged into the forecast: the model itself, or the combination's three.
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    name: str
    make: Callable[[Any, int], Any]  # (statsforecast.models, season length) -> model
    # statsforecast gives the model's own interval; others take the backtest's errors.
    native_intervals: bool
    # ETS and Theta: worth their cost on smooth series only, and fitted on a recent window.
    expensive: bool = False
    seasonal: bool = False
    # The naive forecasts copy a past that is mostly zeros on intermittent demand: measured and
    # reported there (the seasonal naive is the floor to beat), never chosen.
    naive: bool = False


class YearAgo:
    """Last year's demand around the same time of year (the mean of a season either side of
    the same period, so one day's noise is not copied), times this year's growth: the last two
    months' level over the same two months a year before (bounded to a third and three times)."""

    def __init__(self, year: int, season: int) -> None:
        self.year = year
        self.half = max(season, 7)
        self.recent = max(8 * season, 8)

    def forecast(self, y: Array, h: int, level: list[int] | None = None) -> dict[str, Array]:
        n, year = len(y), self.year
        if n < year + self.recent:
            raise ValueError("less than a year and two months of history")
        csum = np.concatenate(([0.0], np.cumsum(y)))
        at = n - year + np.arange(h)
        lo = np.clip(at - self.half, 0, n)
        hi = np.clip(at + self.half + 1, 0, n)
        shape = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
        now = y[n - self.recent :].mean()
        then = y[n - year - self.recent : n - year].mean()
        growth = float(np.clip(now / then, 1 / 3, 3)) if then > 0 else 1.0
        if then <= 0 and now > 0:
            return {"mean": np.full(h, now)}
        return {"mean": shape * growth}


def _ets(m: Any, s: int) -> Any:
    return m.AutoETS(season_length=s if s <= ETS_MAX_SEASON else 1)


CANDIDATES: tuple[Candidate, ...] = (
    Candidate(
        "SeasonalNaive",
        lambda m, s: m.SeasonalNaive(season_length=s),
        True,
        seasonal=True,
        naive=True,
    ),
    Candidate("Naive", lambda m, s: m.Naive(), True, naive=True),
    Candidate("HistoricAverage", lambda m, s: m.HistoricAverage(), True),
    Candidate("WindowAverage", lambda m, s: m.WindowAverage(window_size=max(s, 4)), False),
    Candidate("SES", lambda m, s: m.SimpleExponentialSmoothingOptimized(), False),
    Candidate("CrostonClassic", lambda m, s: m.CrostonClassic(), False),
    Candidate("CrostonSBA", lambda m, s: m.CrostonSBA(), False),
    Candidate("TSB", lambda m, s: m.TSB(alpha_d=0.1, alpha_p=0.1), False),
    Candidate("ADIDA", lambda m, s: m.ADIDA(), False),
    Candidate("AutoETS", _ets, True, expensive=True, seasonal=True),
    # Built by _run from Settings.year_length (not a statsforecast model).
    Candidate("YearAgo", lambda m, s: None, False, seasonal=True),
    Candidate(
        "Theta",
        lambda m, s: m.OptimizedTheta(season_length=s),
        True,
        expensive=True,
        seasonal=True,
    ),
)
SEASONAL_NAIVE = CANDIDATES[0].name
YEAR_AGO = "YearAgo"
COMBINATION = "Combination"
SHORT_HISTORY = "RecentAverage"


def numba_cache_dir() -> Path:
    """Where numba keeps statsforecast's compiled functions: ``NUMBA_CACHE_DIR`` when set, else
    the user's cache directory."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ams" / "numba"


_models: Any = None


def _statsforecast_models() -> Any:
    """statsforecast.models, imported once, with numba's on-disk cache turned on first."""
    global _models
    if _models is None:
        os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")
        os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))
        from statsforecast import models

        _models = models
    return _models


# -- preparing a series ---------------------------------------------------------------------------


def fill_unknown(y: Array, window: int) -> Array:
    """``y`` with each unknown period replaced by the mean of the known periods within
    ``window`` of it on either side (widened to every known period when none is that close)."""
    known = ~np.isnan(y)
    if known.all():
        return y
    if not known.any():
        return np.zeros_like(y)
    values = np.where(known, y, 0.0)
    csum = np.concatenate(([0.0], np.cumsum(values)))
    ccount = np.concatenate(([0], np.cumsum(known)))
    n = len(y)
    idx = np.arange(n)
    lo = np.clip(idx - window, 0, n)
    hi = np.clip(idx + window + 1, 0, n)
    total = csum[hi] - csum[lo]
    count = ccount[hi] - ccount[lo]
    overall = values.sum() / known.sum()
    local = np.divide(total, count, out=np.full(n, overall), where=count > 0)
    return np.where(known, y, local)


def mase_scale(y: Array, season_length: int) -> float:
    """The mean absolute seasonal difference of the known history (the naive one-step
    difference when a season does not fit or the series never changes), never zero."""
    for lag in (season_length, 1):
        if lag < len(y):
            diff = np.abs(y[lag:] - y[:-lag])
            diff = diff[~np.isnan(diff)]
            if diff.size and diff.mean() > 0:
                return float(diff.mean())
    known = y[~np.isnan(y)]
    if known.size and np.abs(known).mean() > 0:
        return float(np.abs(known).mean())
    return 1.0


def is_intermittent(y: Array) -> bool:
    known = y[~np.isnan(y)]
    nonzero = int(np.count_nonzero(known))
    return nonzero == 0 or known.size / nonzero > INTERMITTENT_ADI


def _backtest_plan(n: int, settings: Settings) -> tuple[int, list[int]]:
    """The backtest's horizon and its origins (the number of periods each fit sees). The horizon
    is the forecast's, shortened on a short series so each fit keeps two thirds of it."""
    h = min(settings.horizon, max(1, n // 3))
    step = max(1, math.ceil(h / settings.origins))
    origins = [n - h - k * step for k in range(settings.origins)]
    return h, sorted(o for o in origins if o >= 4)


# -- running one model ------------------------------------------------------------------------------


@dataclass
class _Run:
    mean: Array
    lo: Array | None = None
    hi: Array | None = None


def _run(
    candidate: Candidate, y: Array, h: int, settings: Settings, *, with_interval: bool
) -> _Run | None:
    models = _statsforecast_models()
    s = settings.season_length
    if candidate.expensive:
        y = y[-max(EXPENSIVE_WINDOW_MIN, 3 * s, 2 * settings.horizon) :]
    season = s if s > 1 and len(y) >= 2 * s else 1
    if candidate.name == SEASONAL_NAIVE and len(y) >= s:
        season = s
    if candidate.name == YEAR_AGO:
        if settings.year_length is None:
            return None
        model = YearAgo(settings.year_length, settings.season_length)
    else:
        model = candidate.make(models, season)
    level = [settings.level] if with_interval and candidate.native_intervals else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = model.forecast(y=y, h=h, level=level) if level else model.forecast(y=y, h=h)
    except Exception:
        return None
    mean = np.asarray(out["mean"], dtype=np.float64)
    if mean.shape != (h,) or not np.isfinite(mean).all():
        return None
    if level:
        lo = np.asarray(out[f"lo-{settings.level}"], dtype=np.float64)
        hi = np.asarray(out[f"hi-{settings.level}"], dtype=np.float64)
        if np.isfinite(lo).all() and np.isfinite(hi).all():
            return _Run(mean, lo, hi)
    return _Run(mean)


# -- the backtest of one series --------------------------------------------------------------------


@dataclass
class _Score:
    abs_error: float = 0.0
    sq_error: float = 0.0
    error: float = 0.0
    actual: float = 0.0
    periods: int = 0
    errors: list[Array] = field(default_factory=list)

    def add(self, forecast: Array, actual: Array) -> None:
        """Count the errors of ``forecast`` against ``actual`` (same shape; unknown actuals,
        ``nan``, are left out)."""
        known = ~np.isnan(actual)
        e = forecast[known] - actual[known]
        self.abs_error += float(np.abs(e).sum())
        self.sq_error += float(e @ e)
        self.error += float(e.sum())
        self.actual += float(np.abs(actual[known]).sum())
        self.periods += int(known.sum())
        self.errors.append(-e)

    def accuracy(self, scale: float) -> Accuracy:
        p = max(self.periods, 1)
        denominator = self.actual if self.actual > 0 else math.nan
        return Accuracy(
            mase=self.abs_error / p / scale,
            wape=self.abs_error / denominator,
            bias=self.error / denominator,
            periods=self.periods,
        )

    def loss(self, scale: float, kind: str = "rmsse") -> float:
        """What selection minimises: the root mean squared error over the series' scale
        ("rmsse"), or the mean absolute one ("mase"). Squared errors reward a forecast of the
        mean; on intermittent demand absolute errors favour whichever model forecasts zero."""
        if kind == "mase":
            return self.abs_error / max(self.periods, 1) / scale
        return math.sqrt(self.sq_error / max(self.periods, 1)) / scale


@dataclass
class _Backtest:
    """One series' history and each candidate's forecasts at each origin."""

    key: str
    y: Array
    scale: float = 1.0
    intermittent: bool = False
    # The actual periods after each origin, one row per origin; each candidate's forecasts alike.
    actuals: Array = field(default_factory=lambda: np.empty((0, 0)))
    runs: dict[str, Array] = field(default_factory=dict)
    _scores: dict[tuple[str, ...], _Score] = field(default_factory=dict)

    def score(self, names: tuple[str, ...]) -> _Score:
        """The score of the mean of ``names``' forecasts."""
        score = self._scores.get(names)
        if score is None:
            forecast = (
                self.runs[names[0]]
                if len(names) == 1
                else np.mean([self.runs[n] for n in names], axis=0)
            )
            score = self._scores[names] = _Score()
            score.add(forecast, self.actuals)
        return score


def _fill_window(settings: Settings) -> int:
    return max(settings.season_length, 7)


def _backtest(key: str, values: Sequence[float] | Array, settings: Settings) -> _Backtest:
    y = np.asarray(values, dtype=np.float64)
    known = np.flatnonzero(~np.isnan(y))
    if known.size:
        y = y[known[0] :]  # the series starts at its first known period
    bt = _Backtest(key, y)
    h, origins = _backtest_plan(len(y), settings)
    if not origins or not known.size:
        return bt
    bt.scale = mase_scale(y, settings.season_length)
    bt.intermittent = is_intermittent(y)
    pool = [
        c
        for c in CANDIDATES
        if not (c.expensive and bt.intermittent)
        and not (c.name == YEAR_AGO and settings.year_length is None)
    ]
    failed: set[str] = set()
    runs: dict[str, list[Array]] = {}
    for o in origins:
        train = fill_unknown(y[:o], _fill_window(settings))
        for c in pool:
            if c.name in failed:
                continue
            run = _run(c, train, h, settings, with_interval=False)
            if run is None:
                failed.add(c.name)
                continue
            runs.setdefault(c.name, []).append(run.mean)
    bt.actuals = np.array([y[o : o + h] for o in origins])
    if np.isnan(bt.actuals).all():
        return bt  # nothing known to measure against: the short history's forecast
    bt.runs = {name: np.array(r) for name, r in runs.items() if name not in failed}
    return bt


# -- choosing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Choice:
    # The candidates whose forecasts are averaged (one, or the combination's).
    members: tuple[str, ...]
    name: str


Kind = tuple[bool, bool]


def _kind(bt: _Backtest) -> Kind:
    """Intermittent or smooth, and with or without a year of history (last year's shape)."""
    return bt.intermittent, YEAR_AGO in bt.runs


def _pooled(backtests: Sequence[_Backtest], settings: Settings) -> dict[Kind, list[_Choice]]:
    """Per kind of series (``_kind``), the choices ranked by their loss over every series of
    that kind that measured them all: the candidates alone, and the combination of the three
    best."""
    ranked: dict[Kind, list[_Choice]] = {}
    for kind in {_kind(bt) for bt in backtests if bt.runs}:
        group = [bt for bt in backtests if bt.runs and _kind(bt) == kind]
        names = [
            c.name
            for c in CANDIDATES
            if not (kind[0] and c.naive) and all(c.name in bt.runs for bt in group)
        ]
        if not names:
            continue

        def total(members: Sequence[str], group: list[_Backtest] = group) -> float:
            return sum(
                bt.score(tuple(members)).loss(bt.scale, settings.pooled_loss) for bt in group
            )

        choices = sorted(((total((n,)), _Choice((n,), n)) for n in names), key=lambda t: t[0])
        if settings.combination and len(choices) >= 3:
            members = tuple(c.name for _, c in choices[:3])
            choices.append((total(members), _Choice(members, COMBINATION)))
            choices.sort(key=lambda t: t[0])
        ranked[kind] = [c for _, c in choices]
    return ranked


def _choose(
    bt: _Backtest, pooled: list[_Choice], settings: Settings
) -> tuple[_Choice, dict[str, _Score]]:
    """The series' own best choice when it beats the pooled favourite that the series measured
    by ``settings.switch_margin``; else that favourite. A few backtest windows are noisy: the
    pooled ranking keeps a series from following a lucky model."""
    options = [c for c in pooled if all(m in bt.runs for m in c.members)]
    options += [
        _Choice((n,), n)
        for n in bt.runs
        if not (bt.intermittent and _BY_NAME[n].naive) and not any(c.name == n for c in options)
    ]
    scores = {name: bt.score((name,)) for name in bt.runs}
    scores.update({c.name: bt.score(c.members) for c in options})
    default = options[0]
    kind = settings.series_loss
    own = min(options, key=lambda c: scores[c.name].loss(bt.scale, kind))
    threshold = (1 - settings.switch_margin) * scores[default.name].loss(bt.scale, kind)
    return (own if scores[own.name].loss(bt.scale, kind) < threshold else default), scores


# -- the forecast -----------------------------------------------------------------------------------


def _empirical_interval(
    mean: Array, errors: list[Array], level: int, history: Array
) -> tuple[Array, Array]:
    """The interval from the backtest's errors (actual minus forecast) around the forecast; on
    too few errors, from the spread of the known history around its mean."""
    pooled = np.concatenate(errors) if errors else np.empty(0)
    if pooled.size < 8:
        known = history[~np.isnan(history)]
        pooled = known - known.mean() if known.size else np.zeros(1)
    tail = (100 - level) / 200
    lo_q, hi_q = np.quantile(pooled, [tail, 1 - tail])
    return mean + lo_q, mean + hi_q


def count_interval(mean: Array, mse: float, level: int) -> tuple[Array, Array]:
    """The interval of counts around ``mean``: a negative binomial with the backtest's mean
    squared error as its variance (a Poisson when the errors spread less than that)."""
    from scipy.stats import nbinom, poisson

    tail = (100 - level) / 200
    mu = np.maximum(mean, 1e-9)
    if mse <= float(mu.mean()):
        lo, hi = poisson.ppf(tail, mu), poisson.ppf(1 - tail, mu)
    else:
        variance = np.maximum(mse, mu * (1 + 1e-6))
        r = mu * mu / (variance - mu)
        p = r / (r + mu)
        lo, hi = nbinom.ppf(tail, r, p), nbinom.ppf(1 - tail, r, p)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def is_counts(y: Array) -> bool:
    known = y[~np.isnan(y)]
    return bool(known.size) and bool((known >= 0).all()) and bool((known == np.round(known)).all())


def _short_history(key: str, y: Array, settings: Settings) -> Forecast:
    """Too short a history for a backtest: the mean of the last season's known periods, and the
    spread of the known periods as the interval."""
    known = y[~np.isnan(y)]
    if not known.size:
        zeros = np.zeros(settings.horizon)
        return Forecast(key, SHORT_HISTORY, zeros, zeros.copy(), zeros.copy(), None)
    recent = known[-settings.season_length :]
    mean = np.full(settings.horizon, float(recent.mean()))
    if is_counts(known):
        lo, hi = count_interval(mean, float(known.var()), settings.level)
    else:
        tail = (100 - settings.level) / 200
        lo_q, hi_q = np.quantile(known, [tail, 1 - tail])
        lo = np.full(settings.horizon, lo_q)
        hi = np.full(settings.horizon, hi_q)
    return _finish(key, SHORT_HISTORY, mean, lo, hi, None, {}, {}, y, intermittent=False)


def _finish(
    key: str,
    model: str,
    mean: Array,
    lo: Array,
    hi: Array,
    accuracy: Accuracy | None,
    candidates: dict[str, Accuracy],
    means: dict[str, Array],
    y: Array,
    *,
    intermittent: bool,
    members: tuple[str, ...] = (),
) -> Forecast:
    lo = np.minimum(lo, mean)
    hi = np.maximum(hi, mean)
    # Demand is never negative, and neither is its forecast or its interval (a history with
    # negative periods, returns netted against sales, does not change that).
    mean, lo, hi = (np.maximum(a, 0.0) for a in (mean, lo, hi))
    means = {k: np.maximum(v, 0.0) for k, v in means.items()}
    return Forecast(
        key, model, mean, lo, hi, accuracy, candidates, means, intermittent, members or (model,)
    )


_BY_NAME = {c.name: c for c in CANDIDATES}
_NOTHING = np.empty(0)


def _final(
    bt: _Backtest, choice: _Choice, scores: dict[str, _Score], settings: Settings
) -> Forecast:
    y = bt.y
    filled = fill_unknown(y, _fill_window(settings))
    wanted = [_BY_NAME[n] for n in bt.runs] if settings.keep_candidates else []
    wanted += [_BY_NAME[n] for n in choice.members if _BY_NAME[n] not in wanted]
    single = len(choice.members) == 1
    runs: dict[str, _Run] = {}
    for c in wanted:
        run = _run(
            c, filled, settings.horizon, settings, with_interval=single and c.name == choice.name
        )
        if run is not None:
            runs[c.name] = run
    members = [n for n in choice.members if n in runs]
    if not members:  # fitted at every origin but not on the whole history
        return _short_history(bt.key, y, settings)
    mean = np.mean([runs[n].mean for n in members], axis=0)
    score = scores[choice.name]
    own = runs[members[0]]
    if is_counts(y) and score.periods:
        lo, hi = count_interval(mean, score.sq_error / score.periods, settings.level)
    elif single and own.lo is not None and own.hi is not None:
        lo, hi = own.lo, own.hi
    else:
        lo, hi = _empirical_interval(mean, score.errors, settings.level, y)
    accuracy = {name: s.accuracy(bt.scale) for name, s in scores.items()}
    means = {name: r.mean for name, r in runs.items()} if settings.keep_candidates else {}
    if settings.keep_candidates and not single:
        means[choice.name] = mean
    return _finish(
        bt.key,
        choice.name,
        mean,
        lo,
        hi,
        accuracy[choice.name],
        accuracy,
        means,
        y,
        intermittent=bt.intermittent,
        members=tuple(members),
    )


# -- many series -----------------------------------------------------------------------------------

Items = Sequence[tuple[str, Sequence[float] | Array]]


def warm_up(settings: Settings) -> None:
    """Compile (or load from the cache) every candidate's numba functions in this process."""
    rng = np.random.default_rng(0)
    n = 3 * max(settings.season_length, 8)
    forecast_many(
        [
            ("smooth", rng.poisson(3.0, n).astype(np.float64)),
            ("sparse", rng.poisson(0.2, n).astype(np.float64)),
        ],
        settings,
        warm=False,
    )


def _backtest_chunk(items: Items, settings: Settings) -> list[_Backtest]:
    return [_backtest(key, values, settings) for key, values in items]


def _final_chunk(
    items: Sequence[tuple[_Backtest, _Choice | None, dict[str, _Score]]], settings: Settings
) -> list[Forecast]:
    return [
        _final(bt, choice, scores, settings)
        if choice is not None
        else _short_history(bt.key, bt.y, settings)
        for bt, choice, scores in items
    ]


def _parallel(
    function: Callable[..., list[Any]], items: Sequence[Any], settings: Settings, jobs: int
) -> list[Any]:
    if jobs <= 1 or len(items) < 2 * jobs:
        return function(items, settings)
    size = max(1, min(250, math.ceil(len(items) / (jobs * 4))))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as executor:
        parts = executor.map(function, chunks, [settings] * len(chunks))
        return [x for part in parts for x in part]


def forecast_many(
    series: Items, settings: Settings, *, jobs: int = 1, warm: bool = True
) -> list[Forecast]:
    """Forecast every ``(key, values)`` series, in order, on ``jobs`` processes.

    Two passes: the backtest of every series, then the forecast of each series' choice. Choices
    are ranked over all the series of a kind first (``_pooled``), so the batch matters: forecast
    a team's SKUs together. The processes are forked after this one has compiled the models, so
    they start with them compiled."""
    if warm:
        warm_up(settings)
    backtests: list[_Backtest] = _parallel(_backtest_chunk, series, settings, jobs)
    pooled = _pooled(backtests, settings)
    decided: list[tuple[_Backtest, _Choice | None, dict[str, _Score]]] = []
    for bt in backtests:
        if not bt.runs:
            decided.append((bt, None, {}))
            continue
        choice, scores = _choose(bt, pooled.get(_kind(bt), []), settings)
        # The final pass needs the candidates' names, not their backtest forecasts: a lighter
        # load to send to the processes.
        bt.runs = dict.fromkeys(bt.runs, _NOTHING)
        bt._scores.clear()
        decided.append((bt, choice, scores))
    return _parallel(_final_chunk, decided, settings, jobs)


def forecast_one(key: str, values: Sequence[float] | Array, settings: Settings) -> Forecast:
    """One series alone: its choice is its own backtest's, with no other series to pool."""
    (forecast,) = forecast_many([(key, values)], settings, warm=False)
    return forecast
