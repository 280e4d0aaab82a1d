from __future__ import annotations

import structlog
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Status

from ams.core.audit_log import audit_prune
from ams.core.jobs import app

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


@app.periodic(cron="53 2 * * *")
@app.task(queue="maintenance", queueing_lock="prune_audit_log", pass_context=False)
def prune_audit_log(timestamp: int) -> None:
    """Security logs are kept twelve months, then deleted by the owner role (the app role cannot)."""
    audit_prune()
