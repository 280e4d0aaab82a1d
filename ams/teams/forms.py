from __future__ import annotations

from django import forms

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
    name = forms.CharField(max_length=120, strip=True)
    require_owner_2fa = forms.BooleanField(
        required=False, label="Require two-factor authentication for the owner"
    )


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=120, strip=True, label="Team name")


class RetentionForm(forms.Form):
    months = forms.IntegerField(min_value=1, max_value=1000)
    financial_months = forms.IntegerField(min_value=1, max_value=1000, required=False)
    reason = forms.CharField(max_length=300, required=False)
