"""Jobs of ams.amazon: the purge of disconnected connections.

The purge is not a ``team_task``: that would run it in one transaction, and the purge commits
batch by batch so it can resume. It enters the team's scope itself, per batch.
"""

from __future__ import annotations

import structlog
from django.utils import timezone
from procrastinate import RetryStrategy

from ams.amazon.models import SellerConnection
from ams.amazon.purge import connection_purge
from ams.core.jobs import app
from ams.core.tenancy import team_scope
from ams.teams.models import Team

log = structlog.get_logger(__name__)


@app.task(queue="maintenance", retry=RetryStrategy(max_attempts=5, wait=60))
def purge_connection(*, team_id: int, connection_id: int) -> None:
    with team_scope(int(team_id)):
        connection = SellerConnection.objects.filter(team_id=team_id, id=connection_id).first()
    if connection is None or connection.purged_at is not None:
        return
    if connection.purge_due_at is None or connection.purge_due_at > timezone.now():
        return  # re-connected meanwhile, or not due yet; the hourly sweep picks it up when it is
    connection_purge(connection=connection)


@app.periodic(cron="41 * * * *")
@app.task(queue="maintenance", queueing_lock="purge_due_connections", pass_context=False)
def purge_due_connections(timestamp: int) -> None:
    """The backstop: purge every connection past its due date, whatever happened to its own job."""
    now = timezone.now()
    due: list[SellerConnection] = []
    for team_id in Team.objects.order_by("id").values_list("id", flat=True):
        with team_scope(team_id):
            due += list(
                SellerConnection.objects.filter(
                    team_id=team_id,
                    disconnected_at__isnull=False,
                    purged_at__isnull=True,
                    purge_due_at__lte=now,
                )
            )
    for connection in due:
        connection_purge(connection=connection)
    if due:
        log.info("amazon.purge_sweep", purged=len(due))
