from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ams.core.audit_log import audit_verify


class Command(BaseCommand):
    help = "Recompute every audit chain; print a JSON report and fail if any entry was changed or removed."

    def handle(self, *args: Any, **options: Any) -> None:
        reports = audit_verify()
        broken = [r for r in reports if not r.ok]
        self.stdout.write(
            json.dumps(
                {
                    "ok": not broken,
                    "chains": len(reports),
                    "entries": sum(r.entries for r in reports),
                    "broken": [{"chain": r.chain, "problems": r.problems} for r in broken],
                },
                indent=2,
            )
        )
        if broken:
            raise CommandError("audit chain broken: " + ", ".join(r.chain for r in broken))
