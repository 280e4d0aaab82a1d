"""The profit read model built again for one team, by a worker: after the home currency changed,
every figure kept in it is converted again (ams.profit.rollups.team_rebuild)."""

from __future__ import annotations

from ams.core.jobs import team_task
from ams.profit.rollups import team_rebuild


@team_task(queue="maintenance")
def profit_rebuild(*, team_id: int) -> None:
    team_rebuild()
