"""The sync jobs: one task per data family, periodic fan-outs, and the "sync now" entry point.

A family's job for a connection carries ``lock`` and ``queueing_lock`` ``sync:<connection>:<family>``:
at most one runs at a time and at most one waits, however often the schedule or the user asks.

These tasks do not use ``team_task``: that wraps the whole job in one transaction, and a sync
must commit batch by batch (its cursor with each) and never hold a transaction while it waits
on Amazon. They check the team id the same way and enter the team's scope per batch.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.db import close_old_connections, transaction
from procrastinate import RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued

from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.core.jobs import app
from ams.core.tenancy import NoTeamScope, team_scope
from ams.sync import services, uploads
from ams.sync.models import Family, SyncStatus
from ams.teams.models import Team

log = structlog.get_logger(__name__)

QUEUES: dict[str, str] = {
    Family.ORDERS: "sync_orders",
    Family.INVENTORY: "sync_inventory",
    Family.LISTINGS: "sync_listings",
    Family.FINANCES: "sync_finance",
    Family.SETTLEMENTS: "sync_finance",
    Family.LEDGER: "sync_inventory",
}
# Uploaded files have a queue of their own: a large one must not hold up the syncs.
UPLOAD_QUEUE = "uploads"
ALL_QUEUES = sorted(set(QUEUES.values()))

# Throttling and Amazon's 5xx are already retried inside the client; a job-level retry is for
# longer outages, so it waits minutes, not seconds.
RETRY = RetryStrategy(
    max_attempts=6, exponential_wait=30, retry_exceptions={services.RetryableSyncError}
)


def lock_for(connection_id: int, family: str) -> str:
    return f"sync:{connection_id}:{family}"


def _run(family: str, team_id: int | None, connection_id: int) -> None:
    if not team_id:
        raise NoTeamScope(f"sync of {family} was deferred without a team_id")
    close_old_connections()
    try:
        status = services.sync_run(
            team_id=int(team_id), connection_id=int(connection_id), family=family, yield_recent=True
        )
        if status == SyncStatus.QUEUED:
            # A first sync stored the last 30 days and gave its worker up: the older history is
            # queued behind the other families' first syncs (docs/sync.md, "Newest first").
            sync_defer(team_id=int(team_id), connection_id=int(connection_id), family=family)
    finally:
        close_old_connections()


@app.task(name="ams.sync.orders", queue=QUEUES[Family.ORDERS], retry=RETRY, pass_context=False)
def sync_orders(*, team_id: int, connection_id: int) -> None:
    _run(Family.ORDERS, team_id, connection_id)


@app.task(
    name="ams.sync.inventory", queue=QUEUES[Family.INVENTORY], retry=RETRY, pass_context=False
)
def sync_inventory(*, team_id: int, connection_id: int) -> None:
    _run(Family.INVENTORY, team_id, connection_id)


@app.task(name="ams.sync.listings", queue=QUEUES[Family.LISTINGS], retry=RETRY, pass_context=False)
def sync_listings(*, team_id: int, connection_id: int) -> None:
    _run(Family.LISTINGS, team_id, connection_id)


@app.task(name="ams.sync.finances", queue=QUEUES[Family.FINANCES], retry=RETRY, pass_context=False)
def sync_finances(*, team_id: int, connection_id: int) -> None:
    _run(Family.FINANCES, team_id, connection_id)


@app.task(
    name="ams.sync.settlements", queue=QUEUES[Family.SETTLEMENTS], retry=RETRY, pass_context=False
)
def sync_settlements(*, team_id: int, connection_id: int) -> None:
    _run(Family.SETTLEMENTS, team_id, connection_id)


@app.task(name="ams.sync.settlement_upload", queue=UPLOAD_QUEUE, pass_context=False)
def settlement_upload_read(*, team_id: int, upload_id: int) -> None:
    """Read an uploaded settlement file. Like the sync jobs it commits as it goes (the page
    shows its progress), so it checks the team id and enters the scope itself, per step."""
    if not team_id:
        raise NoTeamScope("a settlement upload was deferred without a team_id")
    close_old_connections()
    try:
        uploads.settlement_upload_read(team_id=int(team_id), upload_id=int(upload_id))
    finally:
        close_old_connections()


@app.task(name="ams.sync.ledger", queue=QUEUES[Family.LEDGER], retry=RETRY, pass_context=False)
def sync_ledger(*, team_id: int, connection_id: int) -> None:
    _run(Family.LEDGER, team_id, connection_id)


TASKS: dict[str, Any] = {
    Family.ORDERS: sync_orders,
    Family.INVENTORY: sync_inventory,
    Family.LISTINGS: sync_listings,
    Family.FINANCES: sync_finances,
    Family.SETTLEMENTS: sync_settlements,
    Family.LEDGER: sync_ledger,
}


def sync_defer(*, team_id: int, connection_id: int, family: str) -> bool:
    """Queue a family's sync; False when one is already waiting (the queueing lock)."""
    lock = lock_for(connection_id, family)
    try:
        # A savepoint: the refused insert must not abort the caller's transaction.
        with transaction.atomic():
            TASKS[family].configure(lock=lock, queueing_lock=lock).defer(
                team_id=team_id, connection_id=connection_id
            )
    except AlreadyEnqueued:
        return False
    services.sync_state_mark_queued(team_id=team_id, connection_id=connection_id, family=family)
    return True


