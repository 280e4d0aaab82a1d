"""The team's home page during the first sync, in a real browser: what is not synced yet says so
("syncing…", "not synced yet"), never a zero, never a settlement alarm, at desktop and phone width;
once the transactions are synced their figures appear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.sync.models import Family, SyncState, SyncStatus
from tests.browser.conftest import screenshot
from tests.browser.test_costs import _sign_in
from tests.browser.test_overview import _seed
from tests.dashboard import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def _first_sync(team, **statuses: SyncStatus) -> None:
    with team_scope(team.id):
        for family, status in statuses.items():
            SyncState.objects.filter(team=team, family=family).update(
                status=status, last_completed_at=None
            )


def test_the_overview_during_the_first_sync(live_server, watched):
    p = _seed()
    with team_scope(p.team.id):
        c = SyncState.objects.filter(team=p.team).first().connection  # type: ignore[union-attr]
    for n in range(14):  # read before the transactions they are checked against
        f.settlement(
            p.team,
            c,
            f"S-EARLY-{n}",
            deposit=datetime(2025, 1, 1 + n, tzinfo=UTC),
            amounts=["10.00"],
            transactions_reconciled=False,
        )
    _first_sync(
        p.team,
        **{
            Family.FINANCES.value: SyncStatus.RUNNING,
            Family.SETTLEMENTS.value: SyncStatus.RUNNING,
            Family.INVENTORY.value: SyncStatus.QUEUED,
        },
    )
    page = watched
    _sign_in(page, live_server, p.viewer)
    page.goto(f"{live_server.url}/t/{p.team.slug}/")
    page.wait_for_selector("#overview-more")
    usd = page.locator("article.currency-figures[data-currency='USD']")
    for key in ("refunds", "fees", "net_proceeds", "profit"):
        cell = usd.locator(f"tr[data-figure='{key}'] td").first
        assert cell.inner_text() == "syncing…", key
    # The orders are synced: their figures are numbers.
    assert usd.locator("tr[data-figure='sales'] td a").first.inner_text() != ""
    assert "syncing…" in page.locator("#stock-waiting").inner_text()
    assert page.locator("#at-risk").count() == 0
    more = page.locator("#overview-more").inner_text()
    assert "not adding up" not in more
    assert "syncing…" in page.locator("#last-payout").inner_text()
    screenshot(page, "first-sync-01-desktop")
    # At phone width, loaded as a phone would: the charts drawn for its width.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#overview-more")
    page.wait_for_function(
        "() => document.querySelectorAll('canvas.overview-chart[data-drawn]').length === 4"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert "syncing…" in page.locator("#last-payout").inner_text()
    screenshot(page, "first-sync-02-phone")

    # The transactions finish: their figures appear, the settlements still say they are syncing.
    with team_scope(p.team.id):
        SyncState.objects.filter(team=p.team, family=Family.FINANCES).update(
            status=SyncStatus.DONE, last_completed_at=timezone.now() - timedelta(minutes=1)
        )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    page.wait_for_selector("#overview-more")
    fees = usd.locator("tr[data-figure='fees'] td").first.inner_text()
    assert fees == "9.00 USD"
    assert "syncing…" in page.locator("#last-payout").inner_text()
