from __future__ import annotations

from typing import Any

from django import forms

from ams.purchasing.attachments import ACCEPTED
from ams.purchasing.models import (
    AllocationBasis,
    AttachmentKind,
    BalanceDue,
    ChargeKind,
    Incoterm,
    PaymentKind,
)
from ams.purchasing.supplier_services import SupplierData


class SupplierForm(forms.Form):
    name = forms.CharField(max_length=200)
    currency = forms.CharField(max_length=3, help_text="Three letters: USD, EUR, CNY…")
    email = forms.EmailField(required=False, help_text="Purchase orders are sent here.")
    phone = forms.CharField(max_length=40, required=False)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    website = forms.CharField(max_length=200, required=False)
    incoterm = forms.ChoiceField(required=False, choices=[("", "—"), *Incoterm.choices])
    deposit_percent = forms.DecimalField(
        min_value=0, max_value=100, max_digits=5, decimal_places=2, initial=0, label="Deposit (%)"
    )
    balance_due = forms.ChoiceField(choices=BalanceDue.choices, label="Balance due")
    balance_days = forms.IntegerField(min_value=0, initial=0, label="Days after that")
    stated_lead_time_days = forms.IntegerField(
        min_value=0, required=False, label="Lead time (days, as you know it)"
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def data_out(self) -> SupplierData:
        return SupplierData(**self.cleaned_data)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200)
    role = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)


class _ProductChoiceForm(forms.Form):
    product = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = products


class OfferForm(_ProductChoiceForm):
    supplier_code = forms.CharField(max_length=64, required=False, label="Their code")
    minimum_order_quantity = forms.IntegerField(min_value=1, initial=1, label="Minimum order")
    case_pack = forms.IntegerField(min_value=1, initial=1, label="Units per case")


class PriceForm(_ProductChoiceForm):
    min_quantity = forms.IntegerField(min_value=1, initial=1, label="From quantity")
    unit_price = forms.DecimalField(min_value=0, max_digits=14, decimal_places=4)
    currency = forms.CharField(max_length=3, required=False, help_text="The supplier's if empty.")
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class PurchaseOrderForm(forms.Form):
    supplier = forms.TypedChoiceField(coerce=int)
    expected_ship_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expected_arrival_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, suppliers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supplier"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = suppliers


class LineForm(_ProductChoiceForm):
    quantity = forms.IntegerField(help_text="Units to order.")
    unit_price = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=4,
        help_text="Empty: the supplier's price for this quantity today.",
    )
    expected_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(choices=PaymentKind.choices)
    amount = forms.DecimalField(max_digits=14, decimal_places=4)
    paid_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(max_length=200, required=False)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label="What it is", choices=AttachmentKind.choices)
    file = forms.FileField(
        label="File",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED.replace(" ", "")}),
    )


class ChargeForm(forms.Form):
    kind = forms.ChoiceField(choices=ChargeKind.choices)
    amount = forms.DecimalField(max_digits=14, decimal_places=4)
    currency = forms.CharField(max_length=3, help_text="Three letters, like USD.")
    basis = forms.ChoiceField(
        choices=AllocationBasis.choices,
        label="Spread over the lines",
        help_text="Weight and volume come from the products' unit weight and size.",
    )
    paid_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Converted at this day's rate; empty: at the rate of the first receipt's day.",
    )
    note = forms.CharField(max_length=200, required=False)
