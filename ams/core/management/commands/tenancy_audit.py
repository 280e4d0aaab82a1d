from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ams.core.audit import tenancy_audit


class Command(BaseCommand):
    help = "Print a JSON report of tenant tables and their row-level security; fail if any is unprotected."

    def handle(self, *args: Any, **options: Any) -> None:
        report = tenancy_audit()
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
        if not report.ok:
            raise CommandError(
                "tenancy audit failed: " + ", ".join(report.unprotected or ["unsafe app role"])
            )
