"""Writes of product costs. A cost for a SKU, marketplace and day that already exists is replaced."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ams.accounts.models import User
from ams.core.files import FileTooLarge, file_open, file_store
from ams.core.models import StoredFile
from ams.core.progress import ProgressWriter
from ams.core.sheets import MAX_UPLOAD_BYTES, TOO_LARGE, XLSX_MAGIC, ImportFileError
from ams.core.tenancy import team_scope
from ams.procurement import selectors
from ams.procurement.importing import CostRow, Rejection, check_rows, read_rows
from ams.procurement.models import CostImport, CostImportStatus, ProductCost
from ams.procurement.signals import costs_changed
from ams.procurement.window_costs import sku_window_costs_refresh
from ams.teams.models import Team

_KEY = ["team", "sku", "marketplace_id", "effective_from"]
_REPLACED = ["currency", "unit_cost", "note", "created_by", "created_at"]


@dataclass(frozen=True)
class ImportResult:
    imported: int
    rejected: list[Rejection]


def _record(team: Team, actor: User | None, row: CostRow) -> ProductCost:
    return ProductCost(
        team=team,
        sku=row.sku,
        marketplace_id=row.marketplace_id,
        currency=row.currency,
        unit_cost=row.unit_cost,
        effective_from=row.effective_from,
        note=row.note,
        created_by=actor,
    )


@transaction.atomic
def product_costs_save(*, team: Team, actor: User | None, rows: Sequence[CostRow]) -> int:
    """Insert the rows, or replace the records with the same SKU, marketplace and date, in one statement."""
    if not rows:
        return 0
    ProductCost.objects.bulk_create(
        [_record(team, actor, row) for row in rows],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=_KEY,
        update_fields=_REPLACED,
    )
    # The overview's cost of goods per SKU and window, priced again at the new costs.
    skus = sorted({row.sku for row in rows})
    sku_window_costs_refresh(skus=skus)
    costs_changed.send(sender=ProductCost, team_id=team.id, skus=skus)
    return len(rows)


def product_costs_import(
    *, team: Team, actor: User | None, rows: Sequence[CostRow], rejected: Sequence[Rejection]
) -> ImportResult:
    """Save the rows that passed the checks, all in one transaction; report the rejected ones."""
    imported = product_costs_save(team=team, actor=actor, rows=rows)
    return ImportResult(imported, list(rejected))


@transaction.atomic
def product_cost_delete(*, team: Team, cost_id: int) -> ProductCost:
    """Delete one dated record of the team; ProductCost.DoesNotExist for another team's id."""
    record = ProductCost.objects.select_for_update().get(team=team, id=cost_id)
    record.delete()
    sku_window_costs_refresh(skus=[record.sku])
    costs_changed.send(sender=ProductCost, team_id=team.id, skus=[record.sku])
    return record


# --- Large files, read by a job -----------------------------------------------------------------

# An upload waits this long for its job; the job deletes it once read.
UPLOAD_LIFETIME = timedelta(days=1)


def cost_import_in_a_job(upload: UploadedFile) -> bool:
    """Whether a file is large enough to be read by a worker rather than in the request: past
    COST_IMPORT_INLINE_MAX_BYTES, or (for text) past COST_IMPORT_INLINE_MAX_ROWS lines. A file
    past the upload limit stays in the request, which refuses it at once."""
    size = upload.size or 0
    if size > MAX_UPLOAD_BYTES:
        return False
    if size > settings.COST_IMPORT_INLINE_MAX_BYTES:
        return True
    upload.seek(0)
    head = bytes(upload.read(len(XLSX_MAGIC)))
    upload.seek(0)
    if head == XLSX_MAGIC or (upload.name or "").lower().endswith(".xlsx"):
        return False  # a workbook of a megabyte or less is read quickly, and bounded as it is read
    lines: int = sum(bytes(chunk).count(b"\n") for chunk in upload.chunks())
    upload.seek(0)
    return lines > int(settings.COST_IMPORT_INLINE_MAX_ROWS)


@transaction.atomic
def cost_import_start(*, team: Team, actor: User, upload: UploadedFile) -> CostImport:
    """Store the file and queue the job that reads it; ImportFileError past the upload limit."""
    name = upload.name or "costs"
    try:
        stored = file_store(
            team_id=team.id,
            kind="cost-import",
            name=name,
            content_type=upload.content_type or "application/octet-stream",
            chunks=upload.chunks(),
            lifetime=UPLOAD_LIFETIME,
            created_by_id=actor.id,
            max_bytes=MAX_UPLOAD_BYTES,
        )
    except FileTooLarge:
        raise ImportFileError(TOO_LARGE) from None
    record = CostImport.objects.create(team=team, created_by=actor, name=name[:255], upload=stored)
    from ams.procurement.tasks import cost_import  # the task module imports this one

    # In this transaction: the job exists if and only if the file and its record do.
    cost_import.defer(team_id=team.id, import_id=record.id)
    return record


def _mark(team_id: int, import_id: int, **values: object) -> None:
    with team_scope(team_id):
        CostImport.objects.filter(id=import_id).update(**values)


def cost_import_run(*, team_id: int, import_id: int) -> None:
    """Read, check and save the stored file, as the request does with a small one."""
    with team_scope(team_id):
        record = (
            CostImport.objects.select_related("upload", "created_by").filter(id=import_id).first()
        )
    if record is None or not record.is_active:
        return
    if record.upload is None:  # expired before a worker took it
        _mark(
            team_id,
            import_id,
            status=CostImportStatus.FAILED,
            error="The file expired before it could be read. Upload it again.",
            finished_at=timezone.now(),
        )
        return
    _mark(team_id, import_id, status=CostImportStatus.RUNNING, rows_done=0)
    upload = record.upload
    try:
        with team_scope(team_id):
            team = Team.objects.get(id=team_id)
            with (
                file_open(upload) as data,
                ProgressWriter(CostImport, import_id, team_id=team_id) as progress,
            ):
                rows, rejected = check_rows(
                    _counted(read_rows(data, record.name), progress.step),
                    known_skus=selectors.synced_skus(team),
                )
            result = product_costs_import(
                team=team, actor=record.created_by, rows=rows, rejected=rejected
            )
            CostImport.objects.filter(id=import_id).update(
                status=CostImportStatus.DONE,
                rows_done=progress.done,
                imported=result.imported,
                rejected=[asdict(r) for r in result.rejected],
                finished_at=timezone.now(),
                upload=None,
            )
            StoredFile.objects.filter(id=upload.id).delete()
    except ImportFileError as refused:
        # The seller's file, not a fault of the job: the result page says what to change.
        _mark(
            team_id,
            import_id,
            status=CostImportStatus.FAILED,
            error=str(refused)[:500],
            finished_at=timezone.now(),
        )
    except Exception:
        _mark(
            team_id,
            import_id,
            status=CostImportStatus.FAILED,
            error="The file could not be imported. Try again; if it fails again, contact support.",
            finished_at=timezone.now(),
        )
        raise


def _counted(
    rows: Iterator[tuple[int, dict[str, Any]]], step: Callable[[], None]
) -> Iterator[tuple[int, dict[str, Any]]]:
    for row in rows:
        step()
        yield row
