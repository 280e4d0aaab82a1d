"""Reactions to the connections app's signals: start syncing on connect, stop on disconnect."""

from __future__ import annotations

from typing import Any

import structlog
from django.dispatch import receiver
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.amazon.models import SellerConnection
from ams.amazon.signals import connection_authorized, connection_disconnected
from ams.core.jobs import app

log = structlog.get_logger(__name__)


@receiver(connection_authorized, dispatch_uid="sync.connection_authorized")
def queue_first_sync(
    sender: Any, connection: SellerConnection, initial: bool = True, **kwargs: Any
) -> None:
    """A new (or renewed) authorization: sync every family now; the backfill resumes from its cursor."""
    from ams.sync.tasks import sync_defer_all

    sync_defer_all(team_id=connection.team_id, connection_id=connection.id)


@receiver(connection_disconnected, dispatch_uid="sync.connection_disconnected")
def cancel_syncs(sender: Any, connection: SellerConnection, **kwargs: Any) -> None:
    """Cancel the connection's waiting jobs; a running one stops at its next checkpoint, where
    it finds the connection disconnected (and Amazon would refuse it anyway: the vault is empty)."""
    prefix = f"sync:{connection.id}:"
    jobs = ProcrastinateJob.objects.filter(lock__startswith=prefix, status__in=["todo", "doing"])
    for job_id in jobs.values_list("id", flat=True):
        app.job_manager.cancel_job_by_id(job_id, abort=True)
    log.info("sync.cancelled_for_disconnect", connection_id=connection.id)
