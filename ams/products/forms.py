from __future__ import annotations

from typing import Any

from django import forms

from ams.core.marketplaces import choices as marketplace_choices
from ams.products.services import ProductData


def _measure(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        required=False, min_value=0, max_digits=10, decimal_places=2, label=label
    )


class ProductForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=64, help_text="Your own reference for it, unique.")
    hs_code = forms.CharField(max_length=16, required=False, label="HS code")
    country_of_origin = forms.CharField(
        max_length=2, required=False, label="Country of origin", help_text="Two letters: CN, DE…"
    )
    unit_length_cm = _measure("Unit length (cm)")
    unit_width_cm = _measure("Unit width (cm)")
    unit_height_cm = _measure("Unit height (cm)")
    unit_weight_g = _measure("Unit weight (g)")
    units_per_carton = forms.IntegerField(required=False, min_value=1, label="Units per carton")
    carton_length_cm = _measure("Carton length (cm)")
    carton_width_cm = _measure("Carton width (cm)")
    carton_height_cm = _measure("Carton height (cm)")
    carton_weight_kg = _measure("Carton weight (kg)")
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def data_out(self) -> ProductData:
        return ProductData(**self.cleaned_data)


class ProductSkuForm(forms.Form):
    sku = forms.CharField(max_length=64, label="SKU")
    marketplace = forms.ChoiceField(
        required=False, choices=lambda: [("", "Every marketplace"), *marketplace_choices()]
    )


class ComponentForm(forms.Form):
    component = forms.TypedChoiceField(coerce=int, label="Component")
    quantity = forms.IntegerField(min_value=0, label="Units per bundle")

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["component"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = choices
