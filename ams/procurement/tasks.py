"""The cost import's job: a large cost file, read by a worker instead of the web process."""

from __future__ import annotations

from django.db import close_old_connections

from ams.core.jobs import app
from ams.core.tenancy import NoTeamScope
from ams.procurement import services


@app.task(name="ams.procurement.cost_import", queue="imports", pass_context=False)
def cost_import(*, team_id: int, import_id: int) -> None:
    """Not a ``team_task``: the import's "running" and its progress must commit while it works,
    so the service enters the team's scope per step."""
    if not team_id:
        raise NoTeamScope("cost_import was deferred without a team_id")
    close_old_connections()
    try:
        services.cost_import_run(team_id=int(team_id), import_id=int(import_id))
    finally:
        close_old_connections()
