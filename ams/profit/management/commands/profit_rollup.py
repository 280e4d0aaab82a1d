"""Fill the profit read model from the SKU days and charges already held: once after the
migration that created it, and whenever it must be built again (a team's home currency changed)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ams.core.tenancy import team_scope
from ams.profit.rollups import team_rebuild
from ams.teams.models import Team


class Command(BaseCommand):
    help = "Build the profit read model of every team (or of --team SLUG) from the data held."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", default="", help="the slug of one team")

    def handle(self, *args: Any, **options: Any) -> None:
        teams = Team.objects.order_by("id")
        if options["team"]:
            teams = teams.filter(slug=options["team"])
        for team in teams:
            started = time.perf_counter()
            # One transaction per team (the scope's): its pages read the old rows until the new are whole.
            with team_scope(team.id):
                team_rebuild()
            self.stdout.write(f"{team.slug}: {time.perf_counter() - started:.1f} s")
