"""The filters of the data pages. Every filter is optional; an invalid value is ignored, not an error.

Each form builds its page's filter, a frozen dataclass of the selectors that read the page (its
fields are the form's, by the same names, so the query string stays the page's own)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Generic, TypeVar

from django import forms

from ams.catalog.selectors import ListingFilter
from ams.dashboard.overview import OverviewFilter
from ams.finance.selectors import SettlementFilter
from ams.inventory.selectors import StockFilter
from ams.orders.selectors import OrderFilter

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

    def __init__(self, data: Any, *, marketplaces: list[tuple[str, str]]) -> None:
        super().__init__(data, auto_id="filter_%s")
        if "marketplace" in self.fields:
            self.fields["marketplace"].choices = [("", "Any marketplace"), *marketplaces]  # type: ignore[attr-defined]

    def filters(self) -> FilterT:
        """The valid filters; a field with an invalid value filters nothing."""
        self.is_valid()
        return self.filter_class(
            **{k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        )


def filter_values(filters: Any) -> dict[str, Any]:
    """A filter's values as its form had them, by field name, the empty ones left out: for the
    query string of the page's links and its export (an unticked box stays in, as False)."""
    return {k: v for k, v in asdict(filters).items() if v not in (None, "")}


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        required=False, label=label, widget=forms.DateInput(attrs={"type": "date"})
    )


class OrderFilterForm(FilterForm[OrderFilter]):
    filter_class = OrderFilter
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


class InventoryFilterForm(FilterForm[StockFilter]):
    filter_class = StockFilter
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
    q = forms.CharField(required=False, max_length=100, label="SKU, ASIN or title")
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *((s, s.capitalize()) for s in LISTING_STATUSES)],
    )
    marketplace = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=CHANNELS)


class SettlementFilterForm(FilterForm[SettlementFilter]):
    filter_class = SettlementFilter
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
