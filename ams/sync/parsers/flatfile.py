"""Amazon's tab-separated flat files, streamed line by line and read by header name.

Memory stays flat whatever the document's size: bytes are decompressed, cut into lines and
decoded one line at a time. A line that cannot be decoded, has more cells than the header, or
has a cell a converter refuses becomes a :class:`Rejected` with a reason, and the rest of the
file goes on; a document without a column the converter needs is refused whole
(:class:`MissingColumns`), because every row of it would be wrong the same way.

Amazon adds columns without notice and, with a localised account, can rename them; unknown
columns are ignored.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from spapi import reports as spapi_reports
from spapi.client import SpApiClient

T = TypeVar("T")

RAW_LIMIT = 1000
# The whitespace str.strip() removes, besides space and the separators tab and newline.
ODD_WHITESPACE = "\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_ODD_WHITESPACE = re.compile("[" + re.escape(ODD_WHITESPACE) + "]")
_ODD_ASCII = tuple(c for c in ODD_WHITESPACE if c.isascii())
# Amounts and counts beyond these are not real report values, and would not fit the columns
# (numeric(18,2), integer): a row holding one is refused, not the whole batch.
MONEY_LIMIT = Decimal(10) ** 12
INTEGER_LIMIT = 2**31


# A whole amount with its thousands grouped by commas: "1,234", "-12,345,678".
_GROUPED_WHOLE = re.compile(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+")


class RowError(ValueError):
    """A cell a converter cannot read; the message is the quarantine reason."""


class MissingColumns(ValueError):
    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__("the report has no column " + ", ".join(f"'{m}'" for m in self.missing))


@dataclass(frozen=True)
class Rejected:
    line_number: int
    reason: str
    raw: str

    def without_personal(self, header: Sequence[str]) -> Rejected:
        return Rejected(self.line_number, self.reason, without_personal(self.raw, header))


# Columns some of Amazon's flat files carry about the buyer (the all-orders report's ship-to
# city, state and postal code, Brazil's CPF; the order reports of applications granted personal
# data: names, addresses, emails, phones). AMS reads none of them, and a line kept to explain a
# refusal is kept without them (docs/architecture.md, Tenancy: no buyer data is stored).
PERSONAL_COLUMNS = frozenset(
    {
        "buyer-email",
        "buyer-name",
        "buyer-phone-number",
        "buyer-company-name",
        "buyer-tax-registration-id",
        "recipient-name",
        "ship-address-1",
        "ship-address-2",
        "ship-address-3",
        "ship-city",
        "ship-state",
        "ship-postal-code",
        "ship-phone-number",
        "bill-address-1",
        "bill-address-2",
        "bill-address-3",
        "bill-city",
        "bill-state",
        "bill-postal-code",
        "cpf",
    }
)


def without_personal(text: str, header: Sequence[str], delimiter: str = "\t") -> str:
    """The line with the buyer's cells emptied. Cells past the header's width cannot be placed,
    so they are dropped rather than risk keeping a shifted address."""
    cells = text.split(delimiter)
    kept = [
        "" if header[i].strip() in PERSONAL_COLUMNS else cell
        for i, cell in enumerate(cells[: len(header)])
    ]
    if len(cells) > len(header):
        kept.append(f"[{len(cells) - len(header)} more cells not kept]")
    return delimiter.join(kept)


@dataclass(frozen=True)
class Line:
    number: int
    text: str


# --- bytes → lines ---------------------------------------------------------------------------


def split_lines(chunks: Iterable[bytes], encoding: str | None = None) -> Iterator[Line | Rejected]:
    """Cut a byte stream into decoded lines; a line that cannot be decoded is rejected alone.

    With no declared charset a line that is not UTF-8 is read as cp1252, what Amazon's NA and
    EU files use when they are not UTF-8. A partial last line of a stream that breaks off is
    never yielded: the caller learns of the break from the exception.
    """
    pending = b""
    number = 0
    for chunk in chunks:
        pending += chunk
        if b"\n" not in chunk:
            continue
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            number += 1
            yield _decode_line(number, raw, encoding)
    if pending:
        number += 1
        yield _decode_line(number, pending, encoding)


def _decode_line(number: int, raw: bytes, encoding: str | None) -> Line | Rejected:
    raw = raw.removesuffix(b"\r")
    if number == 1:
        raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return Line(number, raw.decode(encoding or "utf-8"))
    except UnicodeDecodeError as exc:
        if encoding is None:
            return Line(number, raw.decode("cp1252", errors="replace"))
        return Rejected(
            number, f"not valid {encoding} at byte {exc.start}", raw[:RAW_LIMIT].decode("latin-1")
        )


def report_lines(client: SpApiClient, report_document_id: str) -> Iterator[Line | Rejected]:
    """getReportDocument, then stream the document's lines (gunzipped, decoded)."""
    download = spapi_reports.DocumentBytes(client, report_document_id)
    chunks = iter(download)
    first = next(chunks, b"")  # the download declares its charset as it starts
    yield from split_lines(itertools.chain([first], chunks), download.charset)


