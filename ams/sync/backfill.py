"""The shape every history backfill shares: newest first, the last ``RECENT_DAYS`` before
anything older, so the overview's default period is complete within minutes of connecting and
older history fills in behind it (docs/sync.md, "Newest first").

A family with history keeps three keys in its cursor (ams/sync/cursors.py): ``backfill_until``,
the moment the backfill counts back from (fixed by its first run); ``backfill_from``, the start
of the oldest window stored so far, moved in the transaction of that window's last batch; and
``backfill_done``. What has been read therefore always runs, without a gap, from
``backfill_from`` to now.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from ams.sync.parsers.flatfile import parse_timestamp

# The overview's default period, read before anything older.
RECENT_DAYS = 30


def windows(
    until: datetime, done_from: datetime, earliest: datetime, *, window_days: int
) -> Iterator[tuple[datetime, datetime]]:
    """The windows still to read, newest first: from ``done_from`` (where the stored history
    starts; ``until`` when nothing is stored) back to ``earliest``. The first window of a fresh
    backfill spans the last ``RECENT_DAYS``, the others ``window_days`` each; each ends where
    the previous one started, so together they leave no gap and overlap nowhere."""
    b = done_from
    while b > earliest:
        days = RECENT_DAYS if b == until else window_days
        a = max(earliest, b - timedelta(days=days))
        yield a, b
        b = a


def _moment(value: object) -> datetime | None:
    return parse_timestamp(str(value)) if value else None


def reached(cursor: Mapping[str, object], *, full_days: int) -> datetime | None:
    """How far back a backfill's stored history reaches: ``backfill_from`` (``until`` less
    ``full_days`` for a cursor finished before it was kept); None before its first run."""
    until = _moment(cursor.get("backfill_until"))
    if until is None:
        return None
    start = _moment(cursor.get("backfill_from"))
    if start is not None:
        return start
    return until - timedelta(days=full_days) if cursor.get("backfill_done") else until
