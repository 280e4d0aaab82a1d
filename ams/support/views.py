from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ams.accounts.models import User
from ams.support import selectors, services
from ams.support.forms import SupportRequestForm
from ams.support.models import Topic


def _client_ip(request: HttpRequest) -> str:
    # allauth's reading honours ALLAUTH_TRUSTED_PROXY_COUNT, as the sign-in limits do.
    try:
        return str(get_adapter(request).get_client_ip(request))
    except PermissionDenied:
        return ""


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    """The privacy and support request form: signed in, or anyone with an email address."""
    user = request.user if isinstance(request.user, User) else None
    initial = {"name": user.name} if user else {}
    form = SupportRequestForm(request.POST or None, initial=initial, signed_in=user is not None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.support_request_create(
                    user=user,
                    email=data.get("email", ""),
                    name=data["name"],
                    topic=Topic(data["topic"]),
                    message=data["message"],
                    ip=_client_ip(request),
                )
            except services.TooManyRequests as exc:
                form.add_error(None, " ".join(exc.messages))
                status = 429
            else:
                return redirect("support_request_status", status_token=ticket.status_token)
    mine = list(selectors.user_support_requests(user)[:20]) if user else []
    return render(request, "support/contact.html", {"form": form, "mine": mine}, status=status)


@require_GET
def request_status(request: HttpRequest, status_token: str) -> HttpResponse:
    ticket = selectors.access_support_request(status_token)
    return render(request, "support/status.html", {"ticket": ticket})
