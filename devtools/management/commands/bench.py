"""``manage.py bench ingest|backfill|first-value|pages|bank|settlements|exports|audit|forecast|cogs``: one
benchmark, printed as one JSON object.

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
        "usage-plan bound), 'first-value' (seconds of Amazon's time from a seller's consent to a "
        "complete last-30-days overview and to the full history), 'pages' (server time per data page over a large seller), 'bank' "
        "(a bank statement at the row bound read, imported twice, and matched), "
        "'settlements' (a settlement file uploaded: stored, read, checked, merged; peak memory), "
        "'exports' (rows per second and peak memory of the orders export as CSV and XLSX) or "
        "'audit' (appends to and verification of one team's audit chain), 'forecast' (the "
        "demand forecast's WAPE and MASE on simulated sellers' known demand beside the seasonal "
        "naive and each candidate, and its time per 1,000 series) or 'cogs' (FIFO cost of "
        "goods over 1,000,000 order lines, 10,000 SKUs and 2,000 receipts: from scratch and after "
        "one new receipt)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "which",
            choices=[
                "ingest",
                "backfill",
                "first-value",
                "pages",
                "bank",
                "settlements",
                "exports",
                "audit",
                "forecast",
                "cogs",
            ],
        )
        parser.add_argument(
            "--entries", type=int, default=2000, help="audit: entries appended one at a time"
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="audit: threads appending to the same chain"
        )
        parser.add_argument(
            "--lines",
            type=int,
            default=None,
            help="settlements: amount lines of the generated settlement file, also run at a fifth "
            "(500,000); exports: order lines of the seeded team (50,000)",
        )
        parser.add_argument(
            "--single",
            action="store_true",
            help="settlements: only this size, in this process (what the two-size run starts)",
        )
        parser.add_argument(
            "--rows",
            type=int,
            default=None,
            help="ingest: order-item rows (1,000,000); bank: statement rows (200,000); cogs: order lines (1,000,000)",
        )
        parser.add_argument(
            "--skus",
            type=int,
            default=None,
            help="backfill: 5,000; first-value: 300; pages: 10,000; forecast: per seller, 1,000 (about 2,000 SKU-marketplace series); cogs: 10,000",
        )
        parser.add_argument(
            "--marketplaces",
            default="US,CA,MX",
            help="first-value: the seller's marketplaces (the simulator's --marketplaces)",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=4,
            help="first-value: jobs the worker runs at once (manage.py worker's default, 4)",
        )
        parser.add_argument(
            "--clock-speed",
            type=float,
            default=None,
            help="first-value: the simulator's clock against real time (5); durations are printed in Amazon's time",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=730,
            help="backfill, forecast: days of the seller's history (the backfill reads two years)",
        )
        parser.add_argument(
            "--demand-scale",
            type=float,
            default=None,
            help="backfill: the simulator's demand scale (default: about 100,000 orders over the history at 5,000 SKUs)",
        )
        # Generated orders carry one line, every third one two: 750,000 orders are 1,000,000 order items.
        parser.add_argument(
            "--orders", type=int, default=750_000, help="pages: orders of the generated seller"
        )
        parser.add_argument("--runs", type=int, default=20, help="pages: requests per page")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="pages: keep the seeded team and print its slug and login, to time it again with --team",
        )
        parser.add_argument(
            "--team", default="", help="pages: time the team kept by --keep instead of seeding one"
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            help=(
                "pages: time only this page, by its name in the output ('overview, last 7 days'), or every page "
                "whose name contains it when no page has that name ('orders'); repeatable; 'orders export' is the export"
            ),
        )
        parser.add_argument(
            "--sellers", type=int, default=5, help="forecast: simulated sellers (5)"
        )
        parser.add_argument(
            "--horizon", type=int, default=28, help="forecast: days forecast and measured (28)"
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=2,
            help="forecast: processes for the timing over every seller's series (2)",
        )
        parser.add_argument(
            "--drop", default="", help="pages: delete the kept team with this slug, and its rows"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        which = options["which"]
        if which == "ingest":
            from devtools.bench.sync import bench_ingest

            result = bench_ingest(rows=options["rows"] or 1_000_000)
        elif which == "bank":
            from devtools.bench.bank import bench_bank

            result = bench_bank(rows=options["rows"] or 200_000)
        elif which == "settlements":
            from devtools.bench.settlements import bench_settlement_upload, bench_settlements

            lines = options["lines"] or 500_000
            if options["single"]:
                result = bench_settlement_upload(lines)
            else:
                result = bench_settlements(lines)
        elif which == "exports":
            from devtools.bench.exports import bench_exports

            result = bench_exports(lines=options["lines"] or 50_000)
        elif which == "forecast":
            from devtools.bench.forecast import bench_forecast

            result = bench_forecast(
                sellers=options["sellers"],
                skus=options["skus"] or 1000,
                days=options["days"],
                horizon=options["horizon"],
                jobs=options["jobs"],
            )
        elif which == "cogs":
            from devtools.bench.cogs import bench_cogs

            result = bench_cogs(lines=options["rows"] or 1_000_000, skus=options["skus"] or 10_000)
        elif which == "audit":
            from devtools.bench.audit import bench_audit

            result = bench_audit(entries=options["entries"], threads=options["threads"])
        elif which == "first-value":
            from devtools.bench.first_value import CLOCK_SPEED, bench_first_value

            result = bench_first_value(
                skus=options["skus"] or 300,
                days=options["days"],
                marketplaces_option=options["marketplaces"],
                clock_speed=options["clock_speed"] or CLOCK_SPEED,
                concurrency=options["concurrency"],
            )
        elif which == "backfill":
            from devtools.bench.sync import bench_backfill

            result = bench_backfill(
                skus=options["skus"] or 5000,
                days=options["days"],
                demand_scale=options["demand_scale"],
            )
        else:
            from ams.teams.models import Team
            from devtools.bench.pages import bench_pages, remove_bench_team

            if options["drop"]:
                remove_bench_team(Team.objects.get(slug=options["drop"]))
                result = {"dropped": options["drop"]}
            else:
                only = [name.strip() for name in options["only"] if name.strip()]
                result = bench_pages(
                    orders=options["orders"],
                    skus=options["skus"] or 10_000,
                    runs=options["runs"],
                    keep=options["keep"],
                    team=options["team"],
                    only=only,
                )
        self.stdout.write(json.dumps(result))
