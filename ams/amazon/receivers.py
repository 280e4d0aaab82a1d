"""Amazon's part in the deletion of a team, kept here so teams need not know Amazon exists."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ams.amazon import services
from ams.teams.deletion import team_deleting, team_purging


@receiver(team_deleting, dispatch_uid="amazon.stop_deleted_team")
def _stop(sender: Any, team_id: int, **kwargs: Any) -> None:
    # In the request's transaction: the tokens are gone the moment the deletion is confirmed.
    services.team_connections_stop(team_id=team_id)


@receiver(team_purging, dispatch_uid="amazon.purge_deleted_team")
def _purge(sender: Any, team_id: int, **kwargs: Any) -> dict[str, int]:
    # The connections' data first: the orders tables keep no foreign key to the connection (the
    # ingest checks it per batch instead), so only this order is safe.
    return services.team_connections_purge(team_id=team_id)
