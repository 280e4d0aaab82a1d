from __future__ import annotations

from typing import Any

from django import forms

from ams.core.marketplaces import SALE_CURRENCIES
from ams.core.selectors import AuditFilter
from ams.teams.models import Role


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in (Role.ADMIN, Role.MEMBER, Role.VIEWER)],
        initial=Role.MEMBER,
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in (Role.ADMIN, Role.MEMBER, Role.VIEWER)]
    )


class TeamSettingsForm(forms.Form):
    """The team's details: admins correct the name; the owner also sets the owner's 2FA rule."""

    name = forms.CharField(max_length=120, strip=True)
    require_owner_2fa = forms.BooleanField(
        required=False, label="Require two-factor authentication for the owner"
    )
    home_currency = forms.ChoiceField(
        required=False,
        label="Home currency",
        choices=[("", "The currency of the main marketplace")]
        + [(c, c) for c in sorted(SALE_CURRENCIES)],
        help_text="Every profit figure is also shown in it, at the ECB's rate of its day.",
    )

    def __init__(self, *args: Any, owner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not owner:
            del self.fields["require_owner_2fa"]


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=120, strip=True, label="Team name")


class RetentionForm(forms.Form):
    months = forms.IntegerField(min_value=1, max_value=1000)
    financial_months = forms.IntegerField(min_value=1, max_value=1000, required=False)
    reason = forms.CharField(max_length=300, required=False)


class AuditFilterForm(forms.Form):
    """The owner's filters over the team's audit trail: kind, who, and a date range."""

    kind = forms.ChoiceField(required=False)
    actor = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Who")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self, data: Any, *, kinds: list[str], actors: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        kind_field = self.fields["kind"]
        actor_field = self.fields["actor"]
        assert isinstance(kind_field, forms.ChoiceField)
        assert isinstance(actor_field, forms.ChoiceField)
        kind_field.choices = [("", "Every kind"), *((k, k) for k in kinds)]
        actor_field.choices = [("", "Anyone"), *actors]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The start date is after the end date.")
        return cleaned

    def filters(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        return AuditFilter(
            kind=data.get("kind") or "",
            actor_id=data.get("actor"),
            since=data.get("since"),
            until=data.get("until"),
        )
