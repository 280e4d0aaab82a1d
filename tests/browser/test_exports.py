"""A large export in a real browser: the link leads to the Exports page, which updates itself
while a worker builds the file and then offers the download; a small one downloads at once."""

from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from ams.core.jobs import app
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.dashboard import factories as f
from tests.factories import make_personas

pytestmark = pytest.mark.django_db(transaction=True)


def _run_worker() -> None:
    """The worker, in a thread of its own: Playwright's event loop holds this one."""

    def work() -> None:
        try:
            with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
                app.run_worker(
                    queues=["exports"],
                    wait=False,
                    install_signal_handlers=False,
                    listen_notify=False,
                )
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_a_large_export_is_built_in_the_background_then_downloaded(
    live_server: Any, watched: Any, settings: Any
):
    p = f.seed(make_personas("Exports"))
    page = watched
    _sign_in(page, live_server, p.viewer)
    base = f"{live_server.url}/t/{p.team.slug}"

    # Small: the file comes at once.
    page.goto(f"{base}/orders/")
    with page.expect_download() as small:
        page.click("#export-csv")
    assert "111-0000001-0000001" in Path(small.value.path()).read_text("utf-8-sig")

    settings.EXPORT_INLINE_MAX_ROWS = 2
    page.goto(f"{base}/orders/")
    page.click("#export-csv")
    page.wait_for_url(re.compile(r".*/exports/$"))
    row = page.locator("#exports-table tbody tr").first
    assert "Waiting for a worker" in row.inner_text()
    screenshot(page, "exports-01-waiting")

    _run_worker()

    # The page polls and shows the download without a reload.
    page.locator("#exports-table a", has_text="Download").wait_for(timeout=15_000)
    assert "Ready: 4 rows" in row.inner_text()
    screenshot(page, "exports-02-ready")
    with page.expect_download() as built:
        page.click("#exports-table a:has-text('Download')")
    rows = list(csv.reader(io.StringIO(Path(built.value.path()).read_text("utf-8-sig"))))
    assert rows[0][0] == "order_id"
    assert len(rows) == 1 + 4
    assert "SECRET" not in page.content()
