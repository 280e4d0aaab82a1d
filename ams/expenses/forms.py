from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ams.core import marketplaces
from ams.expenses.models import Category, Expense, Repeat
from ams.expenses.services import ExpenseData

# Suppliers and service providers bill in these besides the marketplaces' currencies.
OTHER_CURRENCIES = ("CNY", "HKD", "CHF", "DKK", "NOK", "CZK", "HUF", "NZD", "KRW", "VND", "TWD")


def _date(label: str, *, required: bool) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ExpenseForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices)
    description = forms.CharField(max_length=200, strip=True)
    amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
    )
    currency = forms.ChoiceField()
    starts_on = _date("Charged on (the first time)", required=True)
    repeat = forms.ChoiceField(choices=Repeat.choices, initial=Repeat.ONCE)
    ends_on = _date("Last charge on or before", required=False)
    marketplace_id = forms.ChoiceField(required=False, label="Marketplace")
    sku = forms.CharField(max_length=64, required=False, strip=True, label="SKU")

    def __init__(
        self,
        *args: Any,
        team_markets: list[tuple[str, str]],
        instance: Expense | None = None,
        **kwargs: Any,
    ) -> None:
        if instance is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                name: getattr(instance, name) for name in ExpenseData.__dataclass_fields__
            }
        super().__init__(*args, **kwargs)
        mine = sorted({currency for _m, currency in team_markets})
        others = sorted(marketplaces.SALE_CURRENCIES - set(mine)) + sorted(OTHER_CURRENCIES)
        self.fields["currency"].choices = [(c, c) for c in [*mine, *others]]  # type: ignore[attr-defined]
        self.fields["marketplace_id"].choices = [  # type: ignore[attr-defined]
            ("", "The whole business"),
            *marketplaces.labelled({m for m, _c in team_markets}),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        repeat, ends_on, starts_on = (
            cleaned.get("repeat"),
            cleaned.get("ends_on"),
            cleaned.get("starts_on"),
        )
        if ends_on and repeat == Repeat.ONCE:
            self.add_error("ends_on", "Only a repeating expense has an end date.")
        elif ends_on and starts_on and ends_on < starts_on:
            self.add_error("ends_on", "The last charge cannot come before the first.")
        return cleaned

    def data_for_service(self) -> ExpenseData:
        c = self.cleaned_data
        return ExpenseData(
            category=c["category"],
            description=c["description"],
            amount=c["amount"],
            currency=c["currency"],
            starts_on=c["starts_on"],
            repeat=c["repeat"],
            ends_on=c.get("ends_on"),
            marketplace_id=c.get("marketplace_id") or "",
            sku=c.get("sku") or "",
        )
