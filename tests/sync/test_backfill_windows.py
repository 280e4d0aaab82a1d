"""The windows a newest-first backfill reads (ams/sync/backfill.py): the last 30 days first, then
older ones meeting end to start back to the earliest moment, resumed where the stored history
starts; and which finances cursors still have a backfill to read."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from ams.sync import backfill
from ams.sync.syncers import finances

UNTIL = datetime(2026, 12, 8, 0, 11, tzinfo=UTC)
EARLIEST = UNTIL - timedelta(days=548)


def test_the_last_30_days_come_first_then_older_windows_back_to_the_start():
    windows = list(backfill.windows(UNTIL, UNTIL, EARLIEST, window_days=90))
    assert windows[0] == (UNTIL - timedelta(days=30), UNTIL)
    assert all(b - a == timedelta(days=90) for a, b in windows[1:-1])
    for newer, older in itertools.pairwise(windows):
        assert older[1] == newer[0]
    assert windows[-1][0] == EARLIEST
    assert sum((b - a for a, b in windows), timedelta()) == UNTIL - EARLIEST


def test_a_resumed_backfill_starts_where_the_stored_history_starts():
    stored_from = UNTIL - timedelta(days=120)
    windows = list(backfill.windows(UNTIL, stored_from, EARLIEST, window_days=90))
    assert windows[0] == (stored_from - timedelta(days=90), stored_from)
    assert windows[-1][0] == EARLIEST
    assert list(backfill.windows(UNTIL, EARLIEST, EARLIEST, window_days=90)) == []


def test_how_far_back_a_cursor_reaches():
    assert backfill.reached({}, full_days=730) is None
    assert backfill.reached({"backfill_until": UNTIL.isoformat()}, full_days=730) == UNTIL
    started = {"backfill_until": UNTIL.isoformat(), "backfill_from": EARLIEST.isoformat()}
    assert backfill.reached(started, full_days=730) == EARLIEST
    finished_before = {"backfill_until": UNTIL.isoformat(), "backfill_done": True}
    assert backfill.reached(finished_before, full_days=730) == UNTIL - timedelta(days=730)


def test_a_finances_cursor_from_the_single_read_counts_as_backfilled():
    assert finances.backfill_pending({})
    assert not finances.backfill_pending({"posted_through": "2026-01-01T00:00:00+00:00"})
    assert not finances.backfill_pending({"posted_through": None, "charge_months": True})
    assert finances.backfill_pending(
        {"backfill_until": UNTIL.isoformat(), "posted_through": UNTIL.isoformat()}
    )
    assert not finances.backfill_pending(
        {"backfill_until": UNTIL.isoformat(), "backfill_done": True}
    )
