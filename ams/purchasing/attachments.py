"""Documents kept with a purchase order: the supplier's proforma and invoice, the packing list,
the bill of lading, test reports, photos of the goods.

A file is accepted by what its first bytes say it is, not by the type the browser claims, and
only as one of the kinds a seller trades with suppliers (PDF, images, spreadsheets, Word, plain
text); it is served back as a download with that type, never shown inline, so an uploaded page
cannot run in AMS's origin. The bytes are a team file with no end (``ams.core.files``), under the
team's row-level security, deleted with the attachment or the team.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from ams.accounts.models import User
from ams.core.files import FileTooLarge, file_delete, file_store
from ams.purchasing.errors import PurchasingError
from ams.purchasing.models import AttachmentKind, PurchaseOrder, PurchaseOrderAttachment
from ams.teams.models import Team

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS_PER_ORDER = 50

# (first bytes, the file name's endings, the type it is served as)
_SIGNATURES: tuple[tuple[bytes, tuple[str, ...], str], ...] = (
    (b"%PDF-", (".pdf",), "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", (".png",), "image/png"),
    (b"\xff\xd8\xff", (".jpg", ".jpeg"), "image/jpeg"),
    (
        b"PK\x03\x04",
        (".xlsx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        b"PK\x03\x04",
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
)
_TEXT = {".csv": "text/csv", ".txt": "text/plain"}
ACCEPTED = ".pdf, .png, .jpg, .xlsx, .docx, .csv, .txt"


def content_type(head: bytes, name: str) -> str | None:
    """The type a file is, from its first bytes and its name; None for any other file."""
    lowered = name.lower()
    for magic, endings, kind in _SIGNATURES:
        if head.startswith(magic) and lowered.endswith(endings):
            return kind
    for ending, kind in _TEXT.items():
        if lowered.endswith(ending) and b"\x00" not in head:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.start < len(head) - 4:  # not just a character cut at the sample's end
                    return None
            return kind
    return None


@transaction.atomic
def attachment_add(
    *, team: Team, order_id: int, actor: User | None, upload: UploadedFile, kind: str
) -> PurchaseOrderAttachment:
    """Keep ``upload`` with the order; PurchasingError (and nothing stored) for a file of a type
    AMS does not keep, too large, or one too many."""
    order = PurchaseOrder.objects.select_for_update().get(team=team, pk=order_id)
    if kind not in AttachmentKind.values:
        raise PurchasingError("Choose what the document is.")
    if PurchaseOrderAttachment.objects.filter(team=team, order=order).count() >= (
        MAX_ATTACHMENTS_PER_ORDER
    ):
        raise PurchasingError(
            f"An order keeps at most {MAX_ATTACHMENTS_PER_ORDER} documents: remove one first."
        )
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise PurchasingError(_too_large())
    upload.seek(0)
    head = bytes(upload.read(2048))
    upload.seek(0)
    name = upload.name or "document"
    served_as = content_type(head, name)
    if served_as is None:
        raise PurchasingError(
            f"AMS keeps PDF, image, spreadsheet, Word and text files ({ACCEPTED})."
        )
    try:
        stored = file_store(
            team_id=team.id,
            kind="po_attachment",
            name=name,
            content_type=served_as,
            chunks=upload.chunks(),
            lifetime=None,
            created_by_id=actor.pk if actor else None,
            max_bytes=MAX_ATTACHMENT_BYTES,
        )
    except FileTooLarge:
        raise PurchasingError(_too_large()) from None
    return PurchaseOrderAttachment.objects.create(
        team=team, order=order, file=stored, kind=kind, created_by=actor
    )


def _too_large() -> str:
    return f"The file is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB."


@transaction.atomic
def attachment_remove(*, team: Team, order_id: int, attachment_id: int) -> PurchaseOrderAttachment:
    attachment = PurchaseOrderAttachment.objects.select_related("file").get(
        team=team, order_id=order_id, pk=attachment_id
    )
    file_delete(attachment.file)  # the attachment row goes with its file (CASCADE)
    return attachment