# --- bytes → blocks of COPY rows (the in-database path) ------------------------------------------


@dataclass(frozen=True)
class Block:
    """Complete lines of a flat file in PostgreSQL's COPY text format, UTF-8, tabs between cells.

    The block's first row is line ``first_line`` of the file. A line refused before the database
    sees it (not decodable in the charset the download declares) is in ``rejected`` and an empty
    row in ``data``, so row *k* of the block is always line ``first_line + k - 1``.
    """

    first_line: int
    lines: int
    data: bytes
    rejected: tuple[Rejected, ...] = ()
    # Whether a line may hold whitespace other than spaces around a cell (see ODD_WHITESPACE).
    odd_whitespace: bool = True


# How many times its size a block may grow to keep a group of lines together.
GROUP_LIMIT = 4


class BlockReader:
    """A flat file cut into blocks of about ``lines_per_block`` lines for ``COPY … FROM STDIN``.

    The work per byte is a handful of C-level passes over each block (split at the last newline,
    validate or transcode, escape), never a Python step per line, unless a block holds bytes that
    are not valid in its encoding: then that block is decoded line by line as :func:`split_lines`
    does. The header is read on construction (``header``, ``header_line``), so a document without
    a column the caller needs is refused before anything is written.

    A stream that breaks off yields the complete lines read so far as a last block, then raises:
    the partial last line is never yielded.

    ``keep_together`` names a column whose consecutive equal values stay in one block (the
    lines of an order), so that rows the upsert adds up are staged together.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        encoding: str | Callable[[], str | None] | None = None,
        *,
        lines_per_block: int = 20_000,
        keep_together: str | None = None,
    ) -> None:
        self._chunks = iter(chunks)
        self._encoding = encoding
        self.lines_per_block = max(1, lines_per_block)
        self._pending = b""
        self.header_line = ""
        self.header: list[str] = []
        self._read_header()
        # The position of the column (the last of that name, as rows are read), if the file has it.
        self._together = max(
            (i for i, name in enumerate(self.header) if name == keep_together), default=None
        )

    @property
    def encoding(self) -> str | None:
        return self._encoding() if callable(self._encoding) else self._encoding

    def _read_header(self) -> None:
        """The first non-blank line. Leaves ``_pending`` at the start of the next line."""
        number = 0
        while True:
            while b"\n" not in self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._pending += chunk
            raw, newline, self._pending = self._pending.partition(b"\n")
            number += 1
            line = _decode_line(number, raw, self.encoding)
            if isinstance(line, Rejected):
                raise MissingColumns(["a readable header"])
            if line.text.strip() or not newline:
                self.header_line = line.text
                self.header = [name.strip() for name in line.text.split("\t")]
                self._next_line = number + 1
                return

    def __iter__(self) -> Iterator[Block]:
        lines: list[bytes] = []
        count = 0
        try:
            # The empty chunk first: what reading the header left over is cut like any chunk.
            for chunk in itertools.chain([b""], self._chunks):
                self._pending += chunk
                cut = self._pending.rfind(b"\n")
                if cut < 0:
                    continue
                complete, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
                lines.append(complete)
                count += complete.count(b"\n")
                if count >= self.lines_per_block:
                    data = b"".join(lines)
                    cut = self._group_start(data)
                    if cut == 0:
                        # One group so far: the block grows until it ends, within a bound
                        # (a column that never changes must not hold the whole file).
                        if count < GROUP_LIMIT * self.lines_per_block:
                            lines = [data]
                            continue
                        cut = len(data)
                    yield self._block(data[:cut], count - data.count(b"\n", cut))
                    lines = [data[cut:]] if cut < len(data) else []
                    count = data.count(b"\n", cut)
        except Exception:
            if lines:
                yield self._block(b"".join(lines), count)
            raise
        if self._pending:
            lines.append(self._pending + b"\n")
            count += 1
            self._pending = b""
        if lines:
            yield self._block(b"".join(lines), count)

    def _group_start(self, data: bytes) -> int:
        """Where the last run of lines sharing the ``keep_together`` cell begins in ``data``
        (whole lines): 0 when that run is all of it, the end when there is no such column."""
        position = self._together
        if position is None:
            return len(data)

        def cell(line: bytes) -> bytes:
            cells = line.rstrip(b"\r").split(b"\t", position + 1)
            return cells[position] if len(cells) > position else b""

        end = len(data) - 1  # the newline ending the last line
        start = data.rfind(b"\n", 0, end) + 1
        value = cell(data[start:end])
        while start > 0:
            before = data.rfind(b"\n", 0, start - 1) + 1
            if cell(data[before : start - 1]) != value:
                return start
            start = before
        return 0

    def _block(self, data: bytes, count: int) -> Block:
        first = self._next_line
        self._next_line += count
        encoding = self.encoding
        try:
            text = data.decode(encoding or "utf-8")
        except (UnicodeDecodeError, LookupError):
            return self._block_by_line(data, first, count, encoding)
        if "\x00" in text:
            return self._block_by_line(data, first, count, encoding)
        if encoding is not None and codecs.lookup(encoding).name != "utf-8":
            data = text.encode("utf-8")
        return Block(first, count, _copy_escape(data), odd_whitespace=has_odd_whitespace(text))

    def _block_by_line(self, data: bytes, first: int, count: int, encoding: str | None) -> Block:
        rows: list[bytes] = []
        rejected: list[Rejected] = []
        for offset, raw in enumerate(data.split(b"\n")[:count]):
            line = _decode_line(first + offset, raw, encoding)
            if isinstance(line, Rejected):
                rejected.append(line.without_personal(self.header))
                rows.append(b"")
            elif "\x00" in line.text:
                rejected.append(
                    Rejected(
                        line.number,
                        "the line holds a NUL byte",
                        without_personal(line.text.replace("\x00", ""), self.header)[:RAW_LIMIT],
                    )
                )
                rows.append(b"")
            else:
                rows.append(line.text.encode("utf-8"))
        return Block(first, count, _copy_escape(b"\n".join(rows) + b"\n"), tuple(rejected))


def has_odd_whitespace(text: str) -> bool:
    """Whether ``text`` holds any of ODD_WHITESPACE. CR LF ends a line like LF; any other CR is
    odd whitespace inside a line. ASCII text (nearly every report) is searched for its few
    ASCII ones a character at a time, a tenth of the cost of the regular expression."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if text.isascii():
        return any(c in text for c in _ODD_ASCII)
    return _ODD_WHITESPACE.search(text) is not None


