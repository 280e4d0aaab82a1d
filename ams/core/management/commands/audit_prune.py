from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ams.core.audit_log import RETENTION_DAYS, audit_prune


class Command(BaseCommand):
    help = f"Delete audit entries older than {RETENTION_DAYS} days, as the owner role (the app role cannot)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = audit_prune()
        self.stdout.write(f"{deleted} audit entries older than {RETENTION_DAYS} days deleted")
