"""``manage.py settlement_check FILE...``: what each settlement file would become, without storing it.

One JSON line per document (a zip gives one per file inside): its layout, settlement, total, the
sum of its lines, whether they reconcile to the cent, and the reason it would be refused. It
reads the files with the upload's own reader and touches no database. Exits 1 if any document
would be refused.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ams.sync.parsers.settlement_file import SettlementCheck, check_file


class Command(BaseCommand):
    help = "Check settlement report files (V1 or V2, plain, gzip or zip): one JSON line per file."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        refused = False
        for path in options["files"]:
            try:
                with open(path, "rb") as stream:
                    checks = check_file(path, stream)
            except OSError as exc:
                checks = [SettlementCheck(file=path, error=f"cannot be opened: {exc.strerror}")]
            for check in checks:
                refused = refused or bool(check.error)
                self.stdout.write(json.dumps(check.as_json(), ensure_ascii=False))
        if refused:
            raise SystemExit(1)
