"""Settlement files as sellers keep them: downloaded from Seller Central over the years, in
either layout (V1, V2), in their marketplace's encoding, perhaps gzipped or zipped together.

Each document inside a file is read as the sync reads a settlement report
(``ams.sync.parsers.finance.SettlementRows``), streamed, and checked as a whole: one
settlement, one summary row, every row readable, and the lines adding up to the summary's total
to the cent. A document that fails any check is refused whole with the reason; what to do with
the rows of one that passes is the caller's (the upload job stores them, ``settlement_check``
only prints the outcome).

Encodings: UTF-8 (with or without a BOM) and, line by line where a line is not UTF-8, cp1252
(NA and EU files), as the sync reads reports; Shift_JIS (cp932, JP files) when the start of the
document decodes as it and holds kana; UTF-16 with its BOM (what a spreadsheet's "Unicode text"
writes). Archives: gzip, and zip with one or many documents (each read on its own).
"""

from __future__ import annotations

import codecs
import gzip
import itertools
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO

from ams.finance.writers import SettlementRow
from ams.sync.parsers.finance import SETTLEMENT_COMMON, SettlementRows, settlement_layout
from ams.sync.parsers.flatfile import (
    Line,
    MissingColumns,
    Parsed,
    Rejected,
    parse,
    split_lines,
)

CENT = Decimal("0.01")
READ_BYTES = 1024 * 1024
# How much of a document's start decides its encoding.
SAMPLE_BYTES = 64 * 1024
# How many unreadable rows a refusal names.
NAMED_REJECTS = 3
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# A zip member that makes the archive a spreadsheet workbook, not a bundle of reports.
WORKBOOK_MEMBER = "[Content_Types].xml"


class Unreadable(Exception):
    """The bytes of a document cannot be read (a broken archive, binary content); the message
    is the reason the seller sees."""


@dataclass(frozen=True)
class Source:
    """One document found in a file: its name and its (decompressed) bytes."""

    name: str
    chunks: Iterable[bytes]


# --- files → documents -----------------------------------------------------------------------------


def sources(name: str, stream: IO[bytes]) -> Iterator[Source]:
    """The documents of a file: the file itself, what a gzip holds, or each file a zip holds."""
    head = _peek(stream, 4)
    if head.startswith(ZIP_MAGICS):
        yield from _zip_sources(name, stream)
    elif head.startswith(GZIP_MAGIC):
        inner = name.removesuffix(".gz").removesuffix(".gzip") or name
        yield Source(inner, _gunzip(stream))
    else:
        yield Source(name, _read(stream))


def _peek(stream: IO[bytes], size: int) -> bytes:
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return bytes(peek(size)[:size])
    position = stream.tell()
    head = stream.read(size)
    stream.seek(position)
    return head


def _read(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(READ_BYTES):
        yield chunk


def _gunzip(stream: IO[bytes]) -> Iterator[bytes]:
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as unzipped:
            yield from _read(unzipped)  # type: ignore[arg-type]
    except EOFError:
        raise Unreadable("the gzip file ends early: it was cut short") from None
    except (OSError, zlib.error) as exc:
        raise Unreadable(f"not valid gzip data ({exc})") from None


def _zip_sources(name: str, stream: IO[bytes]) -> Iterator[Source]:
    seekable = stream
    spool = None
    if not stream.seekable():
        # A zip's directory is at its end: it needs a seekable copy (on disk past a few MB).
        spool = tempfile.SpooledTemporaryFile(max_size=8 * READ_BYTES)  # noqa: SIM115
        shutil.copyfileobj(stream, spool, READ_BYTES)
        spool.seek(0)
        seekable = spool
    try:
        try:
            archive = zipfile.ZipFile(seekable)
        except (zipfile.BadZipFile, OSError) as exc:
            yield Source(name, _Failing(f"not a readable zip archive ({exc}); was it cut short?"))
            return
        with archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and not info.filename.startswith("__MACOSX/")
                and not info.filename.rsplit("/", 1)[-1].startswith(".")
            ]
            if any(info.filename == WORKBOOK_MEMBER for info in members):
                yield Source(
                    name,
                    _Failing(
                        "a spreadsheet workbook, not a settlement report: save it as tab-delimited text"
                    ),
                )
                return
            if not members:
                yield Source(name, _Failing("the zip archive holds no file"))
            for info in members:
                yield Source(f"{name}/{info.filename}", _zip_member(archive, info))
    finally:
        if spool is not None:
            spool.close()


