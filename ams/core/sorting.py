"""Sorting a data table by one of its columns, on the server, from the query string.

A table declares its ``Sorting``: the columns a ``sort=`` parameter may name (a public key per
column, mapped to the model fields or expressions it orders by; never a field name taken from the
request), the column and direction of its default order, and a tie-breaker that makes the order
total, so a row never moves between pages and the export lists the rows in the page's order.
``sort=purchased`` sorts ascending, ``sort=-purchased`` descending; a key the table does not know
is reported by the filter form and the default order applies.

Nulls come last in both directions. A field that cannot be null is ordered plainly, so the
default order stays one that a (team, field, id) index read backwards or forwards can serve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Model, OrderBy, QuerySet
from django.db.models.expressions import BaseExpression

ModelT = TypeVar("ModelT", bound=Model)
Orderable = str | BaseExpression


@dataclass(frozen=True)
class Sort:
    """A parsed ``sort=`` value: a column key and a direction (the key "" is the default order)."""

    key: str = ""
    descending: bool = False

    @classmethod
    def parse(cls, value: str) -> Sort:
        value = value.strip()
        if value.startswith("-"):
            return cls(value[1:], True)
        return cls(value, False)

    def __str__(self) -> str:
        return f"-{self.key}" if self.descending and self.key else self.key


@dataclass(frozen=True)
class Header:
    """What a column's header shows: the query string of its link (the other direction when the
    table is sorted by it, else ascending), its ``aria-sort`` and a visible arrow."""

    query: str
    aria: str  # "ascending", "descending" or "none"
    arrow: str


@dataclass(frozen=True)
class Sorting:
    """A table's sortable columns. ``columns``: key → the fields or expressions it orders by;
    ``default``: the ``sort=`` value of the table's usual order; ``tiebreak``: fields that make
    the order total (they follow the column's direction); ``then``: fields always ascending,
    after the tie-break (an order's lines by SKU)."""

    columns: Mapping[str, Sequence[Orderable]]
    default: str
    tiebreak: Sequence[str] = ("id",)
    then: Sequence[Orderable] = ()
    # The default order when it is not one column's (listings: the ones to act on first).
    default_order: Sequence[Orderable] = field(default=())

    def __post_init__(self) -> None:
        assert Sort.parse(self.default).key in self.columns, self.default

    def knows(self, value: str) -> bool:
        return not value or Sort.parse(value).key in self.columns

    def chosen(self, value: str) -> Sort:
        """The sort in force: the one asked for if the table has that column, else the default."""
        sort = Sort.parse(value)
        return sort if value and sort.key in self.columns else Sort.parse(self.default)

    def order(self, model: type[Model], value: str = "") -> list[Any]:
        """The ORDER BY for ``value`` (a ``sort=`` text; unknown or empty: the default order)."""
        if not value or not self.knows(value):
            if self.default_order:
                return [*self.default_order, *self._fields(model, self.tiebreak, False)]
            value = self.default
        sort = Sort.parse(value)
        return [
            *self._fields(model, self.columns[sort.key], sort.descending),
            *self._fields(model, self.tiebreak, sort.descending),
            *self._fields(model, self.then, False),
        ]

    def apply(self, qs: QuerySet[ModelT, Any], value: str = "") -> QuerySet[ModelT, Any]:
        return qs.order_by(*self.order(qs.model, value))

    def headers(self, value: str, query: Mapping[str, Any]) -> dict[str, Header]:
        """Each column's header for a page sorted by ``value``, its links keeping ``query`` (the
        filters; any page number is dropped, a new order starts on page one)."""
        current = self.chosen(value) if not (not value and self.default_order) else None
        kept = {k: v for k, v in query.items() if k not in ("sort", "page", "format")}
        headers = {}
        for key in self.columns:
            is_current = current is not None and current.key == key
            descending = is_current and current is not None and current.descending
            next_sort = Sort(key, is_current and not descending)
            headers[key] = Header(
                query=urlencode({**kept, "sort": str(next_sort)}),
                aria=("descending" if descending else "ascending") if is_current else "none",
                arrow=(" ↓" if descending else " ↑") if is_current else "",
            )
        return headers

    @staticmethod
    def _fields(model: type[Model], fields: Sequence[Orderable], descending: bool) -> list[Any]:
        ordered: list[Any] = []
        for item in fields:
            if isinstance(item, OrderBy):
                ordered.append(item)
                continue
            expression = F(item) if isinstance(item, str) else item
            nulls = _nullable(model, item) if isinstance(item, str) else True
            if descending:
                ordered.append(expression.desc(nulls_last=True) if nulls else expression.desc())
            else:
                ordered.append(expression.asc(nulls_last=True) if nulls else expression.asc())
        return ordered


def _nullable(model: type[Model], name: str) -> bool:
    """Whether a field may be null; an annotation (not a field) is taken to be nullable."""
    if "__" in name:
        return True
    try:
        return bool(getattr(model._meta.get_field(name), "null", True))
    except FieldDoesNotExist:
        return True