def sync_defer_all(*, team_id: int, connection_id: int) -> None:
    for family in Family:
        sync_defer(team_id=team_id, connection_id=connection_id, family=family)


def sync_fanout(family: str) -> int:
    """Queue ``family`` for every live, authorized connection of every team."""
    queued = 0
    # Teams are not tenant rows; each team's connections are read inside its own scope.
    for team_id in Team.objects.values_list("id", flat=True).order_by("id"):
        with team_scope(team_id):
            connection_ids = list(
                SellerConnection.objects.filter(
                    team_id=team_id, disconnected_at__isnull=True, status=ConnectionStatus.ACTIVE
                ).values_list("id", flat=True)
            )
            for connection_id in connection_ids:
                queued += sync_defer(team_id=team_id, connection_id=connection_id, family=family)
    log.info("sync.fanout", family=family, queued=queued)
    return queued


@app.periodic(cron="*/5 * * * *", periodic_id="sync_orders")
@app.task(
    name="ams.sync.fanout_orders",
    queue="maintenance",
    queueing_lock="sync_fanout_orders",
    pass_context=False,
)
def fanout_orders(timestamp: int) -> None:
    sync_fanout(Family.ORDERS)


@app.periodic(cron="*/15 * * * *", periodic_id="sync_inventory")
@app.task(
    name="ams.sync.fanout_inventory",
    queue="maintenance",
    queueing_lock="sync_fanout_inventory",
    pass_context=False,
)
def fanout_inventory(timestamp: int) -> None:
    sync_fanout(Family.INVENTORY)


@app.periodic(cron="7 * * * *", periodic_id="sync_listings")
@app.task(
    name="ams.sync.fanout_listings",
    queue="maintenance",
    queueing_lock="sync_fanout_listings",
    pass_context=False,
)
def fanout_listings(timestamp: int) -> None:
    sync_fanout(Family.LISTINGS)


@app.periodic(cron="23 */4 * * *", periodic_id="sync_finances")
@app.task(
    name="ams.sync.fanout_finances",
    queue="maintenance",
    queueing_lock="sync_fanout_finances",
    pass_context=False,
)
def fanout_finances(timestamp: int) -> None:
    sync_fanout(Family.FINANCES)


@app.periodic(cron="41 5 * * *", periodic_id="sync_settlements")
@app.task(
    name="ams.sync.fanout_settlements",
    queue="maintenance",
    queueing_lock="sync_fanout_settlements",
    pass_context=False,
)
def fanout_settlements(timestamp: int) -> None:
    sync_fanout(Family.SETTLEMENTS)


@app.periodic(cron="53 */6 * * *", periodic_id="sync_ledger")
@app.task(
    name="ams.sync.fanout_ledger",
    queue="maintenance",
    queueing_lock="sync_fanout_ledger",
    pass_context=False,
)
def fanout_ledger(timestamp: int) -> None:
    sync_fanout(Family.LEDGER)
