"""finances: not synced yet."""

from __future__ import annotations

from ams.sync.context import SyncContext


def run(ctx: SyncContext) -> str:
    return "none"
