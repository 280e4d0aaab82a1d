"""``manage.py bench ingest|backfill|pages``: one benchmark, printed as one JSON object.

Benchmarks print numbers; no test times anything. ``make bench`` runs all three beside the
simulator's own (``python -m spapi_sim bench``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Benchmark 'ingest' (parser and upsert beside a plain COPY), 'backfill' (beside the "
        "usage-plan bound) or 'pages' (server time per data page over a large seller)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("which", choices=["ingest", "backfill", "pages"])
        parser.add_argument("--rows", type=int, default=1_000_000, help="ingest: order-item rows")
        parser.add_argument("--skus", type=int, default=None, help="backfill: 5,000; pages: 10,000")
        parser.add_argument("--days", type=int, default=110, help="backfill: days of history (about 100,000 orders at 5,000 SKUs)")
        # Generated orders carry one line, every third one two: 750,000 orders are 1,000,000 order items.
        parser.add_argument("--orders", type=int, default=750_000, help="pages: orders of the generated seller")
        parser.add_argument("--runs", type=int, default=20, help="pages: requests per page")

    def handle(self, *args: Any, **options: Any) -> None:
        which = options["which"]
        if which == "ingest":
            from ams.sync.bench import bench_ingest

            result = bench_ingest(rows=options["rows"])
        elif which == "backfill":
            from ams.sync.bench import bench_backfill

            result = bench_backfill(skus=options["skus"] or 5000, days=options["days"])
        else:
            from ams.dashboard.bench import bench_pages

            result = bench_pages(orders=options["orders"], skus=options["skus"] or 10_000, runs=options["runs"])
        self.stdout.write(json.dumps(result))
