"""A bank statement's numbers: reading, importing and importing again a statement at the row
bound, and matching a team's deposits against its bookings.

Runs against the configured database in a team of its own, removed afterwards.
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.finance import bank_csv, bank_statements
from ams.finance.bank_csv import Mapping
from ams.finance.deposit_matching import Status
from ams.finance.deposit_selectors import deposit_matching
from ams.finance.models import BankLine, BankStatement, Settlement
from devtools.bench.sync import _bench_team, peak_rss_mb

START = date(2024, 1, 1)


def statement(rows: int) -> bytes:
    """A German bank's CSV: a payout from Amazon every 14th day, other bookings between."""
    lines = ['"Buchungstag";"Buchungstext";"Auftraggeber / Begünstigter";"Betrag (EUR)"']
    for n in range(rows):
        day = START + timedelta(days=n // 20)
        if n % 280 == 0:
            lines.append(
                f'"{day:%d.%m.%Y}";"Gutschrift";"AMAZON PAYMENTS EUROPE";"{n},{n % 100:02d}"'
            )
        else:
            lines.append(
                f'"{day:%d.%m.%Y}";"Lastschrift";"Shop {n % 997}";"-{n % 5000},{n % 100:02d}"'
            )
    return ("\n".join(lines) + "\n").encode("cp1252")


def _timed(step: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def _parse_peak_mb(data: bytes, mapping: Mapping) -> float:
    """Python's peak memory while reading the file and its bookings (traced apart: tracing
    slows the reader several times over, so the timings are taken without it)."""
    tracemalloc.start()
    found = bank_csv.inspect(data)
    for _booking in bank_csv.bookings(data, found, mapping):
        pass
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return peak


def bench_bank(rows: int) -> dict[str, Any]:
    data = statement(rows)
    team, conn = _bench_team("bank")
    mapping = Mapping(0, 3, (1, 2), "DD.MM.YYYY", ",")
    try:
        with team_scope(team.id):
            found, inspect_s = _timed(lambda: bank_csv.inspect(data))
            parse_mb = _parse_peak_mb(data, mapping)
            for n in range(0, rows, 280):  # the payouts, and one deposit in ten missing
                if n % 2800 == 1400:
                    continue
                Settlement.objects.create(
                    team=team,
                    connection=conn,
                    settlement_id=f"B{n}",
                    deposit_at=datetime.combine(
                        START + timedelta(days=n // 20), datetime.min.time(), tzinfo=UTC
                    ),
                    currency="EUR",
                    total_amount=Decimal(f"{n}.{n % 100:02d}"),
                    synced_at=timezone.now(),
                )

            def imported(name: str) -> BankStatement:
                with transaction.atomic():
                    upload = bank_statements.statement_upload(
                        team=team, actor=None, name=name, data=data
                    )
                    if upload.statement.status == BankStatement.Status.COLUMNS:
                        # As the columns page does: the file looked at once more, then imported.
                        found = bank_csv.inspect(data)
                        layout = bank_statements.layout_save(
                            team=team,
                            statement=upload.statement,
                            mapping=mapping,
                            currency="EUR",
                            found=found,
                        )
                        bank_statements.statement_import(
                            team=team, statement=upload.statement, layout=layout, found=found
                        )
                    upload.statement.refresh_from_db()
                    return upload.statement

            first, first_s = _timed(lambda: imported("first.csv"))
            again, again_s = _timed(lambda: imported("again.csv"))
            matching, match_s = _timed(lambda: deposit_matching(team))
            stored = BankLine.objects.filter(team=team).count()
        return {
            "bench": "bank",
            "rows": rows,
            "bytes": len(data),
            "inspect_s": round(inspect_s, 2),
            "parse_peak_mb": round(parse_mb, 1),
            "import_s": round(first_s, 2),
            "import_rows_per_s": round(rows / first_s),
            "import_again_s": round(again_s, 2),
            "lines_added": [first.lines_added, again.lines_added],
            "lines_stored": stored,
            "header_line": found.header_line,
            "deposits": len(matching.deposits),
            "matched": matching.count(Status.MATCHED),
            "missing": matching.count(Status.MISSING),
            "match_s": round(match_s, 3),
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        with team_scope(team.id), connection.cursor() as cursor:
            for table in ("finance_bankline", "finance_bankstatement", "finance_banklayout"):
                cursor.execute(f"DELETE FROM {table} WHERE team_id = %s", [team.id])  # noqa: S608
            cursor.execute("DELETE FROM finance_settlement WHERE team_id = %s", [team.id])
            cursor.execute("DELETE FROM amazon_connectionmarketplace WHERE team_id = %s", [team.id])
        with team_scope(team.id):
            team.delete()
