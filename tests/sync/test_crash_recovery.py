"""A worker killed with SIGKILL in the middle of an ingest: after a restart the copy converges,
with no duplicate and no loss."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection as db
from django.db.models import Count, Sum
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.exceptions import AlreadyEnqueued

from ams.amazon.models import SellerConnection
from ams.core import tasks as core_tasks
from ams.core.jobs import app
from ams.core.tenancy import team_scope
from ams.orders.models import Order, OrderLine
from ams.sync.models import Family, SyncState, SyncStatus
from ams.sync.tasks import sync_defer
from tests.sync.harness import SimSeller

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _url(role: str) -> str:
    config: dict[str, Any] = settings.DATABASE_ROLES[role]
    user = quote(str(config["USER"]), safe="")
    password = f":{quote(str(config['PASSWORD']), safe='')}" if config.get("PASSWORD") else ""
    options: dict[str, Any] = config.get("OPTIONS") or {}
    host = str(config.get("HOST") or options.get("host") or "")
    port = str(config.get("PORT") or "")
    name = db.settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgresql://{user}{password}@/{name}?host={quote(host, safe='')}"
    return f"postgresql://{user}{password}@{host}{':' + port if port else ''}/{name}"


def _start_worker(seller: SimSeller, **extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": _url("app"),
        "MIGRATION_DATABASE_URL": _url("owner"),
        "WORKER_DATABASE_URL": _url("worker"),
        "SIM_BASE_URL": seller.server.base_url,
        "SIM_CLIENT_ID": seller.info["client_id"],
        "SIM_CLIENT_SECRET": seller.info["client_secret"],
        "SIM_SPID": seller.spid,
        "SIM_REFRESH_TOKEN": seller.refresh_token,
        **extra,
    }
    return subprocess.Popen([sys.executable, "-m", "tests.sync.crash_worker"], cwd=ROOT, env=env)


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _lines(connection: SellerConnection) -> int:
    with team_scope(connection.team_id):
        return OrderLine.objects.filter(connection=connection).count()


def test_a_worker_killed_mid_ingest_resumes_without_loss_or_duplicates(
    connection: SellerConnection, seller: SimSeller, monkeypatch: pytest.MonkeyPatch
):
    sync_defer(team_id=connection.team_id, connection_id=connection.id, family=Family.ORDERS)
    worker = _start_worker(seller, AMS_SYNC_TEST_BATCH_PAUSE="0.5")
    try:
        # Some batches committed, the backfill not finished: the middle of an ingest.
        _wait(lambda: _lines(connection) >= 200, 60, "the first batches")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    with team_scope(connection.team_id):
        state = SyncState.objects.get(connection=connection, family=Family.ORDERS)
    assert not state.cursor.get("backfill_done")
    assert ProcrastinateJob.objects.get(lock=f"sync:{connection.id}:orders", status="doing")

    # The periodic stalled-job task, once the dead worker's heartbeat is old enough.
    monkeypatch.setattr(core_tasks, "STALLED_AFTER_SECONDS", 1)
    time.sleep(1.5)
    with contextlib.suppress(AlreadyEnqueued):  # the dead worker's schedule may have queued it
        core_tasks.retry_stalled_jobs.defer(timestamp=0)  # type: ignore[call-arg]
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(
            queues=["maintenance"], wait=False, install_signal_handlers=False, listen_notify=False
        )
    # Retried, or ended in favour of the job the schedule queued meanwhile: either way one waits.
    assert (
        ProcrastinateJob.objects.filter(lock=f"sync:{connection.id}:orders", status="todo").count()
        == 1
    )
    assert not ProcrastinateJob.objects.filter(
        lock=f"sync:{connection.id}:orders", status="doing"
    ).exists()

    worker = _start_worker(seller)
    try:
        _wait(
            lambda: ProcrastinateJob.objects.filter(
                lock=f"sync:{connection.id}:orders", status="succeeded"
            ).exists(),
            120,
            "the retried job",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()

    truth = seller.truth()["orders"]
    with team_scope(connection.team_id):
        state = SyncState.objects.get(connection=connection, family=Family.ORDERS)
        orders = Order.objects.filter(connection=connection)
        lines = OrderLine.objects.filter(connection=connection)
        duplicates = (
            lines.values("amazon_order_id", "sku").annotate(n=Count("id")).filter(n__gt=1).count()
        )
        assert state.status == SyncStatus.DONE
        assert state.cursor["backfill_done"] is True
        assert orders.count() == truth["count"]
        assert lines.aggregate(u=Sum("quantity"))["u"] == truth["units"]
        assert duplicates == 0
