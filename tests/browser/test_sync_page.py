"""The sync page in a real browser: an admin starts an orders sync, the worker runs it against the
simulator, and the page's counters move step by step without a reload; when the run ends the page
shows what it added and stops asking."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import expect

from ams.core.jobs import app
from ams.sync import clients
from ams.sync.context import SyncContext
from ams.sync.syncers import orders as orders_syncer
from ams.sync.tasks import QUEUES
from ams.sync.views import POLL_SECONDS
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.factories import make_personas
from tests.sync.harness import SimSeller, connect, small_config

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seller() -> Iterator[SimSeller]:
    running = SimSeller.start(small_config())
    yield running
    running.stop()


def _work_and_close() -> None:
    try:
        with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
            app.run_worker(
                queues=[QUEUES["orders"]],
                wait=False,
                install_signal_handlers=False,
                listen_notify=False,
            )
    finally:
        connections.close_all()


def _count(page: Any, row: str, name: str) -> str:
    text: str = page.locator(f"{row} [data-count='{name}']").inner_text()
    return text


def test_the_sync_page_follows_a_running_sync_and_stops_polling_when_it_ends(
    live_server, watched, seller: SimSeller, settings, monkeypatch: pytest.MonkeyPatch
):
    settings.SYNC_REPORT_POLL_SECONDS = 0.01
    monkeypatch.setattr(orders_syncer, "BACKFILL_DAYS", 70)  # three report windows
    monkeypatch.setattr(clients, "client_for", lambda _connection: seller.client())
    p = make_personas("Live sync")
    connection = connect(p.team, seller)
    # The run waits after each step until the test has seen it: the worker stands in for
    # Amazon taking its time over each report.
    proceed = threading.Semaphore(0)
    progress = SyncContext.progress

    def paced(ctx: SyncContext, done: int, total: int | None) -> None:
        progress(ctx, done, total)
        assert proceed.acquire(timeout=60), "the test never let the sync go on"

    monkeypatch.setattr(SyncContext, "progress", paced)

    page = watched
    _sign_in(page, live_server, p.admin)
    page.goto(f"{live_server.url}/t/{p.team.slug}/sync/")
    row = f"#sync-{connection.id}-orders"
    assert page.locator(row).get_attribute("data-status") == "never"
    assert page.locator("#sync-status[data-polling]").count() == 0

    page.click(f"{row} button:has-text('Sync now')")
    page.wait_for_selector(f"{row}[data-status='queued']")
    assert page.locator("#sync-status[data-polling]").count() == 1
    # A mark on the page that a reload would wipe.
    page.evaluate("() => { window.stillTheSamePage = true; }")
    sync_requests: list[str] = []
    page.on(
        "request",
        lambda request: sync_requests.append(request.url) if "/sync/" in request.url else None,
    )

    worker = threading.Thread(target=_work_and_close)
    worker.start()
    try:
        # The first report window is in: the polled fragment shows its numbers.
        expect(page.locator(f"{row} [data-count='reports_downloaded']")).to_have_text(
            "1", timeout=30_000
        )
        assert page.locator(row).get_attribute("data-status") == "running"
        first_rows = int(_count(page, row, "rows_read").replace(",", ""))
        assert first_rows > 0
        assert int(_count(page, row, "reports_requested")) >= 1
        assert "step 1 of 3" in page.locator(row).inner_text()
        screenshot(page, "sync-page-01-running")

        proceed.release()
        # The last 30 days are in: the job gives its worker back and the older history follows
        # in a run of its own, whose counters the page follows in turn, still without a reload.
        expect(page.locator(row)).to_contain_text(re.compile(r"step 1 of 2"), timeout=30_000)
        screenshot(page, "sync-page-02-older-history")
        assert page.locator(row).get_attribute("data-status") == "running"
        assert int(_count(page, row, "reports_downloaded")) >= 1
    finally:
        for _ in range(10):
            proceed.release()
        worker.join(timeout=120)
    assert not worker.is_alive()

    page.wait_for_selector(f"{row}[data-status='done']", timeout=30_000)
    assert page.evaluate("() => window.stillTheSamePage") is True
    assert page.locator("#sync-status[data-polling]").count() == 0
    added = int(page.locator(f"{row} [data-count='rows_added']").inner_text().replace(",", ""))
    assert added > 0
    assert page.locator(f"{row} [data-count='rows_updated']").inner_text() == "0"
    assert "Up to date" in page.locator(row).inner_text()
    screenshot(page, "sync-page-03-done")
    # Idle: no more requests, however long the page stays open.
    asked = len(sync_requests)
    page.wait_for_timeout(POLL_SECONDS * 1000 * 2 + 500)
    assert len(sync_requests) == asked
