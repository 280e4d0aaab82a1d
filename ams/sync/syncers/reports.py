"""Requesting a report and ingesting its document, with the retries each failure deserves.

* ``FATAL``: Amazon failed to build it; request it again.
* ``CANCELLED``: usually "no data" — but a report can also be cancelled for other reasons, so
  only several in a row are taken as an empty window.
* a truncated download: the complete rows read so far are committed, the cursor is not moved,
  and the report is fetched again.
* a document without a column AMS needs: downloading it again cannot fix it, only a reader that
  knows the format can. It is refused whole, counted as a file (not as rows), named with the
  missing column, and kept pending (ams/sync/pending.py) to be read again when the reader
  changes or someone asks; the caller decides whether its own position moves past it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog
from django.conf import settings

from ams.core.bulk import Writer
from ams.sync import pending
from ams.sync.context import Cursor, SyncContext
from ams.sync.convert_sql import Conversion
from ams.sync.parsers.flatfile import (
    BlockReader,
    MissingColumns,
    Rejected,
    parse,
    parse_timestamp,
    report_lines,
)
from spapi import reports
from spapi.errors import BadResponse, DocumentExpired, DocumentTruncated, ReportFailed
from spapi.reports import DocumentBytes

log = structlog.get_logger(__name__)

ATTEMPTS = 3


class IncompleteDocument(Exception):
    """A report document could not be read to its end after several downloads."""


# The first getReport poll comes this soon; the interval then grows by half each poll up to
# SYNC_REPORT_POLL_SECONDS. Amazon builds a small report in well under a minute, so a fixed
# long interval would add most of itself to every report; getReport's usage plan (2/s, burst
# 15) has room for the early polls, and the shared limiter keeps them inside it.
FIRST_POLL_SECONDS = 1.0


def poll_seconds() -> float:
    """The longest interval between two polls of one report."""
    return float(getattr(settings, "SYNC_REPORT_POLL_SECONDS", 10.0))


def first_poll_seconds() -> float:
    return min(
        float(getattr(settings, "SYNC_REPORT_FIRST_POLL_SECONDS", FIRST_POLL_SECONDS)),
        poll_seconds(),
    )


def create(
    ctx: SyncContext,
    report_type: str,
    *,
    marketplace_ids: Sequence[str],
    start: datetime | None = None,
    end: datetime | None = None,
    options: Mapping[str, str] | None = None,
) -> str:
    """createReport; returns the report id."""
    ctx.checkpoint()
    created = ctx.client.create_report(
        report_type,
        marketplace_ids=marketplace_ids,
        data_start_time=start,
        data_end_time=end,
        report_options=options,
    )
    ctx.report_requested()
    report_id = created.get("reportId")
    if not isinstance(report_id, str):
        raise BadResponse("createReport response without reportId", operation="createReport")
    return report_id


def wait(ctx: SyncContext, report_id: str) -> dict[str, Any]:
    """Poll getReport until DONE, soon at first, then backing off; raises ReportFailed
    (CANCELLED or FATAL)."""
    return reports.wait_for_report(
        ctx.client, report_id, poll_interval=first_poll_seconds(), max_poll_interval=poll_seconds()
    )


def request(
    ctx: SyncContext,
    report_type: str,
    *,
    marketplace_ids: Sequence[str],
    start: datetime | None = None,
    end: datetime | None = None,
    options: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """createReport and wait for it; None when Amazon has no data for it."""
    cancelled = 0
    for _attempt in range(ATTEMPTS):
        report_id = create(
            ctx, report_type, marketplace_ids=marketplace_ids, start=start, end=end, options=options
        )
        try:
            return wait(ctx, report_id)
        except ReportFailed as exc:
            log.info("sync.report_failed", report_type=report_type, status=exc.processing_status)
            if exc.processing_status == reports.CANCELLED:
                cancelled += 1
    if cancelled == ATTEMPTS:
        return None
    raise ReportFailed(
        f"{report_type} failed {ATTEMPTS} times on Amazon's side",
        report_id="",
        processing_status=reports.FATAL,
    )


def ingest_document(
    ctx: SyncContext,
    report_type: str,
    *,
    report: dict[str, Any],
    required: Sequence[str],
    convert: Callable[[Mapping[str, str]], Sequence[object] | None],
    writer: Writer,
    cursor: Cursor | None = None,
    conversion: Conversion | None = None,
    keep_together: str | None = None,
    keep: pending.PendingKey | None = None,
    cursor_on_refusal: Cursor | None = None,
) -> bool:
    """Stream a DONE report's document through ``writer``; True if it was read to the end, False
    if it was refused whole (a missing column). With ``conversion`` the rows are converted in the
    database (ams/sync/convert_sql.py), ``convert`` taking only the lines it declines, and
    consecutive lines with the same ``keep_together`` column (an order's items) go in the same
    batch. Raises IncompleteDocument when the download keeps breaking off: the caller must not
    move past it.

    A refused document is kept pending under ``keep`` (None: the family reads it again on its
    next run anyway), and ``cursor_on_refusal``, if given, is saved in the same transaction:
    ``cursor`` is never saved for a document that was not read."""
    document_id = str(report.get("reportDocumentId") or "")
    report_id = str(report.get("reportId") or "")
    for _attempt in range(ATTEMPTS):
        try:
            if conversion is None:
                ctx.ingest(
                    parse(
                        report_lines(ctx.client, document_id), required=required, convert=convert
                    ),
                    writer=writer,
                    source=report_type,
                    document=report_id,
                    cursor=cursor,
                )
            else:
                download = DocumentBytes(ctx.client, document_id)
                ctx.ingest_blocks(
                    BlockReader(download, download.declared_charset, keep_together=keep_together),
                    conversion=conversion,
                    required=required,
                    convert=convert,
                    writer=writer,
                    source=report_type,
                    document=report_id,
                    cursor=cursor,
                )
            ctx.report_downloaded()
            return True
        except MissingColumns as exc:
            ctx.report_downloaded()
            _refused(
                ctx,
                report_type,
                report,
                str(exc),
                keep=keep,
                cursor_on_refusal=cursor_on_refusal,
            )
            return False
        except (DocumentTruncated, DocumentExpired) as exc:
            log.warning("sync.document_incomplete", report_type=report_type, error=str(exc))
            ctx.quarantine(
                [Rejected(0, f"document incomplete ({exc.message[:120]}); fetched again", "")],
                source=report_type,
                document=report_id,
                counted=False,
            )
    raise IncompleteDocument(
        f"The {report_type} download kept breaking off; the rows read were kept and the rest will be retried."
    )


def _refused(
    ctx: SyncContext,
    report_type: str,
    report: Mapping[str, Any],
    why: str,
    *,
    keep: pending.PendingKey | None,
    cursor_on_refusal: Cursor | None,
) -> None:
    ctx.stats.refused_files += 1
    document_id = str(report.get("reportDocumentId") or "")
    if keep is None:
        ctx.problem(
            f"{report_type}: {why}; this report was not imported and is requested again on the next run."
        )
        if cursor_on_refusal is not None:
            ctx.save_cursor(cursor_on_refusal)
        return
    ctx.problem(
        f"{report_type}: {why}; this report was not imported and is kept pending until AMS can read it."
    )
    saving = cursor_on_refusal
    pending.record_refused(
        team_id=ctx.team_id,
        connection_id=ctx.connection_id,
        family=ctx.family,
        key=keep,
        report_type=report_type,
        document_id=document_id,
        reason=f"{why}.",
        save_cursor=None if saving is None else lambda: ctx.save_cursor(saving),
    )


def covered_until(report: Mapping[str, Any], fallback: datetime) -> datetime:
    """The end of the data the report covers, by Amazon's clock (it clamps a future end)."""
    return parse_timestamp(str(report.get("dataEndTime") or "")) or fallback
