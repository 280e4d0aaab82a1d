"""Report lifecycle (IN_QUEUE → IN_PROGRESS → DONE/CANCELLED/FATAL), settlement reports on
Amazon's schedule, and presigned, expiring document URLs."""

from __future__ import annotations

import hashlib
import hmac
import queue
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spapi_sim import ids
from spapi_sim.reports import columns as C
from spapi_sim.reports.documents import DocumentSpec, estimated_rows, has_data, rows
from spapi_sim.world.finances import SettlementPeriod
from spapi_sim.world.history import DAY
from spapi_sim.world.seller import SellerWorld

if TYPE_CHECKING:
    from spapi_sim.config import SimConfig
    from spapi_sim.state import SimState

URL_SECONDS = 300
# The share of a report's processing time it spends IN_QUEUE before IN_PROGRESS.
QUEUE_SHARE = 0.25
# getReports only sees the last 90 days.
LISTING_DAYS = 90
_MAX_REPORTS = 5000
# Amazon posts the settlement report a couple of hours after the period closes.
SETTLEMENT_DELAY = 2 * 3600
# Rendered documents kept for download; past this the oldest are dropped and rendered again
# on demand.
RENDERED_BYTES = 256 * 1024 * 1024


@dataclass
class Report:
    report_id: str
    seller: str
    report_type: str
    marketplace_ids: list[str]
    spec: DocumentSpec
    created: int  # seconds on the seller's clock
    outcome: str  # the final status: DONE, CANCELLED or FATAL
    document_id: str | None
    data_start_given: bool
    data_end_given: bool
    polls: int = 0
    cancelled: bool = False
    options: dict[str, str] = field(default_factory=dict)
    # Seconds on the seller's clock when processing starts (IN_PROGRESS) and ends (final).
    started: int = 0
    ready: int = 0

    def status(self, now: int, report_polls: int) -> str:
        """Amazon builds a report in time, whether or not anyone polls. ``report_polls`` > 0
        (tests with a frozen clock) also lets each getReport call move it one step."""
        if self.cancelled:
            return "CANCELLED"
        polled = report_polls > 0
        if now >= self.ready or (polled and self.polls >= report_polls):
            return self.outcome
        if now >= self.started or (polled and self.polls >= 1):
            return "IN_PROGRESS"
        return "IN_QUEUE"


def processing_seconds(
    config: SimConfig, world: SellerWorld, spec: DocumentSpec, outcome: str
) -> int:
    """Simulated seconds from createReport to the final status: a base plus a part that grows
    with the rows. A report that fails or has no data ends after the base alone."""
    seconds = config.report_seconds
    if outcome == "DONE":
        seconds += config.report_seconds_per_1000_rows * estimated_rows(world, spec) / 1000
    return max(0, round(seconds))


