"""How fast, and in how much memory, the orders export is written: CSV and XLSX through the
product's own path (the builder the page and the job share, then ``export_write``), beside the
openpyxl write-only workbook the XLSX export used before, over a seeded team's order lines.

Peak memory is the process's resident set, sampled every few milliseconds while each file is
written, less what it was just before: what one export adds to a worker.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import IO, Any

import psutil

from ams.core.exports import Cell, ExportSource, export_write
from ams.core.tenancy import team_scope
from ams.dashboard.exports import orders_export
from devtools.bench.pages import _seed, remove_bench_team


def _openpyxl_write(
    target: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> None:
    """The XLSX path before XlsxWriter, kept here only to be measured beside it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="orders")

    def cell(value: Cell) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"
        return written

    sheet.append([cell(h) for h in header])
    for row in rows:
        sheet.append([cell(c) for c in row])
    workbook.save(target)


class _PeakRss:
    def __init__(self) -> None:
        self._process = psutil.Process()
        self.start = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def _measure(write: Callable[[IO[bytes]], int]) -> dict[str, Any]:
    with tempfile.TemporaryFile() as target, _PeakRss() as rss:
        t0 = time.perf_counter()
        rows = write(target)
        seconds = time.perf_counter() - t0
        size = target.tell()
    mb = 1024 * 1024
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "bytes": size,
        "peak_rss_mb": round(rss.peak / mb, 1),
        "rss_added_mb": round((rss.peak - rss.start) / mb, 1),
    }


def bench_exports(*, lines: int = 50_000, skus: int = 2000) -> dict[str, Any]:
    """Seed a team with about ``lines`` order lines, write its orders export three ways, remove it."""
    # The seeded orders carry one line, every third one two: 3 orders are 4 lines.
    team, seeded = _seed(orders=lines * 3 // 4, skus=skus)
    try:
        with team_scope(team.id):
            source: ExportSource = orders_export(team, {})

            def product(fmt: str) -> Callable[[IO[bytes]], int]:
                def write(target: IO[bytes]) -> int:
                    count = 0

                    def step() -> None:
                        nonlocal count
                        count += 1

                    export_write(fmt, target, source, on_row=step)
                    return count

                return write

            def before(target: IO[bytes]) -> int:
                count = 0

                def counted() -> Iterable[Sequence[Cell]]:
                    nonlocal count
                    for row in source.rows():
                        count += 1
                        yield row

                _openpyxl_write(target, source.header, counted())
                return count

            result = {
                "order_lines": seeded["order_lines"],
                "csv": _measure(product("csv")),
                "xlsx": _measure(product("xlsx")),
                "xlsx_openpyxl_before": _measure(before),
            }
    finally:
        remove_bench_team(team)
    return result
