from __future__ import annotations

from django import forms

from ams.amazon.models import Region


class ConnectForm(forms.Form):
    region = forms.ChoiceField(choices=Region.choices, initial=Region.NA)
