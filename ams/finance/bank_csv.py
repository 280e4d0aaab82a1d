"""Reading a bank statement CSV, whichever bank wrote it.

Nothing is assumed about the bank: the encoding (UTF-8 with or without its mark, UTF-16 with its
mark, else Windows-1252 or Latin-1), the delimiter (comma, semicolon, tab, bar), the lines of
account details some banks write above the header, the decimal mark and thousands separators of
the amounts and the way dates are written are all found from the file. Which columns hold the
day, the amount and the description is the seller's choice (a ``Mapping``), suggested from the
header's names and the cells, and remembered for the file's ``signature``.

The file is read as a stream of rows, twice at most: once to look at it (``inspect``), once to
read its bookings (``bookings``). Statements are small, so a file past ``MAX_BYTES`` or
``MAX_ROWS`` is refused whole, as is anything that is not text, with a message saying why.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_EMPTY_ROWS = 10_000  # blank lines between bookings, allowed beside them
# A line or a row this long is no bank's booking: refusing it keeps memory bounded whatever the
# file holds (the CSV reader builds a row whole before it yields it).
MAX_LINE_CHARS = 64 * 1024
MAX_COLUMNS = 200
DESCRIPTION_CHARS = 500
# Rows looked at to find the delimiter, the header and the formats of the cells.
SAMPLE_ROWS = 2000
DELIMITERS = (";", "\t", ",", "|")

# A description a spreadsheet would run as a formula (CSV injection): never stored.
_FORMULA = re.compile(r"^(?:[=@\t\r]|[+-][^\d\s.,])")

# The date formats banks write, each as a pattern and the order of its parts. A time after the
# day (a space or a T, then anything) is ignored: the day is the booking's.
DATE_FORMATS: dict[str, tuple[str, str]] = {
    "YYYY-MM-DD": (r"(\d{4})-(\d{1,2})-(\d{1,2})", "ymd"),
    "DD.MM.YYYY": (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy"),
    "DD/MM/YYYY": (r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),
    "MM/DD/YYYY": (r"(\d{1,2})/(\d{1,2})/(\d{4})", "mdy"),
    "DD-MM-YYYY": (r"(\d{1,2})-(\d{1,2})-(\d{4})", "dmy"),
    "YYYY/MM/DD": (r"(\d{4})/(\d{1,2})/(\d{1,2})", "ymd"),
    "DD.MM.YY": (r"(\d{1,2})\.(\d{1,2})\.(\d{2})", "dmy"),
    "YYYYMMDD": (r"(\d{4})(\d{2})(\d{2})", "ymd"),
}
# Where the year, month and day are among each format's groups.
_DATE_PARTS = {
    name: tuple(order.index(part) for part in "ymd") for name, (_p, order) in DATE_FORMATS.items()
}
_DATE_PATTERNS = {
    name: re.compile(rf"^{pattern}(?:[ T].*)?$") for name, (pattern, _order) in DATE_FORMATS.items()
}

DECIMAL_MARKS = (".", ",")
# Amounts: digits grouped by thousands (a space, a no-break space, an apostrophe or the other
# mark) or not grouped, then the decimal mark and the cents. Strict, so that 12.50 read with a
# decimal comma is an error, never 1250.
_GROUPS = "[ \u00a0\u202f'{other}]"
_AMOUNT_PATTERNS = {
    mark: re.compile(
        rf"^(?:\d{{1,3}}(?:{_GROUPS.format(other=re.escape(other))}\d{{3}})+|\d+)"
        rf"(?:{re.escape(mark)}\d{{1,2}})?$"
    )
    for mark, other in ((".", ","), (",", "."))
}
_PLAIN_AMOUNTS = {
    mark: re.compile(rf"^(-?)(\d{{1,15}})(?:{re.escape(mark)}(\d{{1,2}}))?$")
    for mark in DECIMAL_MARKS
}
_NOT_DIGITS = {mark: re.compile(rf"[^\d{re.escape(mark)}]") for mark in DECIMAL_MARKS}
# What may surround an amount: a currency code or sign, spaces.
_CURRENCY_AROUND = re.compile(r"^[A-Za-z$€£¥₹\s]*(.*?)[A-Za-z$€£¥₹\s]*$")
CENT = Decimal("0.01")
_MINUS_SIGN = "\u2212"
_DEBIT_MARK = re.compile(r"(?:^|[\s\d])DR\.?$|^DR\s", re.IGNORECASE)

_HEADER_WORDS = {
    "date": (
        "date",
        "datum",
        "buchungstag",
        "buchungsdatum",
        "fecha",
        "data",
        "booking",
        "posted",
        "transaction date",
    ),
    "amount": (
        "amount",
        "betrag",
        "montant",
        "importe",
        "importo",
        "bedrag",
        "kwota",
        "belopp",
        "beløb",
        "umsatz",
        "paid in",
        "credit",
        "value",
    ),
    "debit": ("paid out", "debit", "money out", "withdrawal"),
    "description": (
        "description",
        "verwendungszweck",
        "buchungstext",
        "auftraggeber",
        "begünstigter",
        "empfänger",
        "payee",
        "name",
        "details",
        "memo",
        "libellé",
        "libelle",
        "concepto",
        "descrizione",
        "causale",
        "omschrijving",
        "reference",
        "narrative",
        "text",
    ),
}
_NOT_AMOUNT_WORDS = ("balance", "saldo", "solde", "kontostand")


class StatementFileError(ValueError):
    """The file as a whole cannot be read; the message says why, in the seller's terms."""


