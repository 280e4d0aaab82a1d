"""``migrate`` always runs as the owner role, then grants the app role what it needs and no more."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from ams.core.db_roles import connected_as
from ams.core.grants import grant_runtime_privileges


class Command(DjangoMigrate):
    help = "Apply migrations as the owner role and grant the app and worker roles their privileges."

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        with connected_as("owner", alias):
            super().handle(*args, **options)
            call_command("createcachetable", database=alias, verbosity=0)
            grant_runtime_privileges(connections[alias])
