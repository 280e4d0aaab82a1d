"""How long a team's Amazon data is kept, declared on each model and enforced row by row.

Amazon's Data Protection Policy lets AMS keep non-personal Amazon data for at most 18 months
unless law requires longer. Each tenant model holding Amazon data says which of its own dates
ages it (``retention = Aged("purchased_at")``: an order goes 18 months after it was placed, a
charge 18 months after it was posted, a snapshot 18 months after its day) or why nothing ages
(``retention = Current("…")``: the latest listing or stock level, replaced by every sync). Financial
records (settlements, transactions, fees) are ``Aged(..., financial=True)``: an owner may keep
them longer where tax law requires it, stating the period and the reason.

``tests/test_retention.py`` fails for any table with a ``connection_id`` whose model declares
neither, so a new table of Amazon data cannot be forgotten. The nightly job
(``ams.teams.tasks``) deletes, team by team, in bounded batches, every row older than the team's
window, and records the counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps
from django.db import models

from ams.core.months import months_before
from ams.core.purge import BATCH_SIZE, Table, delete_batch
from ams.core.tenancy import team_scope

# Amazon's Data Protection Policy: non-personal Amazon data, at most 18 months.
AMAZON_MONTHS = 18
# The longest a team may keep financial records for tax law (ten years covers the longest
# bookkeeping periods of the marketplaces AMS serves).
FINANCIAL_MAX_MONTHS = 120


@dataclass(frozen=True)
class Aged:
    """Rows deleted once ``field`` (a date or a timestamp of the row itself) leaves the window;
    ``fallback`` dates the rows where ``field`` is empty."""

    field: str
    financial: bool = False
    fallback: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.field,) if self.fallback is None else (self.field, self.fallback)


@dataclass(frozen=True)
class Current:
    """Rows that hold the latest state and are replaced, not accumulated: nothing ages."""

    why: str


def declared(model: type[models.Model]) -> Aged | Current | None:
    rule = getattr(model, "retention", None)
    return rule if isinstance(rule, Aged | Current) else None


def aged_models() -> Iterator[tuple[type[models.Model], Aged]]:
    for model in apps.get_models():
        rule = declared(model)
        if isinstance(rule, Aged):
            yield model, rule


@dataclass(frozen=True)
class Window:
    """A team's windows, in months: all Amazon data, and its financial records."""

    amazon_months: int
    financial_months: int

    def cutoff(self, rule: Aged, now: datetime) -> datetime:
        months = self.financial_months if rule.financial else self.amazon_months
        return months_before(now, months)


def _table(model: type[models.Model]) -> Table:
    return Table("public", model._meta.db_table, (str(model._meta.pk.column),))


def retention_enforce(*, team_id: int, window: Window, now: datetime) -> dict[str, int]:
    """Delete the team's rows older than its windows; the rows deleted per table.

    Each batch commits on its own inside the team's scope: a night's work on a large team never
    holds long locks, and a killed run is finished by the next.
    """
    deleted: dict[str, int] = {}
    for model, rule in aged_models():
        dated = [model._meta.get_field(name) for name in rule.fields]
        assert all(isinstance(f, models.DateField) for f in dated), f"{model.__name__}: not dates"
        limit: date | datetime = window.cutoff(rule, now)
        if not isinstance(dated[0], models.DateTimeField):
            limit = window.cutoff(rule, now).date()
        columns = [str(f.column) for f in dated]  # type: ignore[union-attr]
        table = _table(model)
        while True:
            with team_scope(team_id):
                count = delete_batch(
                    table, {"team_id": team_id}, older=(columns, limit), size=BATCH_SIZE
                )
            if count:
                deleted[table.label] = deleted.get(table.label, 0) + count
            if count < BATCH_SIZE:
                break
    return deleted
