"""The teams' periodic jobs: work over every team, each in its own scope."""

from __future__ import annotations

import structlog
from procrastinate import RetryStrategy

from ams.core.events import usage_events_prune
from ams.core.export_jobs import export_jobs_prune
from ams.core.files import files_prune_expired
from ams.core.jobs import app
from ams.teams.models import Team

log = structlog.get_logger(__name__)


@app.periodic(cron="17 3 * * *")
@app.task(
    queue="maintenance", queueing_lock="prune_usage_events", retry=RetryStrategy(max_attempts=3)
)
def prune_usage_events(timestamp: int) -> None:
    deleted = usage_events_prune(team_ids=list(Team.objects.values_list("id", flat=True)))
    log.info("usage_events.pruned", deleted=deleted)


@app.periodic(cron="37 * * * *")
@app.task(
    queue="maintenance", queueing_lock="prune_stored_files", retry=RetryStrategy(max_attempts=3)
)
def prune_stored_files(timestamp: int) -> None:
    """Expired uploads and exports go within the hour: a download link means what it says."""
    team_ids = list(Team.objects.values_list("id", flat=True))
    deleted = files_prune_expired(team_ids=team_ids)
    forgotten = export_jobs_prune(team_ids=team_ids)
    log.info("stored_files.pruned", deleted=deleted, exports_forgotten=forgotten)
