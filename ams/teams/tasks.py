"""The teams' periodic jobs: work over every team, each in its own scope."""

from __future__ import annotations

import structlog
from procrastinate import RetryStrategy

from ams.core.events import usage_events_prune
from ams.core.export_jobs import export_jobs_prune
from ams.core.files import files_prune_expired
from ams.core.jobs import app
from ams.teams import deletion, retention
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


# Not a team_task: the purge commits batch by batch so it can resume, entering scopes itself.
@app.task(queue="maintenance", retry=RetryStrategy(max_attempts=5, wait=300))
def run_deletion(*, receipt_id: int) -> None:
    deletion.deletion_run(receipt_id=receipt_id)


@app.periodic(cron="23 * * * *")
@app.task(queue="maintenance", queueing_lock="deletions_sweep", pass_context=False)
def deletions_sweep(timestamp: int) -> None:
    """The backstop of the 30-day promise: finish every deletion whose own job did not."""
    for receipt_id in deletion.deletions_overdue():
        try:
            deletion.deletion_run(receipt_id=receipt_id)
        except Exception:
            # One failing deletion must not hold back the others; it is tried again next hour.
            log.exception("deletion.sweep_failed", receipt_id=receipt_id)


@app.periodic(cron="47 2 * * *")
@app.task(queue="maintenance", queueing_lock="retention_nightly", pass_context=False)
def retention_nightly(timestamp: int) -> None:
    """Each team's Amazon data older than its window goes, team by team."""
    teams = Team.objects.filter(deletion_requested_at__isnull=True).order_by("id")
    for team_id in teams.values_list("id", flat=True):
        try:
            retention.team_retention_run(team_id=team_id)
        except Exception:
            # One team's failure must not keep the others' data past its window.
            log.exception("retention.failed", team_id=team_id)
