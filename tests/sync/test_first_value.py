"""Time to first value: the backfills read the last 30 days first, so a sync stopped after its
first windows already shows a complete overview of the last 30 days; resumed, it reads the older
history back to its start without a gap or a duplicate; and the coverage (the overview's and the
sync page's) says how far back the history reaches meanwhile."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from django.db.models import Sum
from procrastinate.contrib.django.models import ProcrastinateJob

from ams.amazon.models import SellerConnection
from ams.core.marketplaces import zone
from ams.core.tenancy import team_scope
from ams.dashboard import overview as ov
from ams.finance.models import Charge, Transaction
from ams.orders.models import OrderDay
from ams.sync import clients, tasks
from ams.sync.backfill import RECENT_DAYS
from ams.sync.context import SyncContext, SyncStopped
from ams.sync.coverage import family_coverage
from ams.sync.models import Family, SyncState, SyncStatus
from ams.sync.parsers import orders as order_parser
from ams.sync.services import RECENT_READ_REASON, sync_run
from ams.sync.syncers import reports
from tests.dashboard.test_overview import client_for
from tests.factories import Personas
from tests.sync.harness import SimSeller
from tests.sync.test_money_sync import KINDS
from tests.sync.test_orders_sync import orders_snapshot

pytestmark = pytest.mark.django_db(transaction=True)

DONE = (SyncStatus.DONE, SyncStatus.PARTIAL)
RECENT = timedelta(days=RECENT_DAYS)


class Requests:
    """The order report windows and transaction windows the syncs asked Amazon for, in order."""

    def __init__(self) -> None:
        self.order_windows: list[tuple[datetime, datetime]] = []
        # (postedAfter, postedBefore) of each first page.
        self.transaction_windows: list[tuple[datetime, datetime | None]] = []


@pytest.fixture
def asked(
    connection: SellerConnection, seller: SimSeller, monkeypatch: pytest.MonkeyPatch
) -> Requests:
    seen = Requests()
    create = reports.create

    def creating(ctx: SyncContext, report_type: str, **kwargs: Any) -> str:
        if report_type == order_parser.REPORT_TYPE and kwargs.get("start"):
            seen.order_windows.append((kwargs["start"], kwargs["end"]))
        return create(ctx, report_type, **kwargs)

    def client_for_connection(_connection: SellerConnection) -> Any:
        client = seller.client()
        listing = client.list_transactions

        def list_transactions(**kwargs: Any) -> Any:
            if not kwargs.get("page_token"):
                seen.transaction_windows.append((kwargs["posted_after"], kwargs["posted_before"]))
            return listing(**kwargs)

        client.list_transactions = list_transactions  # type: ignore[method-assign]
        return client

    monkeypatch.setattr(reports, "create", creating)
    monkeypatch.setattr(clients, "client_for", client_for_connection)
    return seen


@contextmanager
def stopped_after(monkeypatch: pytest.MonkeyPatch, **windows: int) -> Iterator[None]:
    """Stop each named family's run once it has stored that many windows, as a worker that is
    stopped (or a connection that goes away) part way through a first sync."""
    progress = SyncContext.progress

    def stopping(ctx: SyncContext, done: int, total: int | None) -> None:
        progress(ctx, done, total)
        if ctx.family in windows and done >= windows[ctx.family]:
            raise SyncStopped("stopped part way")

    with monkeypatch.context() as patched:
        patched.setattr(SyncContext, "progress", stopping)
        yield


def run(connection: SellerConnection, family: Family) -> SyncStatus:
    return sync_run(team_id=connection.team_id, connection_id=connection.id, family=family)


def cursor(connection: SellerConnection, family: Family) -> dict[str, Any]:
    with team_scope(connection.team_id):
        return dict(SyncState.objects.get(connection=connection, family=family).cursor)


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_the_first_jobs_read_the_last_30_days_first_and_the_overview_shows_them_whole(
    personas: Personas,
    connection: SellerConnection,
    seller: SimSeller,
    asked: Requests,
    fast_sync: None,
    sim_zones: None,
):
    # The jobs a connect queues: the orders and finances ones store the last 30 days, then give
    # their worker up and queue themselves again for the older history.
    team_id, connection_id = connection.team_id, connection.id
    tasks.sync_orders(team_id=team_id, connection_id=connection_id)
    tasks.sync_finances(team_id=team_id, connection_id=connection_id)
    queued = ProcrastinateJob.objects.filter(
        lock__startswith=f"sync:{connection_id}:", status="todo"
    )
    assert sorted(str(j.lock) for j in queued) == [
        f"sync:{connection_id}:finances",
        f"sync:{connection_id}:orders",
    ]
    for family in (Family.ORDERS, Family.FINANCES):
        with team_scope(team_id):
            state = SyncState.objects.get(connection=connection, family=family)
        assert (state.status, state.reason) == (SyncStatus.QUEUED, RECENT_READ_REASON)
        assert state.last_completed_at is None
    for family in (Family.INVENTORY, Family.LISTINGS, Family.SETTLEMENTS):
        assert run(connection, family) in DONE
    # Settlements were read newest first, the oldest last.
    settlements = cursor(connection, Family.SETTLEMENTS)
    assert settlements["listed"]
    assert settlements["latest_read"]
    published = [s for s in seller.truth()["settlements"] if s["report_available"]]
    assert moment(settlements["read_back_to"]) <= min(moment(s["end"]) for s in published) + (
        timedelta(days=1)
    )

    # Only the newest window was asked for.
    orders_until = moment(cursor(connection, Family.ORDERS)["backfill_until"])
    assert asked.order_windows == [(orders_until - RECENT, orders_until)]
    finances_until = moment(cursor(connection, Family.FINANCES)["backfill_until"])
    assert asked.transaction_windows == [(finances_until - RECENT, None)]

    # Only the last 30 days are in: the history says so, and how far back it reaches.
    with team_scope(personas.team.id):
        coverage = family_coverage(team=personas.team)
    for name, until in (("orders", orders_until), ("finances", finances_until)):
        assert not coverage[name].synced
        assert coverage[name].waiting == "syncing…"
        assert coverage[name].recent
        assert coverage[name].history_from == until - RECENT
    assert not cursor(connection, Family.ORDERS).get("backfill_done")
    # What the benchmark waits for: nothing left for the last 30 days, the last 90 still reading.
    zones = [zone(m["id"]) for m in seller.info["sellers"][0]["marketplaces"]]
    today = ov.preset_period("7d", today=orders_until.date()).last
    assert ov.still_waiting(coverage, ov.preset_period("30d", today=today), zones) == []
    assert ov.still_waiting(coverage, ov.preset_period("90d", today=today), zones) == [
        "finances",
        "orders",
    ]

    # What the overview shows of them is whole: every local day of the last 30 holds the truth.
    truth = seller.truth()["orders"]["by_local_day"]
    ids = {m["country_code"]: m["id"] for m in seller.info["sellers"][0]["marketplaces"]}
    checked = 0
    with team_scope(personas.team.id):
        for country, days in truth.items():
            first = ov.first_full_day(orders_until - RECENT, [zone(ids[country])])
            last = orders_until.astimezone(zone(ids[country])).date() - timedelta(days=1)
            ours = {
                d.day.isoformat(): (d.orders, d.units)
                for d in OrderDay.objects.filter(
                    connection=connection, marketplace_id=ids[country], day__range=(first, last)
                )
            }
            expected = {
                day: (v["orders"], v["units"])
                for day, v in days.items()
                if first.isoformat() <= day <= last.isoformat() and v["orders"]
            }
            assert ours == expected, country
            checked += len(expected)
    assert checked > 30

    # The overview of the last 30 days (its default) has no first-sync placeholder left; the
    # previous period, which the history does not reach yet, is not compared with.
    viewer = client_for(personas.viewer)
    page = viewer.get(f"/t/{personas.team.slug}/overview/")
    assert page.status_code == 200
    html = page.content.decode()
    freshness = html.split('id="overview-freshness"')[1].split("</p>")[0]
    reached_on = orders_until - RECENT
    assert (
        f"Orders: read back to {reached_on.day} {reached_on:%b %Y}, older history still being read"
        in freshness
    )
    shown = html.replace(freshness, "").replace('class="waiting">history starts', "")
    assert 'class="waiting"' not in shown
    assert "not synced yet" not in shown
    assert "syncing…" not in shown
    assert 'id="history-starts"' in html
    assert 'id="at-risk"' in html
    # The last 90 days reach before it: their figures still wait for the older history.
    html_90 = viewer.get(f"/t/{personas.team.slug}/overview/", {"period": "90d"}).content.decode()
    assert '<span class="waiting">syncing…</span>' in html_90

    # The sync page says how far back each history has reached.
    sync_page = viewer.get(f"/t/{personas.team.slug}/sync/").content.decode()
    orders_row = sync_page.split(f'id="sync-{connection.id}-orders"')[1].split("</tr>")[0]
    reached = orders_until - RECENT
    assert f'Read back to <time datetime="{reached.isoformat()}">' in orders_row
    assert "older history is still being read" in orders_row
    assert RECENT_READ_REASON in orders_row

    # The jobs queued again read the rest, the pipeline of older windows behind the newest.
    assert run(connection, Family.ORDERS) in DONE
    assert asked.order_windows[1][1] == orders_until - RECENT
    # A window Amazon cancels (no order in it) is asked for again before it counts as empty.
    asked_once = [w for i, w in enumerate(asked.order_windows) if w not in asked.order_windows[:i]]
    for newer, older in pairwise(asked_once):
        assert older[1] == newer[0]

    # The outsider sees none of it.
    outsider = client_for(personas.outsider)
    assert outsider.get(f"/t/{personas.team.slug}/overview/").status_code == 404
    assert outsider.get(f"/t/{personas.team.slug}/sync/").status_code == 404
    with team_scope(personas.outsider_team.id):
        theirs = family_coverage(team=personas.outsider_team)
    assert all(c.history_from is None and not c.recent for c in theirs.values())


def test_a_backfill_stopped_part_way_resumes_to_the_whole_history_without_gap_or_duplicate(
    personas: Personas,
    connection: SellerConnection,
    seller: SimSeller,
    asked: Requests,
    fast_sync: None,
    sim_zones: None,
    monkeypatch: pytest.MonkeyPatch,
):
    with stopped_after(monkeypatch, orders=2, finances=2):
        assert run(connection, Family.ORDERS) == SyncStatus.PAUSED
        assert run(connection, Family.FINANCES) == SyncStatus.PAUSED
    orders_until = moment(cursor(connection, Family.ORDERS)["backfill_until"])
    finances_until = moment(cursor(connection, Family.FINANCES)["backfill_until"])
    with team_scope(personas.team.id):
        coverage = family_coverage(team=personas.team)
    # Two windows in: 30 days and one older window of each family's size.
    assert coverage["orders"].history_from == orders_until - RECENT - timedelta(days=30)
    assert coverage["finances"].history_from == finances_until - RECENT - timedelta(days=90)

    assert run(connection, Family.ORDERS) in DONE
    assert run(connection, Family.FINANCES) in DONE

    # The windows asked for, across both runs, meet end to start from the newest back to the
    # start of the history: no gap, and no window read twice.
    orders_cursor = cursor(connection, Family.ORDERS)
    assert orders_cursor["backfill_done"]
    # (A window in flight when the first run stopped is asked for again by the second.)
    windows = list(dict.fromkeys(asked.order_windows))
    assert windows[0] == (orders_until - RECENT, orders_until)
    assert windows[-1][0] == moment(orders_cursor["backfill_from"])
    for newer, older in itertools.pairwise(windows):
        assert older[1] == newer[0]
    finances_cursor = cursor(connection, Family.FINANCES)
    assert finances_cursor["backfill_done"]
    backfill = asked.transaction_windows[:-1]  # the last read is the incremental one
    assert backfill[0] == (finances_until - RECENT, None)
    assert backfill[1][1] == finances_until - RECENT
    for later, earlier in itertools.pairwise(backfill):
        assert earlier[1] == later[0]
    assert backfill[-1][0] == moment(finances_cursor["backfill_from"])
    # Then the incremental read, from the latest posted date less the overlap.
    assert asked.transaction_windows[-1] == (
        moment(finances_cursor["posted_through"]) - timedelta(days=2),
        None,
    )

    # AMS's copy is the simulator's truth: every order and every transaction, once.
    truth = seller.truth()
    ours = orders_snapshot(connection)
    assert ours["count"] == truth["orders"]["count"]
    assert ours["units"] == truth["orders"]["units"]
    ids = {m["country_code"]: m["id"] for m in seller.info["sellers"][0]["marketplaces"]}
    assert ours["days"] == {
        ids[country]: {day: {"orders": v["orders"], "units": v["units"]} for day, v in days.items()}
        for country, days in truth["orders"]["by_local_day"].items()
    }
    with team_scope(personas.team.id):
        kinds: dict[str, int] = defaultdict(int)
        for t in Transaction.objects.filter(connection=connection):
            kinds[KINDS[t.transaction_type]] += 1
        fees: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for row in (
            Charge.objects.filter(connection=connection, kind="AmazonFees")
            .values("description", "currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            fees[row["description"]][row["currency"]] = row["total"]
    assert dict(kinds) == truth["fees"]["events_by_kind"]
    assert dict(fees) == {
        k: {c: Decimal(v) for c, v in d.items()} for k, d in truth["fees"]["by_type"].items()
    }

    with team_scope(personas.team.id):
        coverage = family_coverage(team=personas.team)
    assert coverage["orders"].synced
    assert coverage["finances"].synced
    assert coverage["orders"].history_from == moment(orders_cursor["backfill_from"])
    assert coverage["finances"].history_from == moment(finances_cursor["backfill_from"])
    sync_page = client_for(personas.viewer).get(f"/t/{personas.team.slug}/sync/").content.decode()
    orders_row = sync_page.split(f'id="sync-{connection.id}-orders"')[1].split("</tr>")[0]
    reached = moment(orders_cursor["backfill_from"])
    assert f'History from <time datetime="{reached.isoformat()}">' in orders_row

    # An incremental run after the backfill changes nothing that is already right.
    assert run(connection, Family.ORDERS) in DONE
    assert run(connection, Family.FINANCES) in DONE
    assert orders_snapshot(connection)["count"] == truth["orders"]["count"]
    with team_scope(personas.team.id):
        assert Transaction.objects.filter(connection=connection).count() == sum(
            truth["fees"]["events_by_kind"].values()
        )