def _copy_escape(data: bytes) -> bytes:
    """Lines → COPY text rows, tabs between cells as in the file: a backslash is COPY's escape
    character, a carriage return ends a row. A CR before a newline is dropped as
    :func:`split_lines` drops it; any other is kept."""
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\\r")
    return data


# --- lines → rows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed(Generic[T]):
    line_number: int
    value: T


def parse(
    lines: Iterable[Line | Rejected],
    *,
    required: Sequence[str],
    convert: Callable[[Mapping[str, str]], T | None],
    delimiter: str = "\t",
) -> Iterator[Parsed[T] | Rejected]:
    """Rows of a flat file, converted; ``convert`` may return None to skip a row silently."""
    header: list[str] | None = None
    for line in lines:
        if isinstance(line, Rejected):
            if header is None:
                raise MissingColumns(list(required))
            yield line.without_personal(header)
            continue
        if header is None:
            if not line.text.strip():
                continue
            header = [name.strip() for name in line.text.split(delimiter)]
            missing = [name for name in required if name not in header]
            if missing:
                raise MissingColumns(missing)
            continue
        if not line.text.strip():
            continue
        cells = line.text.split(delimiter)
        if len(cells) > len(header):
            yield Rejected(
                line.number,
                f"{len(cells)} cells where the header has {len(header)}",
                without_personal(line.text, header, delimiter)[:RAW_LIMIT],
            )
            continue
        if len(cells) < len(header):
            cells.extend([""] * (len(header) - len(cells)))
        row = dict(zip(header, cells, strict=True))
        try:
            value = convert(row)
        except RowError as exc:
            yield Rejected(
                line.number, str(exc), without_personal(line.text, header, delimiter)[:RAW_LIMIT]
            )
            continue
        if value is not None:
            yield Parsed(line.number, value)


