from __future__ import annotations

from typing import Any

from django import forms

from ams.core.marketplaces import SALE_CURRENCIES
from ams.core.marketplaces import choices as marketplace_choices
from ams.core.sheets import RowError
from ams.procurement.importing import CostRow, check_row
from ams.procurement.selectors import COST_SORTING


def _marketplace_filter_choices() -> list[tuple[str, str]]:
    return [
        ("", "Any marketplace"),
        ("all", "All marketplaces (no specific one)"),
        *marketplace_choices(),
    ]


class CostFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=64, label="SKU contains")
    marketplace = forms.ChoiceField(
        required=False,
        choices=_marketplace_filter_choices,
        error_messages={"invalid_choice": "Unknown marketplace “%(value)s”."},
    )
    sort = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def clean_sort(self) -> str:
        value: str = self.cleaned_data["sort"].strip()
        if not COST_SORTING.knows(value):
            raise forms.ValidationError(
                "Unknown sort column “%(value)s”: the list is in SKU order.",
                params={"value": value},
            )
        return value


class ProductCostForm(forms.Form):
    """One dated cost, checked by the same rules as an imported row."""

    sku = forms.CharField(max_length=64, label="SKU")
    marketplace = forms.ChoiceField(
        required=False, choices=lambda: [("", "All marketplaces"), *marketplace_choices()]
    )
    currency = forms.ChoiceField(choices=[(c, c) for c in sorted(SALE_CURRENCIES)])
    unit_cost = forms.CharField(max_length=24, label="Unit cost")
    # Empty: the cost holds for all history until a dated one replaces it.
    effective_from = forms.DateField(
        required=False,
        label="Valid from",
        help_text="Leave empty for a cost that holds for all past orders.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, known_skus: set[str] | None = None, **kwargs: Any) -> None:
        # Its own ids: the filter form on the same page has a marketplace field too.
        kwargs.setdefault("auto_id", "cost_%s")
        super().__init__(*args, **kwargs)
        self.known_skus = known_skus
        self.row: CostRow | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.row = check_row(0, data, known_skus=self.known_skus)
        except RowError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data
