"""The filters of the data pages. Every filter is optional; an invalid value is ignored, not an error."""

from __future__ import annotations

from typing import Any

from django import forms

ORDER_STATUSES = ["pending", "unshipped", "partially_shipped", "shipped", "cancelled", "unfulfillable"]
CHANNELS = [("", "Any channel"), ("AFN", "Fulfilled by Amazon"), ("MFN", "Fulfilled by you")]
LISTING_STATUSES = ["active", "inactive", "suppressed", "incomplete"]


class FilterForm(forms.Form):
    def __init__(self, data: Any, *, marketplaces: list[tuple[str, str]]) -> None:
        super().__init__(data, auto_id="filter_%s")
        if "marketplace" in self.fields:
            self.fields["marketplace"].choices = [("", "Any marketplace"), *marketplaces]  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The valid filters; fields with an invalid value are left out."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


def _date(label: str) -> forms.DateField:
    return forms.DateField(required=False, label=label, widget=forms.DateInput(attrs={"type": "date"}))


class OrderFilterForm(FilterForm):
    date_from = _date("From")
    date_to = _date("To")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *((s, s.replace("_", " ").capitalize()) for s in ORDER_STATUSES)])
    marketplace = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=CHANNELS)
    sku = forms.CharField(required=False, max_length=64, label="SKU")


class InventoryFilterForm(FilterForm):
    marketplace = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=CHANNELS)
    sku = forms.CharField(required=False, max_length=64, label="SKU")
    low = forms.BooleanField(required=False, label="Under 30 days of cover")
    risk = forms.BooleanField(required=False, label="At risk of stockout within the 30-day lead time")
    excess = forms.BooleanField(required=False, label="Excess stock")
    alert = forms.CharField(required=False, max_length=40, label="Amazon's alert")


class ListingFilterForm(FilterForm):
    q = forms.CharField(required=False, max_length=100, label="SKU, ASIN or title")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *((s, s.capitalize()) for s in LISTING_STATUSES)])
    marketplace = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False, choices=CHANNELS)


class SettlementFilterForm(FilterForm):
    deposit_from = _date("Deposited from")
    deposit_to = _date("Deposited to")
    reconciliation = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("reconciled", "Reconciled"), ("mismatch", "Does not add up"), ("pending", "Transactions not synced yet")],
    )
    currency = forms.CharField(required=False, max_length=3)


class OverviewFilterForm(FilterForm):
    """The overview's period (a standard window or from/to) and marketplace; a bad value falls back
    to the default window rather than failing the team's home page."""

    period = forms.ChoiceField(
        required=False,
        choices=[("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days"), ("mtd", "Month to date"), ("custom", "Custom: from … to …")],
    )
    date_from = _date("From")
    date_to = _date("To")
    marketplace = forms.ChoiceField(required=False)