def _zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    try:
        with archive.open(info) as member:
            head = _peek(member, 4)
            if head.startswith(GZIP_MAGIC):
                yield from _gunzip(member)
            elif head.startswith(ZIP_MAGICS):
                raise Unreadable("a zip archive inside the zip archive: unpack it first")
            else:
                yield from _read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise Unreadable(f"this file of the zip archive cannot be read ({exc})") from None


class _Failing:
    """The bytes of a document that cannot be read: reading them raises why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __iter__(self) -> Iterator[bytes]:
        raise Unreadable(self.reason)


# --- bytes → lines ---------------------------------------------------------------------------------


def decoded_lines(chunks: Iterable[bytes]) -> tuple[str, Iterator[Line | Rejected]]:
    """The document's encoding (as reported) and its lines, decided from its first bytes."""
    iterator = iter(chunks)
    sample = b""
    for chunk in iterator:
        sample += chunk
        if len(sample) >= SAMPLE_BYTES:
            break
    rest = itertools.chain([sample], iterator)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", split_lines(_transcode(rest, "utf-16"), "utf-8")
    if b"\x00" in sample:
        raise Unreadable("not a text file (it holds binary data)")
    if _is_utf8(sample):
        return "utf-8", split_lines(rest)
    if _is_japanese(sample):
        return "cp932", split_lines(rest, "cp932")
    # What Amazon's NA and EU files use when they are not UTF-8; a line that is UTF-8 after all
    # (a file put together from several) is still read as UTF-8.
    return "cp1252", split_lines(rest)


