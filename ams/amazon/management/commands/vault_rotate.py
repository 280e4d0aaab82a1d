"""``manage.py vault_rotate``: re-seal every vault row under VAULT_ACTIVE_KEY_ID.

Runs as the worker role (the web role cannot read the vault). Prints JSON with the rows re-sealed
and the rows left on each key id; an old key may be retired once its count is zero.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from ams.amazon import vault
from ams.core.db_roles import connected_as
from ams.teams.models import Team


class Command(BaseCommand):
    help = "Re-seal every vault secret under the active key-encryption key and report rows per key."

    def handle(self, *args: Any, **options: Any) -> None:
        with connected_as("worker"):
            team_ids = list(Team.objects.order_by("id").values_list("id", flat=True))
            rotated = vault.rotate(team_ids=team_ids)
            per_key = vault.rows_per_key(team_ids=team_ids)
        active = settings.VAULT_ACTIVE_KEY_ID
        report = {
            "active_key_id": active,
            "rotated": rotated,
            "rows_per_key": per_key,
            "rows_on_old_keys": {k: n for k, n in per_key.items() if k != active},
        }
        self.stdout.write(json.dumps(report, sort_keys=True))
