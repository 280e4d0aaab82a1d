"""The admin has no password form of its own: staff sign in through the same view as everyone,
so the failed-login lockout and two-factor authentication cover it too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    if request.user.is_authenticated:
        if not request.user.is_staff:
            raise PermissionDenied("Staff only.")
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index")
        return redirect(target)
    return redirect_to_login(
        request.GET.get("next") or reverse("admin:index"), reverse("account_login")
    )