@dataclass(frozen=True)
class Mapping:
    """Which columns (positions in the header) hold what, and how their cells are written."""

    date_column: int
    amount_column: int
    description_columns: tuple[int, ...]
    date_format: str
    decimal_mark: str
    debit_column: int | None = None


@dataclass(frozen=True)
class Inspection:
    """What looking at a file found: how to read it, its header, and how each column's cells
    could be read (the date formats and decimal marks every sampled cell fits)."""

    encoding: str
    delimiter: str
    header_line: int  # the header's position among the file's rows (account details above it)
    header: tuple[str, ...]
    rows: int  # data rows below the header, empty ones included
    sample: tuple[tuple[str, ...], ...]
    date_formats: dict[int, tuple[str, ...]]
    decimal_marks: dict[int, tuple[str, ...]]

    @property
    def signature(self) -> str:
        """The file's layout: its delimiter and column names, whatever its rows."""
        names = "\x1f".join(" ".join(name.split()).casefold() for name in self.header)
        return hashlib.sha256(f"{self.delimiter}\x1e{names}".encode()).hexdigest()

    def suggestion(self) -> Mapping | None:
        """The columns a seller most likely means, from the header's names and the cells."""
        dates = [i for i in range(len(self.header)) if self.date_formats.get(i)]
        amounts = [
            i
            for i in range(len(self.header))
            if self.decimal_marks.get(i)
            and i not in dates
            and not _named(self.header[i], _NOT_AMOUNT_WORDS)
        ]
        if not dates or not amounts:
            return None
        date_column = next((i for i in dates if _named(self.header[i], "date")), dates[0])
        amount_column = next((i for i in amounts if _named(self.header[i], "amount")), amounts[0])
        debit = next(
            (
                i
                for i in amounts
                if i != amount_column
                and _named(self.header[i], "debit")
                # "Paid in" and "Paid out" side by side: the second is money going out.
                and _named(self.header[amount_column], ("paid in", "credit", "money in"))
            ),
            None,
        )
        texts = [
            i
            for i in range(len(self.header))
            if i not in (date_column, amount_column, debit) and i not in dates
        ]
        described = tuple(i for i in texts if _named(self.header[i], "description"))
        if not described and texts:
            described = (max(texts, key=self._text_length),)
        return Mapping(
            date_column=date_column,
            amount_column=amount_column,
            description_columns=described,
            date_format=self.date_formats[date_column][0],
            decimal_mark=self.decimal_marks[amount_column][0],
            debit_column=debit,
        )

    def _text_length(self, column: int) -> int:
        return sum(len(row[column]) for row in self.sample if column < len(row))


