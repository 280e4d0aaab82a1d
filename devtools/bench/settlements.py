"""The settlement upload's numbers: a generated V2 settlement file stored, then read, checked and
merged by the upload job's own code, timed; and the peak memory of doing it at two sizes.

Each size runs in a child process of its own, so each peak RSS is that size's alone (a process's
peak only grows): the same peak at both sizes is what "memory stays flat" means.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql

from ams.core.files import CHUNK_BYTES, file_store
from ams.core.tenancy import team_scope
from ams.sync import uploads
from ams.sync.models import SettlementUpload, UploadStatus
from devtools.bench.sync import _bench_team, peak_rss_mb

HEADER = (
    "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\t"
    "transaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\t"
    "amount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\t"
    "order-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\t"
    "promotion-id"
)
START = datetime(2024, 3, 1, tzinfo=UTC)
# An order's lines as a V2 report lists them: (amount-type, amount-description, amount in cents).
ORDER_LINES = (
    ("ItemPrice", "Principal", 2999),
    ("ItemPrice", "Tax", 240),
    ("ItemFees", "Commission", -450),
    ("ItemFees", "FBAPerUnitFulfillmentFee", -322),
)


def write_settlement(lines: int, out: IO[bytes]) -> Decimal:
    """A V2 settlement report of ``lines`` amount lines (one settlement); returns its total."""
    total_cents = sum(ORDER_LINES[i % len(ORDER_LINES)][2] for i in range(lines))
    total = Decimal(total_cents) / 100
    end = START + timedelta(days=14)
    out.write(
        (
            f"{HEADER}\n90000000001\t{START:%Y-%m-%d %H:%M:%S} UTC\t{end:%Y-%m-%d %H:%M:%S} UTC\t"
            f"{end + timedelta(days=2):%Y-%m-%d %H:%M:%S} UTC\t{total}\tUSD" + "\t" * 18 + "\n"
        ).encode()
    )
    block: list[str] = []
    for i in range(lines):
        order = i // len(ORDER_LINES)
        kind, description, cents = ORDER_LINES[i % len(ORDER_LINES)]
        posted = START + timedelta(seconds=order * 2)
        block.append(
            f"90000000001\t\t\t\t\tUSD\tOrder\t111-{order // 10_000_000:07d}-{order % 10_000_000:07d}\t\t\t"
            f"S{order:09d}\tAmazon.com\t{kind}\t{description}\t{Decimal(cents) / 100}\tAFN\t"
            f"{posted:%Y-%m-%d} 00:00:00 UTC\t{posted:%Y-%m-%d %H:%M:%S} UTC\t{order:012d}\t\t\t"
            f"SKU-{order % 5000:05d}\t1\t\n"
        )
        if len(block) == 5000:
            out.write("".join(block).encode())
            block = []
    out.write("".join(block).encode())
    return total


def _drop(team_id: int) -> None:
    """Delete set-based first: the ORM's cascade would load every row into memory."""
    with team_scope(team_id), connection.cursor() as cursor:
        for table in (
            "finance_settlementline",
            "finance_settlement",
            "sync_settlementupload",
            "core_storedfilechunk",
            "core_storedfile",
            "amazon_connectionmarketplace",
        ):
            cursor.execute(
                sql.SQL("DELETE FROM {} WHERE team_id = %s").format(sql.Identifier(table)),
                [team_id],
            )


def bench_settlement_upload(lines: int) -> dict[str, Any]:
    """One size, in this process: generate, store, read and merge; timed."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("run outside a transaction")
    team, conn = _bench_team("settlements")
    try:
        with tempfile.TemporaryFile() as report:
            total = write_settlement(lines, report)
            size = report.tell()
            report.seek(0)
            started = time.perf_counter()
            with team_scope(team.id):
                stored = file_store(
                    team_id=team.id,
                    kind=uploads.UPLOAD_KIND,
                    name="settlement.txt",
                    content_type="text/plain",
                    chunks=iter(lambda: report.read(CHUNK_BYTES), b""),
                    lifetime=uploads.KEEP_UPLOAD,
                )
                upload = SettlementUpload.objects.create(
                    team=team, connection=conn, file=stored, name=stored.name, size=stored.size
                )
        stored_at = time.perf_counter()
        uploads.settlement_upload_read(team_id=team.id, upload_id=upload.id)
        done = time.perf_counter()
        with team_scope(team.id):
            upload.refresh_from_db()
        (document,) = upload.documents
        if upload.status != UploadStatus.DONE or document["outcome"] != "stored":
            raise RuntimeError(f"the benchmark's file was not stored: {document}")
        if Decimal(document["total"]) != total or document["rows"] != lines:
            raise RuntimeError(f"the benchmark's file was misread: {document}")
    finally:
        _drop(team.id)
        with team_scope(team.id):
            team.delete()
    return {
        "lines": lines,
        "file_mb": round(size / 1024 / 1024, 1),
        "rows_per_s": round(lines / (done - started)),
        "store_s": round(stored_at - started, 2),
        "read_check_merge_s": round(done - stored_at, 2),
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_settlements(lines: int = 500_000) -> dict[str, Any]:
    """``lines`` and a fifth of it, each in a child process (its own peak RSS)."""
    manage = Path(settings.BASE_DIR) / "manage.py"
    runs = []
    for size in (max(1, lines // 5), lines):
        child = subprocess.run(  # noqa: S603  (our own interpreter and manage.py)
            [sys.executable, str(manage), "bench", "settlements", "--lines", str(size), "--single"],
            capture_output=True,
            check=True,
            env=os.environ.copy(),
        )
        runs.append(json.loads(child.stdout.decode().strip().splitlines()[-1]))
    main = runs[-1]
    return {
        **main,
        "peak_rss_mb_by_lines": {str(run["lines"]): run["peak_rss_mb"] for run in runs},
        "path": "file_store (1 MB chunks) + the upload job: stream, check, stage by COPY, one merge",
    }
