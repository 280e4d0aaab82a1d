from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ams.legal.services import policy_announce


class Command(BaseCommand):
    help = (
        "Email every user about the latest material version of each policy document they have "
        "not been told of. Safe to run again: nobody is emailed twice about one version."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = policy_announce()
        self.stdout.write(f"emailed {result.emailed}, already told {result.already_told}")
