"""The filters of the money pages (transactions, fee breakdown). Like the other data pages' filters,
every field is optional and an invalid value filters nothing and says why."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import QueryDict

from ams.dashboard.forms import FilterForm, _date
from ams.finance.selectors import (
    FEE_SKU_SORTING,
    TRANSACTION_SORTING,
    FeeFilter,
    TransactionFilter,
)

TRANSACTION_TYPES = [
    "Shipment",
    "Refund",
    "ServiceFee",
    "Adjustment",
    "Chargeback",
    "GuaranteeClaim",
    "Retrocharge",
    "ProductAdsPayment",
    "DebtRecovery",
    "Transfer",
]
TRANSACTION_STATUSES = [
    ("RELEASED", "Released"),
    ("DEFERRED", "Deferred"),
    ("DEFERRED_RELEASED", "Deferred, released"),
]
DEFAULT_DAYS = 30
DEFAULT_MONTHS = 3
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class TransactionFilterForm(FilterForm[TransactionFilter]):
    filter_class = TransactionFilter
    sorting = TRANSACTION_SORTING
    ranges = (("date_from", "date_to"),)
    date_from = _date("Posted from")
    date_to = _date("Posted to")
    type = forms.ChoiceField(
        required=False, choices=[("", "Any type"), *((t, t) for t in TRANSACTION_TYPES)]
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *TRANSACTION_STATUSES])
    marketplace = forms.ChoiceField(required=False)
    currency = forms.CharField(required=False, max_length=3)
    order = forms.CharField(required=False, max_length=40, label="Order")
    settlement = forms.CharField(required=False, max_length=40, label="Settlement")
    category = forms.CharField(required=False, max_length=40, label="Charge category")
    kind = forms.CharField(required=False, max_length=60, label="Charge kind")
    charge = forms.CharField(required=False, max_length=120, label="Charge type")
    sku = forms.CharField(required=False, max_length=64, label="Charge SKU")


def with_default_window(data: QueryDict, *, today: date) -> QueryDict:
    """Without a date, an order or a settlement, the last 30 days: a page over two years of
    transactions would count and total hundreds of thousands of rows for nobody. The window is
    put into the form, so it shows, and the export carries it too."""
    if any(data.get(k) for k in ("date_from", "date_to", "order", "settlement")):
        return data
    data = data.copy()
    data["date_from"] = (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    return data


class MonthField(forms.CharField):
    """A month as YYYY-MM (``<input type="month">``), cleaned to its first day."""

    widget = forms.TextInput(
        attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "YYYY-MM"}
    )

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = _MONTH.match(text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError("Enter a month as YYYY-MM.")
        return date(int(match.group(1)), int(match.group(2)), 1)


class FeeFilterForm(FilterForm[FeeFilter]):
    filter_class = FeeFilter
    sorting = FEE_SKU_SORTING
    month_from = MonthField(required=False, label="From month")
    month_to = MonthField(required=False, label="To month")
    marketplace = forms.ChoiceField(required=False)
    currency = forms.CharField(required=False, max_length=3)


def fee_period(filters: FeeFilter, *, today: date) -> tuple[date, date]:
    """The months of the fee breakdown: as asked, else the last three including this one."""
    last = filters.month_to or today.replace(day=1)
    first = filters.month_from
    if first is None:
        first = last
        for _ in range(DEFAULT_MONTHS - 1):
            first = (first - timedelta(days=1)).replace(day=1)
    return (first, last) if first <= last else (last, first)
