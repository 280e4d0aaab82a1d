"""The demand forecast: a pure engine (numpy and statsforecast; no Django, no database).

``forecast_many`` takes plain series (floats, ``nan`` for an unknown period such as a stock-out
day) and returns, per series, the model a rolling-origin backtest chose, its forecast with a
prediction interval, and the accuracy each candidate measured on the series' own history.
``python -m ams.planning.forecast`` runs the same selection over a CSV file (docs/architecture.md,
"Planning: forecast").
"""

from ams.planning.forecast.engine import (
    CANDIDATES,
    Accuracy,
    Forecast,
    Settings,
    forecast_many,
)

__all__ = ["CANDIDATES", "Accuracy", "Forecast", "Settings", "forecast_many"]
