"""Settlement history uploaded by the seller: the files Seller Central gave them over the years.

Amazon lists settlement reports for 90 days only, so older payouts reach AMS only this way. An
upload goes:

1. the web request streams each file to disk (Django's temporary upload file), then into the
   team's stored files (``ams.core.files``), records a :class:`SettlementUpload` and defers the
   job, all in one transaction; the stored copy is deleted once the job has read it;
2. the job reads each document of the file (``ams.sync.parsers.settlement_file``: the sync's own
   conversion of a settlement row), staging its rows in a temporary table over several
   transactions, each saving the progress the page shows;
3. a document that passes every check (one settlement, every row read, lines adding up to the
   total to the cent) is merged in one transaction through the finance app's settlement writer,
   unless AMS already holds that settlement (from the sync or an earlier upload): then nothing
   is written. A refused document leaves nothing behind: its staging table is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.core import bulk
from ams.core.files import CHUNK_BYTES, file_delete, file_open, file_store
from ams.core.tenancy import team_scope
from ams.finance import selectors as finance_selectors
from ams.finance import writers
from ams.finance.reconcile import settlements_reconcile
from ams.sync import ingest
from ams.sync.models import SettlementUpload, UploadStatus
from ams.sync.parsers.settlement_file import SettlementCheck, SettlementReader, Source, sources

log = structlog.get_logger(__name__)

T = TypeVar("T")

UPLOAD_KIND = "settlement_upload"
# The stored copy is only for the job; a week leaves room for a worker outage.
KEEP_UPLOAD = timedelta(days=7)
MAX_FILE_BYTES = 500 * 1024 * 1024
# Rows staged per transaction (and per progress update).
BATCH_ROWS = 20_000
# Progress is saved at most this often while a document stages (bytes of the stored file).
PROGRESS_BYTES = 4 * 1024 * 1024

STORED, HELD, REFUSED = "stored", "held", "refused"


@transaction.atomic
def settlement_uploads_create(
    *,
    team_id: int,
    connection: SellerConnection,
    files: Sequence[UploadedFile],
    created_by_id: int | None,
) -> list[SettlementUpload]:
    """Store the files and queue a job for each; the jobs exist only if the files committed."""
    from ams.sync.tasks import settlement_upload_read  # the tasks import this module

    uploads = []
    for upload in files:
        stored = file_store(
            team_id=team_id,
            kind=UPLOAD_KIND,
            name=upload.name or "settlement.txt",
            content_type=upload.content_type or "application/octet-stream",
            chunks=upload.chunks(CHUNK_BYTES),
            lifetime=KEEP_UPLOAD,
            created_by_id=created_by_id,
            max_bytes=MAX_FILE_BYTES,
        )
        record = SettlementUpload.objects.create(
            team_id=team_id,
            connection=connection,
            file=stored,
            name=stored.name,
            size=stored.size,
            created_by_id=created_by_id,
        )
        settlement_upload_read.defer(team_id=team_id, upload_id=record.id)
        uploads.append(record)
    return uploads


class _Progress:
    """The bytes of the stored file read so far, saved on the upload now and then."""

    def __init__(self, upload: SettlementUpload) -> None:
        self.upload = upload
        self.read = 0
        self.saved = 0

    def __call__(self, size: int) -> None:
        self.read += size

    def save(self, *, force: bool = False) -> None:
        """Inside the team's scope."""
        if not force and self.read - self.saved < PROGRESS_BYTES:
            return
        self.saved = self.read
        SettlementUpload.objects.filter(id=self.upload.id).update(bytes_read=self.read)


def settlement_upload_read(*, team_id: int, upload_id: int) -> None:
    """The job: read each document of an uploaded file, store those that pass."""
    with team_scope(team_id):
        upload = SettlementUpload.objects.select_related("file").filter(id=upload_id).first()
        if upload is None or upload.status == UploadStatus.DONE:
            return
        stored = upload.file
        if stored is None:
            _finish(upload, UploadStatus.FAILED, "The uploaded file has expired; upload it again.")
            return
        upload.status = UploadStatus.READING
        upload.bytes_read = 0
        upload.documents = []
        upload.save(update_fields=["status", "bytes_read", "documents"])
    progress = _Progress(upload)
    try:
        stream = file_open(stored, team_id=team_id, on_chunk=progress)
        for source in sources(upload.name, stream):
            outcome = _read_document(team_id, upload, source, progress)
            upload.documents.append(outcome)
            with team_scope(team_id):
                progress.save(force=True)
                SettlementUpload.objects.filter(id=upload.id).update(documents=upload.documents)
    except Exception:
        log.exception("sync.settlement_upload_failed", upload_id=upload_id)
        with team_scope(team_id):
            _finish(upload, UploadStatus.FAILED, "The file could not be read to its end.")
        raise
    with team_scope(team_id):
        upload.bytes_read = progress.read
        _finish(upload, UploadStatus.DONE, "")
        # Read to its end: the copy has served its purpose (a failed read keeps it until it
        # expires, for a retry).
        file_delete(stored)


def _finish(upload: SettlementUpload, status: str, reason: str) -> None:
    upload.status = status
    upload.reason = reason
    upload.finished_at = timezone.now()
    upload.save(update_fields=["status", "reason", "finished_at", "bytes_read", "documents"])


def _read_document(
    team_id: int, upload: SettlementUpload, source: Source, progress: _Progress
) -> dict[str, Any]:
    reader = SettlementReader(source, report_id=f"upload-{upload.id}")
    columns = writers.SETTLEMENT_COLUMNS
    staged = ingest.stage_for_session(columns)
    try:
        for batch in _batches(reader, BATCH_ROWS):
            with team_scope(team_id):
                # Staged rows and progress are worth nothing after a crash (the job reads the
                # file again): their commits need not wait for the disk.
                bulk.commit_without_flush_wait()
                ingest.stage_append(staged, columns, batch)
                progress.save()
        check = reader.check
        if check.error:
            return _outcome(check, REFUSED, check.error)
        with team_scope(team_id):
            return _merge(team_id, upload.connection_id, check, staged)
    finally:
        ingest.drop_session_stage(staged)


def _merge(team_id: int, connection_id: int, check: SettlementCheck, staged: str) -> dict[str, Any]:
    """The staged settlement into the finance tables, unless AMS holds it already."""
    try:
        ingest.hold_connection(connection_id)
    except ingest.ConnectionGone:
        return _outcome(check, REFUSED, "the seller account was disconnected")
    # Two uploads of one settlement at once: the second waits, then finds it held.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"ams.settlement:{connection_id}:{check.settlement_id}"],
        )
    held = finance_selectors.settlement_held(
        team_id, connection_id=connection_id, settlement_id=check.settlement_id
    )
    if held is not None:
        if held.total_amount == check.total and held.currency == check.currency:
            return _outcome(check, HELD, "AMS already holds this settlement; nothing was changed")
        return _outcome(
            check,
            REFUSED,
            f"AMS already holds settlement {held.settlement_id} with a total of "
            f"{held.total_amount} {held.currency}",
        )
    bulk.write(writers.settlements(connection_id), staged, connection_id=connection_id)
    settlements_reconcile(connection_id=connection_id)
    return _outcome(check, STORED, "")


def _outcome(check: SettlementCheck, outcome: str, reason: str) -> dict[str, Any]:
    return {
        **check.as_json(),
        "starts_at": check.starts_at.isoformat() if check.starts_at else None,
        "ends_at": check.ends_at.isoformat() if check.ends_at else None,
        "outcome": outcome,
        "reason": reason,
    }


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
