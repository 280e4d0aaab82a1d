from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ams.accounts.forms import ProfileForm
from ams.accounts.models import User
from ams.core.selectors import user_audit_entries

HISTORY_LENGTH = 20


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
