"""A sync worker for the crash-recovery test, run in its own process against the test database.

It is ``manage.py worker`` with the test's seams: the SP-API client comes from the simulator's
tokens (no vault), reports are polled fast, batches are small and, with
``AMS_SYNC_TEST_BATCH_PAUSE`` (seconds), each is followed by a pause, so a SIGKILL lands in
the middle of an ingest. Configuration comes from the environment the test passes.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

import django


def _paused(write: Callable[..., None], seconds: float) -> Callable[..., None]:
    """``write`` (one batch's transaction), then a pause before the next batch is written."""

    @functools.wraps(write)
    def paused(*args: Any, **kwargs: Any) -> None:
        write(*args, **kwargs)
        time.sleep(seconds)

    return paused


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from ams.sync import clients, context
    from ams.sync.syncers import orders
    from spapi import LwaClient, SpApiClient
    from spapi.ratelimit import NullLimiter

    base_url = os.environ["SIM_BASE_URL"]
    token = os.environ["SIM_REFRESH_TOKEN"]

    def client_for(_connection: object) -> SpApiClient:
        lwa = LwaClient(
            f"{base_url}/auth/o2/token",
            os.environ["SIM_CLIENT_ID"],
            os.environ["SIM_CLIENT_SECRET"],
        )
        return SpApiClient(
            base_url=base_url,
            lwa=lwa,
            seller_id=os.environ["SIM_SPID"],
            refresh_token_provider=lambda: token,
            limiter=NullLimiter(),
        )

    clients.client_for = client_for  # type: ignore[assignment]
    settings.SYNC_REPORT_POLL_SECONDS = 0.01
    orders.BACKFILL_DAYS = 70
    context.BATCH_ROWS = int(os.environ.get("SYNC_BATCH_ROWS", "100"))
    pause = float(os.environ.get("AMS_SYNC_TEST_BATCH_PAUSE") or 0)
    if pause:
        # Both ways a batch is written: rows parsed in Python, and a flat file's blocks.
        context.SyncContext._flush = _paused(context.SyncContext._flush, pause)  # type: ignore[method-assign]
        context.SyncContext._flush_block = _paused(context.SyncContext._flush_block, pause)  # type: ignore[method-assign]
    call_command("worker", queues="sync_orders", concurrency=1)


if __name__ == "__main__":
    main()