# --- cells -----------------------------------------------------------------------------------


def text(row: Mapping[str, str], name: str, *, limit: int = 200) -> str:
    return row.get(name, "").strip()[:limit]


def required_text(row: Mapping[str, str], name: str, *, limit: int = 200) -> str:
    value = text(row, name, limit=limit)
    if not value:
        raise RowError(f"'{name}' is empty")
    return value


def money(row: Mapping[str, str], name: str) -> Decimal | None:
    """An amount, or None when the cell is empty. Accepts a decimal comma (EU files)."""
    raw = row.get(name, "")
    if not raw:
        return None
    try:
        value = Decimal(raw)  # tolerates surrounding spaces, which real files have
    except InvalidOperation:
        if not raw.strip():
            return None
        value = _money_slow(raw, name)
    if not value.is_finite():
        raise RowError(f"'{name}' is not an amount: {raw[:40]!r}")
    if abs(value) >= MONEY_LIMIT:
        raise RowError(f"'{name}' is out of range: {raw[:40]!r}")
    return value


def _money_slow(raw: str, name: str) -> Decimal:
    """An amount with a decimal comma ("12,34") or grouped thousands: whichever of point and
    comma comes last is the decimal separator ("1.234,56" and "1,234.56" are both 1234.56),
    except that commas grouping whole thousands alone are thousands ("1,234" yen is 1234: no
    currency Amazon pays in has three decimals)."""
    cleaned = raw.strip()
    if _GROUPED_WHOLE.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    elif cleaned.rfind(",") > cleaned.rfind("."):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise RowError(f"'{name}' is not an amount: {raw[:40]!r}") from None


def integer(row: Mapping[str, str], name: str, *, default: int | None = None) -> int:
    raw = row.get(name, "").strip()
    if not raw:
        if default is None:
            raise RowError(f"'{name}' is empty")
        return default
    try:
        value = int(raw)
    except ValueError:
        try:
            value = int(Decimal(raw))  # "2.0", as some reports write counts
        except (InvalidOperation, ValueError, OverflowError):
            raise RowError(f"'{name}' is not a number: {raw[:40]!r}") from None
    if abs(value) >= INTEGER_LIMIT:
        raise RowError(f"'{name}' is out of range: {raw[:40]!r}")
    return value


def optional_integer(row: Mapping[str, str], name: str) -> int | None:
    raw = row.get(name, "").strip()
    return None if not raw else integer(row, name)


