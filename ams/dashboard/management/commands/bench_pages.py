"""``manage.py bench_pages``: time every data page over a large seller, as one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ams.dashboard.bench import bench_pages


class Command(BaseCommand):
    help = "Benchmark the data pages over a generated seller (removed afterwards)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=200_000)
        parser.add_argument("--skus", type=int, default=5000)
        parser.add_argument("--runs", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(bench_pages(orders=options["orders"], skus=options["skus"], runs=options["runs"])))
