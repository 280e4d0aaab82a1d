"""Forms every app's pages share."""

from __future__ import annotations

from django import forms


class SheetImportForm(forms.Form):
    """The upload of a sheet to import (read by ``ams.core.sheets``)."""

    file = forms.FileField(
        label="CSV or Excel file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
    )
