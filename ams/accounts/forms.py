from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from ams.accounts.models import User
from ams.core.display_styles import STYLES


class SignupForm(forms.Form):
    """The extra field allauth's sign-up asks for: the person's name."""

    name = forms.CharField(max_length=150, strip=True, label="Your name")

    field_order = ["name", "email", "password1", "password2"]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if not name or any(ch in name for ch in "<>\x00"):
            raise forms.ValidationError("Enter your name as you would like your team to see it.")
        return name

    def signup(self, request: HttpRequest, user: User) -> None:
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["name", "display_style"]

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Your name cannot be empty.")
        return name

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Your name"
        style = self.fields["display_style"]
        style.label = "Numbers and dates"
        style.choices = [("", "As my browser's language writes them"), *STYLES]  # type: ignore[attr-defined]
