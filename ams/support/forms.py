from __future__ import annotations

from typing import Any

from django import forms

from ams.support.models import Topic

MESSAGE_MAX = 5000


class SupportRequestForm(forms.Form):
    """The contact form. Signed in, the address is the account's; otherwise it is asked for."""

    email = forms.EmailField(max_length=254, label="Your email address")
    name = forms.CharField(max_length=150, required=False, strip=True, label="Your name")
    topic = forms.ChoiceField(choices=Topic.choices, label="What is it about?")
    message = forms.CharField(
        max_length=MESSAGE_MAX, strip=True, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args: Any, signed_in: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["email"]