# A date Amazon writes other than in ISO 8601: day, month and year in any order its marketplaces
# use ("13.08.2019", "13/08/2019", "2019/08/13", "13-08-2019"), an optional time with seconds and
# fraction, and an optional zone ("UTC", "GMT", "Z", "+02:00", "+0200" or an abbreviation in
# _ZONES). A two-digit year only in Amazon's documented MM/DD/YY; elsewhere it could be a day.
_LOOSE_DATE = re.compile(
    r"(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?)?"
    r"\s*(?P<zone>Z|[A-Z]{3,4}|[+-]\d{2}:?\d{2})?"
)
# The zone abbreviations Amazon's files have been seen to use, as hours east of UTC.
_ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "BST": 1,
    "CET": 1,
    "MEZ": 1,
    "CEST": 2,
    "MESZ": 2,
    "PST": -8,
    "PDT": -7,
    "JST": 9,
}


def timestamp(row: Mapping[str, str], name: str) -> datetime:
    raw = row.get(name, "").strip()
    if not raw:
        raise RowError(f"'{name}' is empty")
    value = parse_timestamp(raw)
    if value is None:
        raise RowError(f"'{name}' is not a date: {raw[:40]!r}")
    return value


def optional_timestamp(row: Mapping[str, str], name: str) -> datetime | None:
    raw = row.get(name, "").strip()
    return None if not raw else timestamp(row, name)


def parse_timestamp(raw: str) -> datetime | None:
    """A moment in any of the forms Amazon's reports write, in UTC; None if ``raw`` is none.

    ISO 8601 with or without an offset ("2019-08-13T11:28:19+00:00"), Amazon's
    "2019-08-13 11:28:19 UTC", and the local forms of its marketplaces: "13.08.2019" and
    "13.08.2019 11:28:19 UTC" (DE and other EU files), "13/08/2019" (UK, FR, …: day first; a
    slash date whose second number cannot be a month, "08/13/2019", is read month first),
    "2019/08/13" (JP), and the V2 settlement report's posted-date "08/13/19" (MM/DD/YY, as
    Amazon documents it). A moment without a zone is UTC, as Amazon's are.
    """
    value: datetime | None
    try:
        # The common case first (ISO 8601 with an offset): one call, no string surgery.
        value = datetime.fromisoformat(raw)
    except ValueError:
        try:
            value = datetime.fromisoformat(raw.replace(" UTC", "+00:00"))
        except ValueError:
            value = _loose_timestamp(raw.strip())
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.utcoffset():
        return value.astimezone(UTC)
    return value


def _loose_timestamp(raw: str) -> datetime | None:
    match = _LOOSE_DATE.fullmatch(raw)
    if match is None:
        return None
    a, b, c = (int(match[n]) for n in ("a", "b", "c"))
    if len(match["a"]) == 4:
        year, month, day = a, b, c
    elif len(match["c"]) == 4:
        year, month, day = c, b, a
        if match["sep"] == "/" and month > 12 >= day:
            month, day = day, month
    elif len(match["c"]) == 2 and match["sep"] == "/":
        # The V2 settlement report's posted-date, as Amazon documents it: MM/DD/YY.
        year, month, day = 2000 + c, a, b
    else:
        return None
    zone = match["zone"]
    if zone is None:
        offset = timedelta(0)
    elif zone in _ZONES:
        offset = timedelta(hours=_ZONES[zone])
    elif zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        offset = -offset if zone[0] == "-" else offset
    else:
        return None
    try:
        return datetime(
            year,
            month,
            day,
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            int((match["fraction"] or "0").ljust(6, "0")),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None


def optional_date(row: Mapping[str, str], name: str) -> date | None:
    raw = row.get(name, "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw[:10], fmt).date()  # noqa: DTZ007  (a calendar date)
        except ValueError:
            continue
    stamp = parse_timestamp(raw)
    if stamp is None:
        raise RowError(f"'{name}' is not a date: {raw[:40]!r}")
    return stamp.date()
