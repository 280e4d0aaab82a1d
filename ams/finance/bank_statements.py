"""Writes of the seller's bank statements: an upload kept until its columns are known, the
columns chosen once for a bank's layout and remembered for the team, and the import of a
statement's bookings, each stored once however often the statement (or an overlapping one) is
imported. A statement is imported whole or not at all."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from ams.accounts.models import User
from ams.core import bulk
from ams.finance import bank_csv
from ams.finance.bank_csv import Booking, Inspection, Mapping, StatementFileError
from ams.finance.models import BankLayout, BankStatement
from ams.teams.models import Team

# How a bank names a payout from Amazon: "AMAZON PAYMENTS EUROPE S.C.A.", "AMAZON.COM SERVICES",
# "AMZN MKTP"… A booking that says so and matches no deposit is worth a look.
FROM_AMAZON = re.compile(r"amazon|amzn", re.IGNORECASE)
PROBLEMS_KEPT = 20


class StagedLine(NamedTuple):
    line_number: int
    booked_on: date
    amount: Decimal
    description: str
    fingerprint: str
    from_amazon: bool


_COLUMNS = bulk.columns_of(StagedLine)
# Each booking once per team: one already stored (an overlapping statement, the same one again)
# is left as it is.
_INSERT = """
INSERT INTO finance_bankline
    (team_id, statement_id, line_number, booked_on, amount, currency, description, fingerprint, from_amazon)
SELECT %(team)s, %(statement)s, line_number, booked_on, amount, %(currency)s, description, fingerprint, from_amazon
FROM {staged}
ON CONFLICT (team_id, fingerprint) DO NOTHING
"""


def mapping_of(layout: BankLayout) -> Mapping:
    return Mapping(
        date_column=layout.date_column,
        amount_column=layout.amount_column,
        description_columns=tuple(layout.description_columns),
        date_format=layout.date_format,
        decimal_mark=layout.decimal_mark,
        debit_column=layout.debit_column,
    )


@dataclass(frozen=True)
class Upload:
    statement: BankStatement
    # Why the import with the team's remembered columns failed (the statement waits for its
    # columns then); empty when it was imported or has no remembered columns.
    error: str = ""


def statement_upload(*, team: Team, actor: User | None, name: str, data: bytes) -> Upload:
    """Keep an uploaded statement that reads as a bank CSV (StatementFileError otherwise, and
    nothing kept). Its columns are chosen next, unless the team chose them for its layout before:
    then it is imported at once."""
    found = bank_csv.inspect(data)
    statement = BankStatement.objects.create(
        team=team,
        uploaded_by=actor,
        file_name=name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content=data,
        signature=found.signature,
    )
    layout = BankLayout.objects.filter(team=team, signature=found.signature).first()
    if layout is not None:
        try:
            statement_import(team=team, statement=statement, layout=layout, found=found)
        except StatementFileError as exc:
            statement.refresh_from_db()
            return Upload(statement, str(exc))
    return Upload(statement)


@transaction.atomic
def layout_save(
    *,
    team: Team,
    statement: BankStatement,
    mapping: Mapping,
    currency: str,
    found: Inspection | None = None,
) -> BankLayout:
    """Remember the seller's columns for the statement's layout (replacing an earlier choice).
    ``found``: the statement's inspection, when the caller has it already."""
    found = found or bank_csv.inspect(bytes(statement.content))
    _check(mapping, found)
    layout, _created = BankLayout.objects.update_or_create(
        team=team,
        signature=found.signature,
        defaults={
            "columns": list(found.header),
            "date_column": mapping.date_column,
            "amount_column": mapping.amount_column,
            "debit_column": mapping.debit_column,
            "description_columns": list(mapping.description_columns),
            "date_format": mapping.date_format,
            "decimal_mark": mapping.decimal_mark,
            "currency": currency,
        },
    )
    return layout


