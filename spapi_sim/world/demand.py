"""How demand moves: trend, weekday, season, shopping events, and Poisson noise around them."""

from __future__ import annotations

import datetime as dt
import math
import random

from spapi_sim.world.catalog import Category

# Monday first: shoppers buy a little more on Sundays and Mondays, less on Fridays.
WEEKDAY_FACTOR = (1.06, 1.0, 0.98, 0.97, 0.92, 0.95, 1.12)


def event_factor(day: dt.date) -> float:
    """Prime Day (mid-July), Black Friday to Cyber Monday, and the December run-up."""
    if day.month == 7 and 15 <= day.day <= 16:
        return 2.2
    if day.month == 11:
        # Black Friday is the day after the fourth Thursday.
        first = dt.date(day.year, 11, 1)
        thanksgiving = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
        if thanksgiving + dt.timedelta(days=1) <= day <= thanksgiving + dt.timedelta(days=4):
            return 1.9
    if day.month == 12 and day.day <= 20:
        return 1.25
    return 1.0


def seasonal_factor(category: Category, day: dt.date) -> float:
    doy = day.timetuple().tm_yday
    angle = 2 * math.pi * (doy - category.season_peak_doy) / 365.25
    return max(0.1, 1 + category.season_amplitude * math.cos(angle))


def trend_factor(growth_per_year: float, day_index: int) -> float:
    return float((1 + growth_per_year) ** (day_index / 365.25))


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw: Knuth's product method for small means, a normal approximation above."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
