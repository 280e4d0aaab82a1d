from __future__ import annotations

from django import forms

from ams.sync.models import Family


class SyncNowForm(forms.Form):
    connection = forms.IntegerField(min_value=1)
    # Empty: every family.
    family = forms.ChoiceField(choices=[("", "All"), *Family.choices], required=False)