def _check(mapping: Mapping, found: Inspection) -> None:
    width = len(found.header)
    columns = [mapping.date_column, mapping.amount_column, *mapping.description_columns]
    if mapping.debit_column is not None:
        columns.append(mapping.debit_column)
    if any(not 0 <= c < width for c in columns):
        raise StatementFileError("A chosen column is not one of the file's columns.")
    if mapping.date_format not in bank_csv.DATE_FORMATS:
        raise StatementFileError("Choose one of the date formats offered.")
    if mapping.decimal_mark not in bank_csv.DECIMAL_MARKS:
        raise StatementFileError("Choose a decimal point or a decimal comma.")


@dataclass
class _Reading:
    """What reading a statement's rows found, counted as the rows stream to the database."""

    currency: str
    read: int = 0
    skipped: int = 0
    problems: list[dict[str, object]] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None
    occurrences: dict[int, int] = field(default_factory=dict)

    def staged(self, items: Iterator[Booking | bank_csv.Skipped]) -> Iterator[StagedLine]:
        for item in items:
            if isinstance(item, bank_csv.Skipped):
                self.skipped += 1
                if len(self.problems) < PROBLEMS_KEPT:
                    self.problems.append({"line": item.line, "reason": item.reason})
                continue
            self.read += 1
            day = item.booked_on
            self.first_day = min(self.first_day or day, day)
            self.last_day = max(self.last_day or day, day)
            yield StagedLine(
                item.line,
                day,
                item.amount,
                item.description,
                self._fingerprint(item),
                bool(FROM_AMAZON.search(item.description)),
            )

    def _fingerprint(self, booking: Booking) -> str:
        """Day, amount, currency, description, and which of the statement's identical bookings
        this is: two equal coffees on one day are two bookings, in every statement listing them."""
        text = " ".join(booking.description.split()).casefold()
        same = f"{booking.booked_on.isoformat()}|{booking.amount}|{self.currency}|{text}"
        # Counted by the key's hash, not the key: memory stays small at the row bound (two
        # different keys with one hash would only number a booking one too high).
        occurrence = self.occurrences.get(hash(same), 0) + 1
        self.occurrences[hash(same)] = occurrence
        return hashlib.sha256(f"{same}|{occurrence}".encode()).hexdigest()


@transaction.atomic
def statement_import(
    *,
    team: Team,
    statement: BankStatement,
    layout: BankLayout,
    found: Inspection | None = None,
) -> BankStatement:
    """Read the statement with the layout's columns and store its bookings, each once. Refused
    whole (StatementFileError, nothing stored, the statement still waiting for its columns) when
    most rows cannot be read with those columns: they are the wrong ones."""
    data = bytes(statement.content)
    if statement.status != BankStatement.Status.COLUMNS or not data:
        raise StatementFileError("This statement is imported already: upload it again instead.")
    found = found or bank_csv.inspect(data)
    mapping = mapping_of(layout)
    _check(mapping, found)
    reading = _Reading(currency=layout.currency)
    staged, count = bulk.stage(_COLUMNS, reading.staged(bank_csv.bookings(data, found, mapping)))
    if count == 0 or reading.skipped > count:
        first = reading.problems[0] if reading.problems else None
        example = f" Line {first['line']}: {first['reason']}." if first else ""
        raise StatementFileError(
            f"{reading.skipped} of {reading.skipped + count} rows could not be read with these "
            f"columns: choose them again.{example}"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT.format(staged=connection.ops.quote_name(staged)),
            {"team": team.id, "statement": statement.id, "currency": layout.currency},
        )
        added = int(cursor.rowcount)
    bulk.drop_stage(staged)
    statement.status = BankStatement.Status.IMPORTED
    statement.content = b""
    statement.currency = layout.currency
    statement.rows = count + reading.skipped
    statement.lines_added = added
    statement.lines_known = count - added
    statement.rows_skipped = reading.skipped
    statement.problems = reading.problems
    statement.first_day = reading.first_day
    statement.last_day = reading.last_day
    statement.imported_at = timezone.now()
    statement.save()
    return statement


@transaction.atomic
def statement_discard(*, team: Team, statement: BankStatement) -> None:
    """Delete a statement still waiting for its columns, and with it the file it keeps. An
    imported one stays: it is the record of the bookings it brought."""
    if statement.status != BankStatement.Status.COLUMNS:
        raise StatementFileError("This statement is imported: its bookings stay.")
    BankStatement.objects.filter(team=team, id=statement.id).delete()
