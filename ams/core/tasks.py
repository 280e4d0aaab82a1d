from __future__ import annotations

import structlog
from django.db import close_old_connections
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Status

from ams.core import export_jobs
from ams.core.audit_log import audit_prune
from ams.core.jobs import app
from ams.core.tenancy import NoTeamScope

log = structlog.get_logger(__name__)

# A worker heartbeats every few seconds; one silent for this long has died (SIGKILL, lost host).
STALLED_AFTER_SECONDS = 60


@app.periodic(cron="* * * * *")
@app.task(queue="maintenance", queueing_lock="retry_stalled_jobs", pass_context=False)
async def retry_stalled_jobs(timestamp: int) -> None:
    """Put the jobs of dead workers back in the queue, so their locks do not hold forever."""
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS):
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # A newer job with the same queueing lock already waits (the schedule queued it while
            # this one was stuck): end the dead one, which frees its lock for the waiting one.
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            log.warning("job.stalled_superseded", job_id=job.id, task=job.task_name)
            continue
        log.warning("job.stalled_retried", job_id=job.id, task=job.task_name)


@app.task(name="ams.core.export_build", queue="exports", pass_context=False)
def export_build(*, team_id: int, export_id: int) -> None:
    """Build a large export. Not a ``team_task``: its progress and its "running" must commit
    while it works, so it enters the team's scope per step (``ams.core.export_jobs``)."""
    if not team_id:
        raise NoTeamScope("export_build was deferred without a team_id")
    close_old_connections()
    try:
        export_jobs.export_run(team_id=int(team_id), export_id=int(export_id))
    finally:
        close_old_connections()


@app.periodic(cron="53 2 * * *")
@app.task(queue="maintenance", queueing_lock="prune_audit_log", pass_context=False)
def prune_audit_log(timestamp: int) -> None:
    """Security logs are kept twelve months, then deleted by the owner role (the app role cannot)."""
    audit_prune()


# The ECB publishes around 16:00 CET on business days.
@app.periodic(cron="25 16 * * *")
@app.task(queue="maintenance", queueing_lock="refresh_exchange_rates", pass_context=False)
def refresh_exchange_rates(timestamp: int) -> None:
    """Today's reference rates from the ECB, or the shipped history where the network refuses."""
    from ams.core.exchange_rates import rates_refresh

    result = rates_refresh()
    log.info(
        "exchange_rates.refreshed",
        source=result.source,
        rows=result.rows,
        last_published=str(result.last_published),
        error=result.error,
    )
