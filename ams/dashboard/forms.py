"""The filters of the data pages. Every filter is optional. An invalid value filters nothing and
says why: its error shows next to its field and in a notice above the table, and the page (and its
export, which reads the same form) applies the valid filters only.

Each form builds its page's filter, a frozen dataclass of the selectors that read the page (its
fields are the form's, by the same names, so the query string stays the page's own). A table that
sorts has a hidden ``sort`` field, checked against its ``Sorting`` (``ams.core.sorting``), so the
filter form keeps the order and the filter carries it to the selector."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any, ClassVar, Generic, TypeVar

from django import forms

from ams.catalog.selectors import LISTING_SORTING, ListingFilter
from ams.core.sorting import Sorting
from ams.dashboard.overview import OverviewFilter
from ams.finance.selectors import SETTLEMENT_SORTING, SettlementFilter
from ams.inventory.selectors import STOCK_SORTING, StockFilter
from ams.orders.selectors import ORDER_SORTING, OrderFilter

FilterT = TypeVar("FilterT")

ORDER_STATUSES = [
    "pending",
    "unshipped",
    "partially_shipped",
    "shipped",
    "cancelled",
    "unfulfillable",
]
CHANNELS = [("", "Any channel"), ("AFN", "Fulfilled by Amazon"), ("MFN", "Fulfilled by you")]
LISTING_STATUSES = ["active", "inactive", "suppressed", "incomplete"]


class FilterForm(forms.Form, Generic[FilterT]):
    filter_class: type[FilterT]
    # The table's sortable columns: the form then reads and checks ``sort``.
    sorting: ClassVar[Sorting | None] = None
    # (from, to) fields whose from must not come after their to.
    ranges: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, data: Any, *, marketplaces: list[tuple[str, str]]) -> None:
        super().__init__(data, auto_id="filter_%s")
        if "marketplace" in self.fields:
            field = self.fields["marketplace"]
            field.choices = [("", "Any marketplace"), *marketplaces]  # type: ignore[attr-defined]
            field.error_messages["invalid_choice"] = (
                "Unknown marketplace “%(value)s”: this team sells in none by that id."
            )
        if self.sorting is not None:
            self.fields["sort"] = forms.CharField(
                required=False, max_length=40, widget=forms.HiddenInput, label="Sort"
            )

    def clean_sort(self) -> str:
        value: str = self.cleaned_data.get("sort", "").strip()
        if self.sorting is not None and not self.sorting.knows(value):
            raise forms.ValidationError(
                "Unknown sort column “%(value)s”: the table is in its usual order.",
                params={"value": value},
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for first, last in self.ranges:
            start, end = cleaned.get(first), cleaned.get(last)
            if start is not None and end is not None and start > end:
                message = (
                    f"{self.fields[first].label} must be on or before {self.fields[last].label}: "
                    "neither date is applied."
                )
                self.add_error(first, message)
                cleaned.pop(last, None)
        return cleaned

    def filters(self) -> FilterT:
        """The valid filters; a field with an invalid value filters nothing."""
        self.is_valid()
        return self.filter_class(
            **{k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        )

    def problems(self) -> list[str]:
        """Each invalid filter and why, for the notice above the table (after ``filters``)."""
        problems = []
        for name, messages in self.errors.items():
            label = str(self.fields[name].label or name) if name in self.fields else ""
            for message in messages:
                # "From must be on or before To" names its field already.
                named = not label or str(message).startswith(label)
                problems.append(str(message) if named else f"{label}: {message}")
        return problems


def filter_values(filters: Any) -> dict[str, Any]:
    """A filter's values as its form had them, by field name, the empty ones left out: for the
    query string of the page's links and its export (an unticked box stays in, as False). The
    sort is one of them, so links and exports keep the page's order."""
    return {k: v for k, v in asdict(filters).items() if v not in (None, "")}


def is_filtered(filters: Any) -> bool:
    """Whether any filter narrows the rows (a sort alone does not)."""
    return any(k != "sort" for k in filter_values(filters))


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )


# Amazon's order ids: 3-7-7 digits (113-1234567-1234567); other channels' ids are letters and
# digits too. A beginning of one is a search by prefix.
_ORDER_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")


class OrderFilterForm(FilterForm[OrderFilter]):
    filter_class = OrderFilter
    sorting = ORDER_SORTING
    ranges = (("date_from", "date_to"),)
    order_id = forms.CharField(
        required=False,
        max_length=40,
        label="Order id",
        widget=forms.TextInput(attrs={"placeholder": "113-1234567-1234567", "inputmode": "text"}),
    )
    date_from = _date("From")
    date_to = _date("To")
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any status"),
            *((s, s.replace("_", " ").capitalize()) for s in ORDER_STATUSES),
        ],
    )
    marketplace = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=CHANNELS)
    sku = forms.CharField(required=False, max_length=64, label="SKU")

    def clean_order_id(self) -> str:
        value: str = self.cleaned_data.get("order_id", "").strip()
        if value and not _ORDER_ID.match(value):
            raise forms.ValidationError(
                "An order id has digits, letters and dashes, like 113-1234567-1234567."
            )
        return value


class InventoryFilterForm(FilterForm[StockFilter]):
    filter_class = StockFilter
    sorting = STOCK_SORTING
    marketplace = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=CHANNELS)
    sku = forms.CharField(required=False, max_length=64, label="SKU")
    low = forms.BooleanField(required=False, label="Under 30 days of cover")
    risk = forms.BooleanField(
        required=False, label="At risk of stockout within the 30-day lead time"
    )
    excess = forms.BooleanField(required=False, label="Excess stock")
    alert = forms.CharField(required=False, max_length=40, label="Amazon's alert")


class ListingFilterForm(FilterForm[ListingFilter]):
    filter_class = ListingFilter
    sorting = LISTING_SORTING
    q = forms.CharField(required=False, max_length=100, label="SKU, ASIN or title")
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *((s, s.capitalize()) for s in LISTING_STATUSES)],
    )
    marketplace = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=CHANNELS)


class SettlementFilterForm(FilterForm[SettlementFilter]):
    filter_class = SettlementFilter
    sorting = SETTLEMENT_SORTING
    ranges = (("deposit_from", "deposit_to"),)
    deposit_from = _date("Deposited from")
    deposit_to = _date("Deposited to")
    reconciliation = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any"),
            ("reconciled", "Reconciled"),
            ("mismatch", "Does not add up"),
            ("pending", "Transactions not synced yet"),
        ],
    )
    currency = forms.CharField(required=False, max_length=3)


class OverviewFilterForm(FilterForm[OverviewFilter]):
    """The overview's period (a standard window or from/to) and marketplace; a bad value falls back
    to the default window rather than failing the team's home page."""

    filter_class = OverviewFilter

    period = forms.ChoiceField(
        required=False,
        choices=[
            ("7d", "Last 7 days"),
            ("30d", "Last 30 days"),
            ("90d", "Last 90 days"),
            ("mtd", "Month to date"),
            ("custom", "Custom: from … to …"),
        ],
    )
    date_from = _date("From")
    date_to = _date("To")
    marketplace = forms.ChoiceField(required=False)
