"""python -m ams.planning.forecast: CSV in, forecasts out, no database and no Django settings."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    return subprocess.run(
        [sys.executable, "-m", "ams.planning.forecast", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip(tmp_path):
    rows = ["series,period_index,value"]
    # A monthly seasonal series with one unknown month and one absent period index.
    for t in range(1, 49):
        if t == 30:
            continue
        value = "" if t == 20 else str(40 + (15 if t % 12 in (11, 0) else 0) + t % 3)
        rows.append(f"part-A,{t},{value}")
    # Spare-part demand: mostly zeros.
    rows += [f"part B,{t},{1 if t % 7 == 0 else 0}" for t in range(1, 49)]
    # Two periods only.
    rows += ["tiny,1,3", "tiny,2,5"]
    src = write(tmp_path / "in.csv", "\n".join(rows) + "\n")
    out = tmp_path / "out.csv"

    result = run("--csv", str(src), "--season-length", "12", "--horizon", "6", "--out", str(out))

    assert result.returncode == 0, result.stderr
    with out.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["series", "step", "forecast", "lo", "hi"]
        got = list(reader)
    assert [(r["series"], int(r["step"])) for r in got] == [
        (s, step) for s in ("part-A", "part B", "tiny") for step in range(1, 7)
    ]
    for r in got:
        lo, f, hi = float(r["lo"]), float(r["forecast"]), float(r["hi"])
        assert 0 <= lo <= f <= hi
    part_a = [float(r["forecast"]) for r in got if r["series"] == "part-A"]
    # Periods 49 to 54 are months 1 to 6 of the season, all off the peak of months 11 and 12.
    assert min(part_a) > 35
    assert max(part_a) < 50


def test_na_is_unknown_and_a_whole_float_is_a_period(tmp_path):
    from ams.planning.forecast.cli import read_series

    src = write(
        tmp_path / "in.csv",
        "series,period_index,value\na,1.0,3\na,2,NA\na,4,5\nb,7,nan\nb,8,2.5\n",
    )

    (a_key, a), (b_key, b) = read_series(src)

    assert a_key == "a"
    assert b_key == "b"
    assert a[0] == 3.0
    assert np.isnan(a[1])
    assert np.isnan(a[2])  # period 3 absent
    assert a[3] == 5.0
    assert np.isnan(b[0])
    assert b[1] == 2.5


def test_it_names_the_model_when_asked(tmp_path):
    src = write(
        tmp_path / "in.csv",
        "series,period_index,value\n" + "".join(f"x,{t},{t % 4}\n" for t in range(30)),
    )
    out = tmp_path / "out.csv"
    result = run(
        "--csv",
        str(src),
        "--season-length",
        "4",
        "--horizon",
        "2",
        "--out",
        str(out),
        "--with-model",
        "--jobs",
        "1",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(newline="")))
    assert len(rows) == 2
    assert rows[0]["model"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("series,value\na,1\n", "lacks the column period_index"),
        ("series,period_index,value\na,1,3\na,2,lots\n", "line 3: value 'lots' is not a number"),
        (
            "series,period_index,value\na,1,3\na,x,3\n",
            "line 3: period_index 'x' is not a whole number",
        ),
        ("series,period_index,value\na,1,3\nb,1,2\na,1,4\n", "series 'a' has period 1 twice"),
        (
            "series,period_index,value\na,2.5,3\n",
            "line 2: period_index '2.5' is not a whole number",
        ),
        ("series,period_index,value\na,1,inf\n", "line 2: value 'inf' is not finite"),
        ("series,period_index,value\n", "no rows"),
        ("series,period_index,value\n,1,3\n", "line 2: the series is empty"),
    ],
)
def test_malformed_input_is_refused_with_the_reason(tmp_path, text, message):
    src = write(tmp_path / "in.csv", text)
    out = tmp_path / "out.csv"

    result = run("--csv", str(src), "--season-length", "12", "--horizon", "3", "--out", str(out))

    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()


def test_bad_arguments_are_refused(tmp_path):
    src = write(tmp_path / "in.csv", "series,period_index,value\na,1,3\n")
    result = run(
        "--csv",
        str(src),
        "--season-length",
        "0",
        "--horizon",
        "3",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert result.returncode == 2
    assert "season length" in result.stderr
    missing = run(
        "--csv",
        str(tmp_path / "nope.csv"),
        "--season-length",
        "1",
        "--horizon",
        "1",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert missing.returncode == 2
    assert "cannot be opened" in missing.stderr


def test_importing_the_engine_does_not_load_numba_or_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys, ams.planning.forecast, ams.planning.forecast.cli; "
        "print(sorted(m for m in ('numba', 'statsforecast', 'django') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
