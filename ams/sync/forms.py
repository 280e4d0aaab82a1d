from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from ams.amazon.models import SellerConnection
from ams.sync.models import Family
from ams.teams.models import Team


class SyncNowForm(forms.Form):
    connection = forms.IntegerField(min_value=1)
    # Empty: every family.
    family = forms.ChoiceField(choices=[("", "All"), *Family.choices], required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or many files under one name (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single_file_clean = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [single_file_clean(f, initial) for f in files]


class SettlementUploadForm(forms.Form):
    connection = forms.ModelChoiceField(
        queryset=SellerConnection.objects.none(),
        label="Seller account",
        empty_label=None,
        help_text="The Amazon account these settlements were paid to.",
    )
    reports = MultipleFileField(label="Settlement files")

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["connection"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = SellerConnection.objects.filter(
            team=team, disconnected_at__isnull=True
        ).order_by("created_at", "id")