def _named(name: str, words: str | tuple[str, ...]) -> bool:
    wanted = _HEADER_WORDS[words] if isinstance(words, str) else words
    name = name.casefold()
    return any(word in name for word in wanted)


@dataclass(frozen=True)
class Booking:
    line: int
    booked_on: date
    amount: Decimal
    description: str


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str


# --- bytes to rows ---------------------------------------------------------------------------------


def _encoding(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in data:
        raise StatementFileError(
            "The file is not text (it holds binary data): export the statement from your bank as CSV."
        )
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"  # every byte is a character: the last resort never fails


def _refuse_foreign(data: bytes) -> None:
    if not data.strip():
        raise StatementFileError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise StatementFileError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: no bank statement is; "
            "export a shorter period."
        )
    if data.startswith(b"PK\x03\x04"):
        raise StatementFileError(
            "This is an Excel workbook or a zip archive: export the statement as CSV."
        )
    if data.startswith(b"%PDF"):
        raise StatementFileError("This is a PDF: export the statement from your bank as CSV.")


def _lines(data: bytes, encoding: str) -> Iterator[str]:
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    number = 0
    while line := stream.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise StatementFileError(
                f"Line {number} is longer than {MAX_LINE_CHARS // 1024} KB: this is not a bank statement."
            )
        yield line


