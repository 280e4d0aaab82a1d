"""The bank statement's forms: the upload, and the seller's choice of its columns."""

from __future__ import annotations

from typing import Any

from django import forms

from ams.core.marketplaces import SALE_CURRENCIES
from ams.finance.bank_csv import DATE_FORMATS, MAX_BYTES, Mapping


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label="Bank statement (CSV)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Before a byte is read: a statement is small, whatever was sent.
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: no bank statement is; "
                "export a shorter period."
            )
        return upload


DECIMAL_CHOICES = [(".", "1,234.56 (decimal point)"), (",", "1.234,56 (decimal comma)")]


class StatementColumnsForm(forms.Form):
    """Which of the file's columns hold the day, the amount and the description, and how the
    cells are written. The date formats every date of the file fits come first; more than one
    means the file cannot tell (01/02/2026), and the seller says which."""

    date_column = forms.TypedChoiceField(coerce=int, label="Date")
    date_format = forms.ChoiceField(label="Dates are written")
    amount_column = forms.TypedChoiceField(coerce=int, label="Amount (money in, or signed)")
    debit_column = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Money out, if the bank puts it in a column of its own",
    )
    decimal_mark = forms.ChoiceField(choices=DECIMAL_CHOICES, label="Amounts are written")
    description_columns = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label="Description (one or more)"
    )
    currency = forms.ChoiceField(label="The account's currency")

    def __init__(
        self, *args: Any, header: tuple[str, ...], date_formats: tuple[str, ...], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        columns = [(i, f"{i + 1}: {name or '(no name)'}") for i, name in enumerate(header)]
        self.fields["date_column"].choices = columns  # type: ignore[attr-defined]
        self.fields["amount_column"].choices = columns  # type: ignore[attr-defined]
        self.fields["debit_column"].choices = [("", "None"), *columns]  # type: ignore[attr-defined]
        self.fields["description_columns"].choices = columns  # type: ignore[attr-defined]
        # The formats the file's dates fit first, then the others (for another date column).
        detected = [f for f in date_formats if f in DATE_FORMATS]
        offered = detected + [f for f in DATE_FORMATS if f not in detected]
        self.fields["date_format"].choices = [(f, f) for f in offered]  # type: ignore[attr-defined]
        self.fields["currency"].choices = [(c, c) for c in sorted(SALE_CURRENCIES)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if data["amount_column"] == data["date_column"]:
            raise forms.ValidationError("The date and the amount must be different columns.")
        if data.get("debit_column") in (data["date_column"], data["amount_column"]):
            raise forms.ValidationError("Money out must be a column of its own.")
        return data

    def mapping(self) -> Mapping:
        data = self.cleaned_data
        return Mapping(
            date_column=data["date_column"],
            amount_column=data["amount_column"],
            description_columns=tuple(data["description_columns"]),
            date_format=data["date_format"],
            decimal_mark=data["decimal_mark"],
            debit_column=data.get("debit_column"),
        )
