"""Settlement history in a real browser: an admin uploads files from the settlements page and
watches each become a settlement or a refusal with its reason, without reloading; a viewer
sees the list without the form."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from tests.amazon.factories import make_connection
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.factories import make_personas
from tests.sync import settlement_files as sf
from tests.sync.test_settlement_upload import _work

pytestmark = pytest.mark.django_db(transaction=True)


def _work_and_close() -> None:
    try:
        _work()
    finally:
        connections.close_all()


def test_an_admin_uploads_settlement_history_and_watches_it_read(live_server, watched, tmp_path):
    p = make_personas("Uploads")
    make_connection(p.team)
    good = tmp_path / "settlement-2026-06.txt.gz"
    good.write_bytes(sf.gzipped(sf.encoded(sf.decimal_commas(sf.v2_sample()))))
    bad = tmp_path / "orders.txt"
    bad.write_bytes(b"amazon-order-id\tsku\n111-1\tA\n")

    page = watched
    _sign_in(page, live_server, p.admin)
    page.goto(f"{live_server.url}/t/{p.team.slug}/settlements/")
    page.click("#settlement-history-link")
    page.wait_for_selector("#settlement-upload-form")
    page.set_input_files("#settlement-upload-form input[type=file]", [str(good), str(bad)])
    page.click("#settlement-upload-form button[type=submit]")
    page.wait_for_selector("article.settlement-upload")
    assert page.locator("article.settlement-upload").count() == 2
    assert "Waiting" in page.locator("#settlement-uploads").inner_text()
    screenshot(page, "settlement-upload-01-waiting")

    # Procrastinate's worker runs its own event loop: not in the thread Playwright's loop holds.
    worker = threading.Thread(target=_work_and_close)
    worker.start()
    worker.join()
    # The list polls while files are read: the outcome appears without a reload.
    page.wait_for_selector("tr.upload-document.stored")
    page.wait_for_selector("tr.upload-document.refused")
    stored = page.locator("tr.upload-document.stored").inner_text()
    assert "28471003921" in stored
    assert "582.89 USD" in stored
    refused = page.locator("tr.upload-document.refused").inner_text()
    assert "not a settlement report" in refused
    screenshot(page, "settlement-upload-02-done")

    page.goto(f"{live_server.url}/t/{p.team.slug}/settlements/")
    assert page.locator("tr[data-settlement='28471003921']").count() == 1

    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/sync/settlements/")
    assert page.locator("#settlement-upload-form").count() == 0
    assert page.locator("tr.upload-document").count() == 2
