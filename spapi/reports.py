"""The reports pipeline: create → poll → getReportDocument → stream → gunzip → decode → rows.

A report document can be hundreds of megabytes, so nothing here holds one whole: bytes come
off the socket in chunks, go through an incremental gunzip and an incremental decoder, are cut
into lines and split into cells, and each row is yielded as a ``dict`` keyed by header name
(Amazon adds, renames, reorders and localises columns; positions are never reliable).

Failure modes surface as their own errors:

* the report ended ``CANCELLED`` or ``FATAL`` → :class:`~spapi.errors.ReportFailed`;
* the presigned URL expired (5 minutes) → :class:`~spapi.errors.DocumentExpired`, handled by
  :func:`iter_report_rows` by fetching a new URL once;
* the download stopped early, or the gzip stream has no end →
  :class:`~spapi.errors.DocumentTruncated`.  Rows already yielded were real, but the caller
  must treat the document as incomplete (AMS stages rows and commits only after the last one).
"""

from __future__ import annotations

import codecs
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import TYPE_CHECKING, Any

from spapi.errors import (
    BadResponse,
    DocumentExpired,
    DocumentTruncated,
    NotFound,
    ReportFailed,
    ReportTimeout,
    ServerError,
    TransportError,
)
from spapi.http import HttpClient, Timeout
from spapi.redact import get_logger, redact

if TYPE_CHECKING:
    from spapi.client import SpApiClient

logger = get_logger(__name__)

DONE = "DONE"
CANCELLED = "CANCELLED"
FATAL = "FATAL"
IN_QUEUE = "IN_QUEUE"
IN_PROGRESS = "IN_PROGRESS"

DEFAULT_ENCODING = "utf-8"
FALLBACK_ENCODING = "cp1252"

# Charset names Amazon sends that Python does not know by that name.
_CHARSET_ALIASES = {
    "windows-31j": "cp932",
    "ms932": "cp932",
    "shift_jis": "cp932",  # Amazon JP files are Windows-31J, a superset of Shift_JIS
    "x-sjis": "cp932",
}


def normalize_charset(charset: str | None) -> str | None:
    """A Python codec name for a Content-Type charset, or ``None`` if unknown."""
    if not charset:
        return None
    name = _CHARSET_ALIASES.get(charset.strip().strip('"').lower(), charset.strip().strip('"'))
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    param = message.get_param("charset")
    return normalize_charset(param if isinstance(param, str) else None)


@dataclass(frozen=True, slots=True)
class ReportDocument:
    """What getReportDocument returned.  The URL is a bearer credential for 5 minutes, so the
    repr shows it with its signature masked."""

    report_document_id: str
    url: str
    compression_algorithm: str | None = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ReportDocument:
        url = payload.get("url")
        document_id = payload.get("reportDocumentId")
        if not isinstance(url, str) or not isinstance(document_id, str):
            raise BadResponse(
                "getReportDocument response without url or reportDocumentId",
                operation="reports_2021-06-30.getReportDocument",
            )
        compression = payload.get("compressionAlgorithm")
        return cls(document_id, url, compression if isinstance(compression, str) else None)

    def __repr__(self) -> str:
        return (
            f"ReportDocument(report_document_id={self.report_document_id!r}, "
            f"url={redact(self.url)!r}, compression_algorithm={self.compression_algorithm!r})"
        )

    __str__ = __repr__


# --- create and poll ----------------------------------------------------------------------------


