"""Each family's saved position (``SyncState.cursor``, a JSON object), as the syncer reads and
writes it. Moments are ISO 8601 strings. Every key may be missing: a connection's first run
starts from an empty cursor, and a key added later is missing from older ones."""

from __future__ import annotations

from typing import TypedDict


class OrdersCursor(TypedDict, total=False):
    # The moment the backfill counts its two years back from, fixed by its first run.
    backfill_until: str
    # The start of the oldest report window ingested so far.
    backfill_from: str
    backfill_done: bool
    # Where the next incremental read starts (less the overlap): Amazon's clock, not AMS's.
    updated_after: str


class InventoryCursor(TypedDict, total=False):
    # When the restock and planning reports were last read.
    advice_at: str


class ListingsCursor(TypedDict, total=False):
    # Every marketplace's listings were read at least once (before the catalogue, prices and fees).
    listings_read: bool


class FinancesCursor(TypedDict, total=False):
    # The backfill's position, newest first, as OrdersCursor's (ams/sync/backfill.py). A cursor
    # with ``posted_through`` and none of these was filled before the backfill kept them.
    backfill_until: str
    backfill_from: str
    backfill_done: bool
    # The latest posted date of a transaction read; None before any was.
    posted_through: str | None
    # The charges rollup covers every charge held: set by the first run that built it whole.
    charge_months: bool


class SettlementsCursor(TypedDict, total=False):
    # The ids of the settlement reports already ingested, the latest last.
    reports: list[str]
    # The first pass over Amazon's list reads it newest first: the creation time of the oldest
    # report it has read so far, and whether the pass went through the whole list.
    read_back_to: str
    # Every marketplace's latest settlement is read (the last payout), and the pass is done.
    latest_read: bool
    listed: bool


class LedgerCursor(TypedDict, total=False):
    # The first moment the ledger, returns and reimbursements were read from (fixed by the
    # first run), and where the last run's reading ended.
    since: str
    read_through: str
