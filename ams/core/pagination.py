"""Pagination for the data pages that never counts a large table in full.

Django's ``Paginator`` runs ``SELECT count(*)`` over the whole filtered set on every request; on a
seller with a million order lines that one query costs more than the rest of the page. Here a
page either gets its exact count from the caller (a read model that already knows it, such as
the orders' day rollup), or counts at most ``cap + 1`` rows (``SELECT count(*) FROM (… LIMIT
cap + 1)``) and says "more than cap" when the set is larger. Past the cap, each page reads one row
more than it shows to know whether a next page exists, so next and previous keep working.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet

COUNT_CAP = 10_000
# Past the cap a page number is taken on trust; beyond this one it is out of range. PostgreSQL
# refuses an OFFSET past a bigint (a 500 for ``?page=10**18``), and reading millions of rows to
# skip them is not a page anyone browses to.
MAX_PAGE = 100_000


class CappedPage(Page[Any]):
    """A page of a set counted only up to the cap: whether a next page exists is known from the
    extra row the page read, not from the count."""

    def __init__(
        self, object_list: Sequence[Any], number: int, paginator: CappedPaginator, *, more: bool
    ) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedPaginator(Paginator[Any]):
    """``count``: the exact number of rows when the caller knows it; otherwise at most ``cap + 1``
    rows are counted and ``capped`` says the real number is larger than ``cap``."""

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        count: int | None = None,
        count_from: QuerySet[Any] | None = None,
        cap: int | None = None,
    ) -> None:
        """``count_from``: a cheaper queryset with the same rows to count (without the joins and
        annotations that only the listed page needs). ``cap``: ``COUNT_CAP`` unless given."""
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap
        self.known_count = count
        self.count_from = count_from

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        rows = self.count_from if self.count_from is not None else self.object_list
        if not isinstance(rows, QuerySet):
            return len(rows[: self.cap + 1])
        # SELECT count(*) FROM (… LIMIT cap + 1), without the ORDER BY that counting doesn't need.
        return rows.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.known_count is None and self.count > self.cap

    @property
    def cap_label(self) -> str:
        return f"{self.cap:,}"

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            value = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if value < 1:
            raise EmptyPage("That page number is less than 1")
        if value > MAX_PAGE:
            raise EmptyPage("That page number is out of range")
        return value

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return CappedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number: Any) -> Page[Any]:
        """As Django's: page 1 for a number that is not one, the last page for one out of range.
        Past the end of a capped set, whose last page is unknown, the last page within the cap."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)