def wait_for_report(
    client: SpApiClient,
    report_id: str,
    *,
    poll_interval: float = 10.0,
    max_poll_interval: float = 120.0,
    timeout: float = 2 * 3600.0,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Poll getReport until the report is DONE and return it.

    The interval grows by half each poll up to ``max_poll_interval``: most reports finish in
    seconds to minutes, some large ones take an hour, and getReport has its own usage plan.
    """
    sleep = sleep or client.sleep
    deadline = clock() + timeout
    interval = poll_interval
    while True:
        report = client.get_report(report_id)
        status = report.get("processingStatus")
        if status == DONE:
            return report
        if status in (CANCELLED, FATAL):
            document_id = report.get("reportDocumentId")
            raise ReportFailed(
                f"report {report_id} ended {status}",
                report_id=report_id,
                processing_status=str(status),
                report_document_id=document_id if isinstance(document_id, str) else None,
            )
        if status not in (IN_QUEUE, IN_PROGRESS):
            raise BadResponse(
                f"report {report_id}: unexpected processingStatus {status!r}",
                operation="reports_2021-06-30.getReport",
            )
        if clock() + interval > deadline:
            raise ReportTimeout(f"report {report_id} still {status} after {timeout:.0f}s")
        sleep(interval)
        interval = min(max_poll_interval, interval * 1.5)


def request_report(
    client: SpApiClient,
    report_type: str,
    *,
    marketplace_ids: Sequence[str],
    data_start_time: datetime | None = None,
    data_end_time: datetime | None = None,
    report_options: Mapping[str, str] | None = None,
    **wait: Any,
) -> dict[str, Any]:
    """createReport, then :func:`wait_for_report`; returns the DONE report."""
    created = client.create_report(
        report_type,
        marketplace_ids=marketplace_ids,
        data_start_time=data_start_time,
        data_end_time=data_end_time,
        report_options=report_options,
    )
    report_id = created.get("reportId")
    if not isinstance(report_id, str):
        raise BadResponse("createReport response without reportId", operation="createReport")
    return wait_for_report(client, report_id, **wait)


# --- download and parse -------------------------------------------------------------------------


def gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Incrementally decompress a gzip stream (several members allowed).

    A stream that stops before the gzip trailer raises :class:`DocumentTruncated`: without
    this check a cut-off download would look like a shorter, valid report.
    """
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    in_member = False
    members = 0
    for chunk in chunks:
        data = chunk
        while data:
            in_member = True
            try:
                out = decompressor.decompress(data)
            except zlib.error as exc:
                raise BadResponse(f"report document is not valid gzip: {exc}") from None
            if out:
                yield out
            if decompressor.eof:
                # A new member may follow the end of the previous one.
                members += 1
                in_member = False
                data = decompressor.unused_data
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = b""
    if in_member or members == 0:
        raise DocumentTruncated("report document ends inside the gzip stream")


def decode(
    chunks: Iterable[bytes], encoding: str | None = None, *, fallback: str = FALLBACK_ENCODING
) -> Iterator[str]:
    """Incrementally decode ``chunks``.

    With an explicit ``encoding`` (from the Content-Type charset or the caller) decoding is
    strict.  Without one, UTF-8 is tried and the stream switches to ``fallback`` (cp1252, what
    Amazon's EU and NA flat files use when they are not UTF-8) at the first invalid byte; text
    already yielded was valid UTF-8, which for these files means ASCII, identical in cp1252.
    """
    decoder = codecs.getincrementaldecoder(encoding or DEFAULT_ENCODING)("strict")
    can_fall_back = encoding is None
    first = True
    for chunk in chunks:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            if not can_fall_back:
                raise BadResponse(f"report document is not valid {encoding}") from None
            logger.info("report document is not UTF-8; decoding as %s", fallback)
            # A failed decode() leaves the decoder's buffer as it was before the call.
            pending = decoder.getstate()[0] + chunk
            decoder = codecs.getincrementaldecoder(fallback)("replace")
            can_fall_back = False
            text = decoder.decode(pending)
        if first and text:
            text = text.removeprefix("\ufeff")  # a BOM is not part of the first header
            first = False
        if text:
            yield text
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise DocumentTruncated("report document ends inside a multi-byte character") from None
    if tail:
        yield tail


def lines(texts: Iterable[str]) -> Iterator[str]:
    """Split decoded text into lines without their ``\\n`` / ``\\r\\n`` terminators.

    ``str.splitlines`` is not used: it also splits on characters such as U+2028 and U+001C that
    can occur inside a product title.
    """
    pending = ""
    for text in texts:
        pending += text
        if "\n" not in text:
            continue
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line.removesuffix("\r")
    if pending:
        yield pending.removesuffix("\r")


def rows(lines_: Iterable[str], *, delimiter: str = "\t") -> Iterator[dict[str, str]]:
    """Rows of a flat file as dicts keyed by (stripped) header name.

    Flat files are not quoted (a ``"`` is data) and cells may contain stray carriage returns,
    so lines are split on the delimiter rather than fed to :mod:`csv`, which would treat a
    leading quote as quoting and reject a CR.  Missing trailing cells read as ``""``; cells
    beyond the header are dropped.  Blank lines are skipped.
    """
    iterator = iter(lines_)
    header: list[str] | None = None
    for line in iterator:
        if line.strip():
            header = [name.strip() for name in line.split(delimiter)]
            break
    if header is None:
        return
    width = len(header)
    for line in iterator:
        if not line.strip():
            continue
        cells = line.split(delimiter)
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield dict(zip(header, cells, strict=False))


def _is_gzip(document: ReportDocument, headers: Mapping[str, str]) -> bool:
    if (document.compression_algorithm or "").upper() == "GZIP":
        return True
    # enableContentEncodingUrlHeader=true: S3 labels the body instead.  The body is read raw,
    # so it is decompressed here exactly once either way.
    return headers.get("content-encoding", "").lower() == "gzip"


def _raise_for_download(status: int, body: bytes, document: ReportDocument) -> None:
    snippet = body[:300].decode("utf-8", errors="replace")
    if status == 403 or (status == 400 and "expired" in snippet.lower()):
        # S3: 403 AccessDenied "Request has expired" once X-Amz-Expires (300 s) has passed.
        raise DocumentExpired(
            f"report document URL rejected ({status}): {redact(snippet[:160])}",
            status=status,
            code="RequestExpired" if "expired" in snippet.lower() else "AccessDenied",
            operation="downloadReportDocument",
        )
    if status == 404:
        raise NotFound(
            f"report document {document.report_document_id} not found",
            status=status,
            operation="downloadReportDocument",
        )
    if status >= 500:
        raise ServerError(
            f"report document download failed ({status})",
            status=status,
            operation="downloadReportDocument",
        )
    raise BadResponse(
        f"report document download answered {status}: {redact(snippet[:160])}",
        status=status,
        operation="downloadReportDocument",
    )


def _raw_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except TransportError as exc:
        raise DocumentTruncated(f"report document download stopped: {exc.message}") from None


def iter_document_lines(
    http: HttpClient,
    document: ReportDocument,
    *,
    encoding: str | None = None,
    timeout: Timeout | None = None,
) -> Iterator[str]:
    """Stream the document's decoded lines.  No SP-API header is sent to the presigned URL.

    ``encoding`` overrides the charset; otherwise the Content-Type charset is used, else UTF-8
    with the cp1252 fallback.  Pass ``"cp932"`` for Japanese documents without a charset.
    """
    with http.stream(document.url, timeout=timeout) as response:
        if response.status != 200:
            _raise_for_download(response.status, response.read_prefix(4096), document)
        chosen = encoding or charset_from_content_type(response.headers.get("content-type"))
        chunks: Iterable[bytes] = _raw_chunks(response.iter_raw())
        if _is_gzip(document, response.headers):
            chunks = gunzip(chunks)
        yield from lines(decode(chunks, chosen))


class DocumentBytes:
    """A report document's bytes, gunzipped, as they arrive: getReportDocument, then the
    download, read again from the start each time it is iterated. ``charset`` is the one the
    download declares (None if it declares none), known once iteration has begun. For a reader
    that cuts and decodes the bytes itself; :func:`iter_report_rows` gives rows."""

    def __init__(self, client: SpApiClient, report_document_id: str) -> None:
        self.client = client
        self.report_document_id = report_document_id
        self.charset: str | None = None

    def declared_charset(self) -> str | None:
        return self.charset

    def __iter__(self) -> Iterator[bytes]:
        client = self.client
        document = ReportDocument.from_payload(client.get_report_document(self.report_document_id))
        with client.http.stream(document.url, timeout=client.timeout) as response:
            if response.status != 200:
                _raise_for_download(response.status, response.read_prefix(4096), document)
            self.charset = charset_from_content_type(response.headers.get("content-type"))
            chunks: Iterable[bytes] = _raw_chunks(response.iter_raw())
            if _is_gzip(document, response.headers):
                chunks = gunzip(chunks)
            yield from chunks


def iter_document_rows(
    http: HttpClient,
    document: ReportDocument,
    *,
    encoding: str | None = None,
    delimiter: str = "\t",
    timeout: Timeout | None = None,
) -> Iterator[dict[str, str]]:
    """Stream the document's rows as dicts keyed by header name."""
    return rows(
        iter_document_lines(http, document, encoding=encoding, timeout=timeout),
        delimiter=delimiter,
    )


def iter_report_rows(
    client: SpApiClient,
    report_document_id: str,
    *,
    encoding: str | None = None,
    delimiter: str = "\t",
    refetch_on_expiry: int = 1,
) -> Iterator[dict[str, str]]:
    """getReportDocument, then stream its rows.

    An expired URL is detected before the first row, so fetching a new one and starting over
    cannot duplicate rows; it is retried ``refetch_on_expiry`` times.
    """
    attempts = 0
    while True:
        document = ReportDocument.from_payload(client.get_report_document(report_document_id))
        lines_ = iter_document_lines(
            client.http, document, encoding=encoding, timeout=client.timeout
        )
        try:
            first = next(lines_, None)
        except DocumentExpired:
            if attempts >= refetch_on_expiry:
                raise
            attempts += 1
            logger.info("report document URL expired; fetching a new one")
            continue
        if first is None:
            return
        yield from rows(_prepend(first, lines_), delimiter=delimiter)
        return


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