def _rows(data: bytes, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line number, cells) of each row."""
    reader = csv.reader(_lines(data, encoding), delimiter=delimiter)
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS:
                raise StatementFileError(
                    f"Line {reader.line_num} has more than {MAX_COLUMNS} columns: this is not a bank statement."
                )
            yield reader.line_num, row
    except csv.Error as exc:
        raise StatementFileError(
            f"The file is not a readable CSV (line {reader.line_num}: {exc})."
        ) from None


def _delimiter(data: bytes, encoding: str) -> str:
    """The delimiter that splits the most of the first rows into the same number (≥ 2) of cells."""
    best, best_score = "", (0, 0)
    refusals: list[StatementFileError] = []
    for delimiter in DELIMITERS:
        widths: Counter[int] = Counter()
        try:
            for number, (_line, row) in enumerate(_rows(data, encoding, delimiter)):
                if number >= 60:
                    break
                if len(row) > 1:
                    widths[len(row)] += 1
        except StatementFileError as exc:
            refusals.append(exc)
            continue
        if not widths:
            continue
        width, count = max(widths.items(), key=lambda wc: (wc[1], wc[0]))
        if (count, width) > best_score:
            best, best_score = delimiter, (count, width)
    if not best:
        # Read with no delimiter, the file broke a bound: that is the reason to give.
        raise (
            refusals[0]
            if refusals
            else StatementFileError(
                "The file has no columns: a bank statement CSV separates them by commas, semicolons or tabs."
            )
        )
    return best


# --- cells -----------------------------------------------------------------------------------------


def parse_date(text: str, date_format: str) -> date:
    match = _DATE_PATTERNS[date_format].match(text.strip())
    if match is None:
        raise ValueError(f"not a date written {date_format}: {text.strip()[:30]!r}")
    groups = match.groups()
    y, m, d = (int(groups[i]) for i in _DATE_PARTS[date_format])
    try:
        return date(y + 2000 if y < 100 else y, m, d)
    except ValueError:
        raise ValueError(f"no such day: {text.strip()[:30]!r}") from None


def parse_amount(text: str, decimal_mark: str) -> Decimal:
    """An amount as banks write it: 1.234,56 or 1,234.56 or 1 234,56 €, negative with a leading
    or trailing minus or in parentheses, with at most two decimals (no bank writes three: 1.000
    read with a decimal point is refused, never taken for one)."""
    raw = text.strip()
    simple = _PLAIN_AMOUNTS[decimal_mark].match(raw)
    if simple is not None:  # -1234,56 or 12.5: most cells of most banks, read at once
        sign, units, cents = simple.groups()
        amount = Decimal(f"{sign}{units}.{(cents or '').ljust(2, '0')}")
        return amount if amount else CENT * 0
    if _FORMULA.match(raw):
        raise ValueError(f"a spreadsheet formula, not an amount: {raw[:30]!r}")
    cleaned = _CURRENCY_AROUND.match(raw)
    core = (cleaned.group(1) if cleaned else raw).strip()
    # "12.00 DR": a debit, as British banks mark one ("CR", a credit, needs nothing).
    negative = bool(_DEBIT_MARK.search(raw))
    if core.startswith("(") and core.endswith(")"):
        negative, core = True, core[1:-1].strip()
    if core.endswith("-"):
        negative, core = True, core[:-1].strip()
    if core.startswith(("-", "+", _MINUS_SIGN)):
        negative, core = core[0] in ("-", _MINUS_SIGN), core[1:].strip()
    if not core or not _AMOUNT_PATTERNS[decimal_mark].match(core):
        raise ValueError(f"not an amount with a decimal {_mark_name(decimal_mark)}: {raw[:30]!r}")
    digits = _NOT_DIGITS[decimal_mark].sub("", core).replace(decimal_mark, ".")
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise ValueError(f"not an amount: {raw[:30]!r}") from None
    if amount >= Decimal(10) ** 15:
        raise ValueError(f"an amount too large for a bank booking: {raw[:30]!r}")
    return (-amount if negative else amount).quantize(CENT)


def _mark_name(mark: str) -> str:
    return "comma" if mark == "," else "point"


# --- the file --------------------------------------------------------------------------------------


def _is_header(row: list[str], width: int) -> bool:
    cells = [c.strip() for c in row]
    named = [c for c in cells if c]
    if len(row) != width or len(named) < 2:
        return False
    # A header names its columns: none of its cells is a day or an amount.
    return not any(
        _DATE_PATTERNS[f].match(c) for c in named for f in ("YYYY-MM-DD", "DD.MM.YYYY")
    ) and not any(re.fullmatch(r"[-+]?[\d.,\s]+", c) for c in named)


def inspect(data: bytes) -> Inspection:
    """Look at a whole file: how it is written, where its header is, how many rows it has, and
    how each column's cells could be read. StatementFileError if it cannot be a bank statement."""
    _refuse_foreign(data)
    encoding = _encoding(data)
    delimiter = _delimiter(data, encoding)
    rows_read = _rows(data, encoding, delimiter)
    first = [row for _line, row in itertools.islice(rows_read, 60)]
    header_line, header = _find_header(first)
    rows = 0
    sample: list[tuple[str, ...]] = []
    seen = 0
    for row in itertools.chain(first[header_line + 1 :], (row for _line, row in rows_read)):
        # Empty rows count towards the bound too: a file of nothing but line ends is refused
        # as fast as one of bookings.
        seen += 1
        if seen > MAX_ROWS + MAX_EMPTY_ROWS:
            raise StatementFileError(
                f"The file has more than {MAX_ROWS:,} rows: no bank statement is; export a shorter period."
            )
        if not any(c.strip() for c in row):
            continue
        rows += 1
        if rows > MAX_ROWS:
            raise StatementFileError(
                f"The file has more than {MAX_ROWS:,} rows: no bank statement is; export a shorter period."
            )
        if len(sample) < SAMPLE_ROWS:
            sample.append(tuple(row))
    if not sample:
        raise StatementFileError("The file has a header but no bookings below it.")
    date_formats: dict[int, tuple[str, ...]] = {}
    decimal_marks: dict[int, tuple[str, ...]] = {}
    for column in range(len(header)):
        values = [
            row[column].strip() for row in sample if column < len(row) and row[column].strip()
        ]
        date_formats[column] = _candidates(values, tuple(DATE_FORMATS), parse_date)
        if not date_formats[column]:
            marks = _candidates(values, DECIMAL_MARKS, parse_amount)
            # Both fit (no value shows its mark): semicolon files come from decimal-comma countries.
            if len(marks) == 2 and delimiter == ";":
                marks = (",", ".")
            decimal_marks[column] = marks
    return Inspection(
        encoding=encoding,
        delimiter=delimiter,
        header_line=header_line,
        header=tuple(c.strip() for c in header),
        rows=rows,
        sample=tuple(sample),
        date_formats=date_formats,
        decimal_marks=decimal_marks,
    )


