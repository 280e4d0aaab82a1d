"""The period of the profit and loss statement: a calendar month, quarter or year, or from … to."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from ams.dashboard import overview as ov
from ams.dashboard.pnl import calendar_period

CHOICES = {
    "this_month": ("Month to date", "month", 0),
    "last_month": ("Last month", "month", 1),
    "this_quarter": ("Quarter to date", "quarter", 0),
    "last_quarter": ("Last quarter", "quarter", 1),
    "this_year": ("Year to date", "year", 0),
    "last_year": ("Last year", "year", 1),
}
DEFAULT = "last_month"
LONGEST_DAYS = 3 * 366


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class PnlPeriodForm(forms.Form):
    period = forms.ChoiceField(
        required=False,
        choices=[
            *((key, label) for key, (label, _k, _b) in CHOICES.items()),
            ("custom", "From … to …"),
        ],
    )
    date_from = _date("From")
    date_to = _date("To")

    def __init__(self, data: Any) -> None:
        super().__init__(data, auto_id="pnl_%s")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("period") == "custom":
            first, last = cleaned.get("date_from"), cleaned.get("date_to")
            if not first or not last:
                self.add_error("date_from", "A custom period needs a first and a last day.")
            elif first > last:
                self.add_error("date_to", "To must be on or after From.")
            elif (last - first).days >= LONGEST_DAYS:
                self.add_error("date_to", "A period is at most three years.")
        return cleaned

    def chosen(self, *, today: date) -> tuple[ov.Period, str, str]:
        """The period in force, its key and label; the default month where the form is invalid
        (its errors say why)."""
        valid = self.is_valid()
        key = (self.cleaned_data.get("period") if valid else None) or DEFAULT
        if key == "custom" and valid:
            first, last = self.cleaned_data["date_from"], self.cleaned_data["date_to"]
            return ov.Period(first, last), key, "Custom period"
        if key not in CHOICES:
            key = DEFAULT
        label, kind, back = CHOICES[key]
        return calendar_period(kind, today, back=back), key, label
