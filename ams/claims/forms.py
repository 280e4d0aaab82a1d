from __future__ import annotations

from django import forms

from ams.claims.selectors import CLAIM_SORTING
from ams.claims.services import SELLER_STATUSES


class ClaimStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in SELLER_STATUSES])
    case_id = forms.CharField(
        max_length=40,
        required=False,
        label="Amazon case id",
        help_text="Optional: the id Seller Central gave the case.",
    )

    def clean_case_id(self) -> str:
        value: str = self.cleaned_data["case_id"].strip()
        if value and not all(c.isalnum() or c in "-_" for c in value):
            raise forms.ValidationError("A case id has only letters, digits and dashes.")
        return value


class ClaimListForm(forms.Form):
    show = forms.ChoiceField(
        choices=[("active", "To file and filed"), ("all", "Every case")], required=False
    )
    sort = forms.CharField(required=False, max_length=40)

    def clean_sort(self) -> str:
        value: str = self.cleaned_data["sort"].strip()
        if not CLAIM_SORTING.knows(value):
            raise forms.ValidationError(
                "Unknown sort column “%(value)s”: the cases are in deadline order.",
                params={"value": value},
            )
        return value