def _candidates(
    values: list[str], options: tuple[str, ...], parse: Callable[[str, str], object]
) -> tuple[str, ...]:
    """The options (date formats, decimal marks) that read every value of a column that any of
    them reads, when most of its values are such; a total or a closing-balance row below the
    bookings reads under none and does not count against a column."""
    read: dict[str, set[int]] = {option: set() for option in options}
    for position, value in enumerate(values):
        for option in options:
            try:
                parse(value, option)
            except ValueError:
                continue
            read[option].add(position)
    readable = set().union(*read.values())
    if not readable or len(values) - len(readable) > max(3, len(values) // 10):
        return ()
    return tuple(option for option in options if read[option] == readable)


def _find_header(first: list[list[str]]) -> tuple[int, list[str]]:
    """The header: the first row as wide as most rows that names its columns. Banks write the
    account, the period and the balance above it, in rows of their own width."""
    widths = Counter(len(row) for row in first if len(row) > 1)
    if not widths:
        raise StatementFileError(
            "The file has no columns: a bank statement CSV separates them by commas, semicolons or tabs."
        )
    width = max(widths.items(), key=lambda wc: (wc[1], wc[0]))[0]
    for position, row in enumerate(first):
        if _is_header(row, width):
            return position, row
    raise StatementFileError(
        "The file has no header row naming its columns (such as Date, Amount, Description)."
    )


def bookings(data: bytes, found: Inspection, mapping: Mapping) -> Iterator[Booking | Skipped]:
    """Each data row read with the seller's columns: a booking, or the reason it is not one.
    Rows with no cell at all are passed over silently."""
    needed = max(
        mapping.date_column,
        mapping.amount_column,
        mapping.debit_column if mapping.debit_column is not None else 0,
        *mapping.description_columns,
    )
    count = 0
    for position, (line, row) in enumerate(_rows(data, found.encoding, found.delimiter)):
        if position <= found.header_line or not any(c.strip() for c in row):
            continue
        count += 1
        if count > MAX_ROWS:
            raise StatementFileError(
                f"The file has more than {MAX_ROWS:,} rows: no bank statement is; export a shorter period."
            )
        if len(row) <= needed:
            yield Skipped(line, f"{len(row)} cells where the header has {len(found.header)}")
            continue
        try:
            yield _booking(line, row, mapping)
        except ValueError as exc:
            yield Skipped(line, str(exc))


def _booking(line: int, row: list[str], mapping: Mapping) -> Booking:
    booked_on = parse_date(row[mapping.date_column], mapping.date_format)
    amount_cell = row[mapping.amount_column]
    debit_cell = row[mapping.debit_column] if mapping.debit_column is not None else ""
    if not amount_cell.strip() and not debit_cell.strip():
        raise ValueError("no amount")
    amount = parse_amount(amount_cell, mapping.decimal_mark) if amount_cell.strip() else CENT * 0
    if debit_cell.strip():
        amount -= abs(parse_amount(debit_cell, mapping.decimal_mark))
    parts = []
    for column in mapping.description_columns:
        cell = " ".join(row[column].split())
        if _FORMULA.match(row[column].lstrip(" ")) or _FORMULA.match(cell):
            raise ValueError(f"a spreadsheet formula in the description: {cell[:30]!r}")
        if cell:
            parts.append(cell)
    return Booking(line, booked_on, amount, " / ".join(parts)[:DESCRIPTION_CHARS])
