"""``flush`` empties every table, which row-level security rightly forbids the app role: run it as the owner."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush

from ams.core.db_roles import connected_as


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        with connected_as("owner", options["database"]):
            super().handle(**options)
