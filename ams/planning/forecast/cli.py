"""``python -m ams.planning.forecast --csv IN --season-length N --horizon H --out OUT``

Reads series from a CSV file with the columns ``series,period_index,value`` (an empty value, or
NA, is an unknown period, as is a period index absent between a series' first and last), runs the
model selection the product runs, and writes ``series,step,forecast,lo,hi`` for steps 1 to H
after each series' last period. Needs no database and no Django settings.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ams.planning.forecast.engine import Forecast, Settings, forecast_many

REQUIRED = ("series", "period_index", "value")


# Besides an empty value, the spellings of "not known" that R and pandas write.
UNKNOWN = frozenset({"na", "nan", "null"})


def _whole_number(text: str) -> int | None:
    """``text`` as an integer: ``12``, or ``12.0`` as a spreadsheet writes it."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


class InputError(Exception):
    """The input file cannot be read as series; the message says where and why."""


def read_series(path: Path) -> list[tuple[str, np.ndarray]]:
    """The file's series, in the order they first appear, each from its first period index to
    its last, ``nan`` where the value is empty or the period is absent."""
    points: dict[str, dict[int, float]] = {}
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"{path}: cannot be opened ({error.strerror}).") from error
    with handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise InputError(
                f"{path}: the header lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (expected {','.join(REQUIRED)})."
            )
        reader.fieldnames = header
        try:
            for row in reader:
                line = reader.line_num
                key = (row.get("series") or "").strip()
                if not key:
                    raise InputError(f"{path}, line {line}: the series is empty.")
                index_text = (row.get("period_index") or "").strip()
                index = _whole_number(index_text)
                if index is None:
                    raise InputError(
                        f"{path}, line {line}: period_index {index_text!r} is not a whole number."
                    )
                value_text = (row.get("value") or "").strip()
                if value_text and value_text.lower() not in UNKNOWN:
                    try:
                        value = float(value_text)
                    except ValueError:
                        raise InputError(
                            f"{path}, line {line}: value {value_text!r} is not a number "
                            "(leave it empty for an unknown period)."
                        ) from None
                    if not math.isfinite(value):
                        raise InputError(
                            f"{path}, line {line}: value {value_text!r} is not finite."
                        )
                else:
                    value = math.nan
                series = points.setdefault(key, {})
                if index in series:
                    raise InputError(
                        f"{path}, line {line}: series {key!r} has period {index} twice."
                    )
                series[index] = value
        except csv.Error as error:
            raise InputError(f"{path}, line {reader.line_num}: {error}.") from error
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not UTF-8 text ({error.reason}).") from error
    if not points:
        raise InputError(f"{path}: no rows under the header.")
    result = []
    for key, by_index in points.items():
        first, last = min(by_index), max(by_index)
        values = np.full(last - first + 1, np.nan)
        for index, value in by_index.items():
            values[index - first] = value
        result.append((key, values))
    return result


def write_forecasts(path: Path, forecasts: Sequence[Forecast], *, with_model: bool) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["series", "step", "forecast", "lo", "hi", *(["model"] if with_model else [])]
        )
        for f in forecasts:
            for step in range(len(f.mean)):
                writer.writerow(
                    [
                        f.series,
                        step + 1,
                        f"{f.mean[step]:.6g}",
                        f"{f.lo[step]:.6g}",
                        f"{f.hi[step]:.6g}",
                        *([f.model] if with_model else []),
                    ]
                )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ams.planning.forecast",
        description="Forecast every series of a CSV file with the model a rolling-origin "
        "backtest chooses for it.",
    )
    parser.add_argument("--csv", required=True, type=Path, help="input: series,period_index,value")
    parser.add_argument("--season-length", required=True, type=int, help="periods in a season")
    parser.add_argument("--horizon", required=True, type=int, help="periods to forecast")
    parser.add_argument(
        "--out", required=True, type=Path, help="output: series,step,forecast,lo,hi"
    )
    parser.add_argument(
        "--level", type=int, default=90, help="the interval's coverage in percent (90)"
    )
    parser.add_argument(
        "--year-length",
        type=int,
        default=None,
        help="periods in a year when the season is shorter (364 for daily data): adds last "
        "year's shape as a candidate",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes (default: one per CPU)",
    )
    parser.add_argument(
        "--with-model", action="store_true", help="add a column naming each series' model"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings(
            season_length=args.season_length,
            horizon=args.horizon,
            level=args.level,
            year_length=args.year_length,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        series = read_series(args.csv)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    forecasts = forecast_many(series, settings, jobs=max(1, args.jobs))
    seconds = time.perf_counter() - started
    try:
        write_forecasts(args.out, forecasts, with_model=args.with_model)
    except OSError as error:
        print(f"error: {args.out}: cannot be written ({error.strerror}).", file=sys.stderr)
        return 1
    print(
        f"{len(forecasts)} series forecast in {seconds:.1f} s; written to {args.out}",
        file=sys.stderr,
    )
    return 0