class Rendering:
    """A document's gzip bytes as one background thread renders them. Amazon writes the file
    while it processes the report and a download then only moves bytes; a download that comes
    while the file is still being written follows it chunk by chunk."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.size = 0
        self.done = False
        self.failed = False
        self._chunks: list[bytes] = []
        self._changed = threading.Condition()

    def render(self, world: SellerWorld) -> None:
        try:
            for chunk in gzip_stream(rows(world, self.report.spec)):
                with self._changed:
                    self._chunks.append(chunk)
                    self.size += len(chunk)
                    self._changed.notify_all()
        except Exception:
            with self._changed:
                self.failed = True
                self._changed.notify_all()
            raise
        with self._changed:
            self.done = True
            self._changed.notify_all()

    def follow(self) -> Iterator[bytes]:
        index = 0
        while True:
            with self._changed:
                while index >= len(self._chunks) and not (self.done or self.failed):
                    self._changed.wait(1.0)
                if index < len(self._chunks):
                    chunk = self._chunks[index]
                elif self.failed:
                    # Stop without the gzip trailer: the client sees a download that broke off.
                    return
                else:
                    return
            index += 1
            yield chunk


class ReportStore:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._reports: OrderedDict[str, Report] = OrderedDict()
        self._documents: dict[str, Report] = {}
        self._counter = 0
        self._key = hashlib.sha256(f"{state.config.seed}|documents".encode()).digest()
        # Documents render one at a time, in the order their reports were requested (the order
        # a client needs them), on a thread started with the first report.
        self._renderings: OrderedDict[str, Rendering] = OrderedDict()
        self._to_render: queue.Queue[Rendering] = queue.Queue()
        self._renderer: threading.Thread | None = None

    # -- requested reports ------------------------------------------------------------------

    def create(
        self,
        world: SellerWorld,
        report_type: str,
        marketplace_ids: list[str],
        spec: DocumentSpec,
        outcome: str | None,
        data_start_given: bool,
        data_end_given: bool,
        options: dict[str, str],
    ) -> Report:
        with self._lock:
            self._counter += 1
            number = self._counter
        report_id = str(
            50_000_000_000 + ids.derive(self.state.config.seed, "report", number) % 49_999_999_999
        )
        if outcome is None:
            outcome = "DONE" if has_data(world, spec) else "CANCELLED"
        document_id = self._document_id(world, report_id) if outcome == "DONE" else None
        processing = processing_seconds(self.state.config, world, spec, outcome)
        report = Report(
            report_id=report_id,
            seller=world.selling_partner_id,
            report_type=report_type,
            marketplace_ids=marketplace_ids,
            spec=spec,
            created=spec.as_of,
            outcome=outcome,
            document_id=document_id,
            data_start_given=data_start_given,
            data_end_given=data_end_given,
            options=options,
            started=spec.as_of + round(processing * QUEUE_SHARE),
            ready=spec.as_of + processing,
        )
        with self._lock:
            self._reports[report_id] = report
            if document_id:
                self._documents[document_id] = report
            while len(self._reports) > _MAX_REPORTS:
                _, old = self._reports.popitem(last=False)
                if old.document_id:
                    self._documents.pop(old.document_id, None)
                    self._renderings.pop(old.document_id, None)
        if document_id:
            self._queue_rendering(report)
        return report

    # -- rendering --------------------------------------------------------------------------

    def _queue_rendering(self, report: Report) -> None:
        with self._lock:
            if self._renderer is None:
                self._renderer = threading.Thread(
                    target=self._render_forever, name="spapi-sim-documents", daemon=True
                )
                self._renderer.start()
        self._to_render.put(Rendering(report))

    def _render_forever(self) -> None:
        while True:
            rendering = self._to_render.get()
            assert rendering.report.document_id is not None
            with self._lock:
                self._renderings[rendering.report.document_id] = rendering
            try:
                rendering.render(self.state.sellers[rendering.report.seller])
            except Exception:  # dropped: a download renders it on demand instead
                with self._lock:
                    self._renderings.pop(rendering.report.document_id, None)
                continue
            with self._lock:
                total = sum(r.size for r in self._renderings.values())
                while total > RENDERED_BYTES and len(self._renderings) > 1:
                    _, dropped = self._renderings.popitem(last=False)
                    total -= dropped.size

    def document_body(
        self, world: SellerWorld, report: Report, *, truncate: bool
    ) -> Iterator[bytes]:
        """The document's gzip bytes: the rendered file (or the part written so far), else
        rendered now as it streams."""
        with self._lock:
            rendering = self._renderings.get(report.document_id or "")
        if rendering is None or truncate:
            return gzip_stream(rows(world, report.spec), truncate=truncate)
        return rendering.follow()

    def _document_id(self, world: SellerWorld, report_id: str) -> str:
        region = world.region.lower()
        return f"amzn1.spdoc.1.4.{region}.{ids.uuid_like(ids.derive(0, report_id))}.T{ids.alnum(int(report_id), 13)}.{report_id[-4:]}"

    def get(self, world: SellerWorld, report_id: str) -> Report | None:
        with self._lock:
            report = self._reports.get(report_id)
        if report is not None:
            return report if report.seller == world.selling_partner_id else None
        settlements = self.settlement_reports(world, by_id=report_id)
        return settlements[0] if settlements else None

    def all_for(self, world: SellerWorld) -> list[Report]:
        with self._lock:
            mine = [r for r in self._reports.values() if r.seller == world.selling_partner_id]
        return mine + self.settlement_reports(world)

    # -- settlement reports -----------------------------------------------------------------

    def settlement_reports(self, world: SellerWorld, by_id: str | None = None) -> list[Report]:
        """Settlement reports Amazon has generated in the last 90 days (closed periods only)."""
        now = self.state.now_seconds(world)
        result = []
        for period in world.ledger.periods(now):
            created = period.end + SETTLEMENT_DELAY
            if created > now or created < now - LISTING_DAYS * DAY:
                continue
            report_id = self.settlement_report_id(period)
            if by_id is not None and by_id != report_id:
                continue
            spec = DocumentSpec(
                C.SETTLEMENT_V2,
                (world.marketplaces.index(period.marketplace),),
                period.start,
                period.end,
                created,
                period,
            )
            document_id = self._document_id(world, report_id)
            report = Report(
                report_id,
                world.selling_partner_id,
                C.SETTLEMENT_V2,
                [period.marketplace.id],
                spec,
                created,
                "DONE",
                document_id,
                True,
                True,
                polls=99,
                started=created,
                ready=created,
            )
            with self._lock:
                self._documents[document_id] = report
            result.append(report)
        return result

    @staticmethod
    def settlement_report_id(period: SettlementPeriod) -> str:
        return str(10_000_000_000 + int(period.settlement_id) % 9_999_999_999)

    # -- documents --------------------------------------------------------------------------

    def document(self, world: SellerWorld, document_id: str) -> Report | None:
        with self._lock:
            report = self._documents.get(document_id)
        if report is None or report.seller != world.selling_partner_id:
            return None
        return report

    def signed_url(
        self, document_id: str, now_ms: int, *, expired: bool, content_encoding: bool
    ) -> str:
        # X-Amz-Date counts simulated seconds; the 300-second life is real time (see wall_ms).
        issued = now_ms // 1000 - (self.state.wall_ms(URL_SECONDS) // 1000 + 1 if expired else 0)
        flag = "1" if content_encoding else "0"
        signature = self._sign(document_id, issued, flag)
        return (
            f"{self.state.base_url}/documents/{document_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Date={issued}&X-Amz-Expires={URL_SECONDS}&X-Amz-SignedHeaders=host"
            f"&x-sim-encoding={flag}&X-Amz-Signature={signature}"
        )

    def _sign(self, document_id: str, issued: int, flag: str) -> str:
        message = f"{document_id}|{issued}|{flag}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def verify(
        self, document_id: str, issued: str, flag: str, signature: str, now_ms: int
    ) -> str | None:
        """None when the URL is valid, else S3's error code."""
        if not issued.isdigit() or not hmac.compare_digest(
            self._sign(document_id, int(issued), flag), signature
        ):
            return "SignatureDoesNotMatch"
        if int(issued) + self.state.wall_ms(URL_SECONDS) // 1000 < now_ms // 1000:
            return "AccessDenied"
        return None

    def find_document(self, document_id: str) -> tuple[SellerWorld, Report] | None:
        with self._lock:
            report = self._documents.get(document_id)
        if report is None:
            return None
        return self.state.sellers[report.seller], report


def gzip_stream(lines: Iterator[list[str]], truncate: bool = False) -> Iterator[bytes]:
    """Gzip the TSV rows as they are produced; ``truncate`` stops midway without the trailer."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    buffer: list[str] = []
    size = 0
    emitted = 0
    for row in lines:
        text = "\t".join(row) + "\n"
        buffer.append(text)
        size += len(text)
        if size >= 64 * 1024:
            chunk = compressor.compress("".join(buffer).encode("utf-8"))
            buffer.clear()
            size = 0
            if chunk:
                emitted += 1
                yield chunk
                if truncate and emitted >= 1:
                    return
    tail = compressor.compress("".join(buffer).encode("utf-8"))
    if truncate:
        # Cut the stream in the middle of the data: a download that broke off.
        data = tail + compressor.flush(zlib.Z_SYNC_FLUSH)
        yield data[: max(10, len(data) // 2)]
        return
    yield tail + compressor.flush()