def _is_utf8(sample: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _is_japanese(sample: bytes) -> bool:
    """Whether the sample reads as Shift_JIS holding kana, which Japanese text always does and
    Latin text read as Shift_JIS almost never does. A stray undecodable byte does not decide it
    (its line is refused alone), many do."""
    text = codecs.getincrementaldecoder("cp932")(errors="replace").decode(sample, final=False)
    kana = sum(1 for c in text if "\u3040" <= c <= "\u30ff")
    return kana > 0 and text.count("\ufffd") * 10 <= kana


def _transcode(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in chunks:
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not valid {encoding} ({exc.reason})") from None


class _Tail:
    """Passes chunks through, remembering whether the last one ended a line."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.ends_line = True

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            if chunk:
                self.ends_line = chunk.endswith(b"\n")
                yield chunk


# --- lines → a settlement --------------------------------------------------------------------------


@dataclass
class SettlementCheck:
    """What a document is: its settlement and whether its lines add up to its total.

    ``rows`` counts the settlement's amounts (the lines stored), ``quarantined`` the rows that
    could not be read. ``error`` is empty for a document that can be stored."""

    file: str
    format: str = ""
    encoding: str = ""
    settlement_id: str = ""
    currency: str = ""
    total: Decimal | None = None
    lines_sum: Decimal = Decimal("0.00")
    rows: int = 0
    quarantined: int = 0
    error: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    deposit_at: datetime | None = None
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def reconciled(self) -> bool:
        return not self.error and self.total is not None and self.total == self.lines_sum

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "format": self.format or None,
            "settlement_id": self.settlement_id or None,
            "currency": self.currency or None,
            "total": _cents(self.total),
            "lines_sum": _cents(self.lines_sum),
            "reconciled": self.reconciled,
            "rows": self.rows,
            "quarantined": self.quarantined,
            "error": self.error or None,
        }


def _cents(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


class SettlementReader:
    """One document read as a settlement: iterate for its rows (the summary, then each amount),
    then read ``check``. A document refused before its first row yields nothing; one refused
    later has yielded rows the caller must throw away (``check.error``)."""

    def __init__(self, source: Source, *, report_id: str = "") -> None:
        self.source = source
        self.check = SettlementCheck(file=source.name)
        self._convert = SettlementRows(report_id or source.name[-80:])
        self._ids: set[str] = set()
        self._currencies: set[str] = set()
        self._summaries = 0

    def __iter__(self) -> Iterator[SettlementRow]:
        check = self.check
        tail = _Tail(self.source.chunks)
        try:
            check.encoding, lines = decoded_lines(tail)
            header, lines = _header(lines)
            layout = settlement_layout(header)
            if layout is None:
                check.error = _not_settlement(header)
                return
            check.format = layout
            parsed = parse(lines, required=SETTLEMENT_COMMON, convert=self._convert.rows)
            for item in parsed:
                if isinstance(item, Rejected):
                    check.quarantined += 1
                    if len(check.rejected) < NAMED_REJECTS:
                        check.rejected.append(item)
                    continue
                for row in _rows(item):
                    self._take(row)
                    yield row
        except Unreadable as exc:
            check.error = str(exc)
            return
        except MissingColumns:
            check.error = "not a settlement report (the file is empty or has no readable header)"
            return
        check.error = self._verdict(cut_short=not tail.ends_line)

    def _take(self, row: SettlementRow) -> None:
        check = self.check
        self._ids.add(row.settlement_id)
        if row.is_summary:
            self._summaries += 1
            check.settlement_id = check.settlement_id or row.settlement_id
            check.currency = check.currency or row.currency
            check.total = row.total_amount
            check.starts_at, check.ends_at = row.starts_at, row.ends_at
            check.deposit_at = row.deposit_at
        else:
            check.rows += 1
            check.lines_sum += row.amount or 0
            if row.currency:
                self._currencies.add(row.currency)

    def _verdict(self, *, cut_short: bool) -> str:
        check = self.check
        check.lines_sum = check.lines_sum.quantize(CENT)
        if check.total is not None:
            check.total = check.total.quantize(CENT)
        if len(self._ids) > 1:
            ids = sorted(self._ids)
            return (
                f"the file mixes settlements ({', '.join(ids[:3])}{'…' if len(ids) > 3 else ''}): "
                "one settlement per file"
            )
        if cut_short and (check.quarantined or not check.reconciled):
            return "the file ends in the middle of a line: it was cut short"
        if check.quarantined:
            named = "; ".join(f"line {r.line_number}: {r.reason}" for r in check.rejected)
            return f"{check.quarantined} row(s) could not be read ({named})"
        if self._summaries == 0:
            return "no summary row (the row with the settlement's total-amount)"
        if self._summaries > 1:
            return f"{self._summaries} summary rows where a settlement has one"
        others = self._currencies - {check.currency}
        if others and check.currency:
            return f"lines in {', '.join(sorted(others))} in a settlement paid in {check.currency}"
        if not check.currency:
            if len(self._currencies) != 1:
                return "the settlement's currency is not given"
            check.currency = next(iter(self._currencies))
        if check.total != check.lines_sum:
            return (
                f"the lines add up to {check.lines_sum} {check.currency}, "
                f"the summary's total is {check.total} {check.currency}"
            )
        return ""


def _header(lines: Iterator[Line | Rejected]) -> tuple[list[str], Iterator[Line | Rejected]]:
    """The first non-blank line's cells, and the lines again from that one."""
    for line in lines:
        if isinstance(line, Rejected):
            raise Unreadable(f"the first line cannot be read ({line.reason})")
        if line.text.strip():
            return [c.strip() for c in line.text.split("\t")], itertools.chain([line], lines)
    raise Unreadable("the file is empty")


def _not_settlement(header: list[str]) -> str:
    if len(header) < 2:
        return "not a settlement report (not a tab-separated file with Amazon's column names)"
    missing = [c for c in SETTLEMENT_COMMON if c not in header]
    if missing:
        return "not a settlement report (no column " + ", ".join(f"'{m}'" for m in missing) + ")"
    return "not a settlement report (no amount columns: neither 'amount' nor V1's '…-amount')"


def _rows(item: Parsed[list[SettlementRow]]) -> list[SettlementRow]:
    return item.value


def check_file(name: str, stream: IO[bytes]) -> list[SettlementCheck]:
    """Read every document of a file to its end, keeping nothing but the outcome."""
    checks = []
    for source in sources(name, stream):
        reader = SettlementReader(source)
        for _row in reader:
            pass
        checks.append(reader.check)
    return checks
