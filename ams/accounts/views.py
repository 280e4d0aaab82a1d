from __future__ import annotations

from decimal import Decimal
from typing import Any

from allauth.account.views import SignupView as AllauthSignupView
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ams.accounts.forms import ProfileForm
from ams.accounts.invited import invited
from ams.accounts.models import User
from ams.core.selectors import user_audit_entries

HISTORY_LENGTH = 20


class SignupView(AllauthSignupView):  # type: ignore[misc]
    """allauth's sign-up, filled in with the address of the invitation the visitor followed."""

    def get_initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_initial()
        found = invited(self.request)
        if found is not None:
            initial["email"] = found.email
        return initial

    def get_form(self, form_class: Any = None) -> forms.Form:
        form: forms.Form = super().get_form(form_class)
        found = invited(self.request)
        if found is not None and "email" in form.fields:
            form.fields["email"].help_text = (
                f"Your invitation was sent to {found.email}: keep this address and your account "
                "is ready at once. Another address must first be confirmed by email, and the "
                f"invitation can then only be accepted by {found.email}."
            )
        return form


signup = SignupView.as_view()


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("profile")
    history = user_audit_entries(user_id=request.user.id, limit=HISTORY_LENGTH)
    context = {"form": form, "history": history, "sample_amount": Decimal("12345.6")}
    return render(request, "accounts/profile.html", context)
