"""``manage.py bench ingest|backfill``: print the sync's numbers as one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ams.sync import bench


class Command(BaseCommand):
    help = "Benchmark the sync: 'ingest' (parser and upsert beside a plain COPY) or 'backfill' (beside the usage-plan bound)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("which", choices=["ingest", "backfill"])
        parser.add_argument("--rows", type=int, default=1_000_000, help="ingest: order-item rows")
        parser.add_argument("--skus", type=int, default=5000, help="backfill: SKUs of the simulated seller")
        parser.add_argument("--days", type=int, default=95, help="backfill: days of history (≈100,000 orders at 5,000 SKUs)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["which"] == "ingest":
            result = bench.bench_ingest(rows=options["rows"])
        else:
            result = bench.bench_backfill(skus=options["skus"], days=options["days"])
        self.stdout.write(json.dumps(result))
