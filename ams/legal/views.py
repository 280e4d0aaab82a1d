from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from ams.accounts.models import User
from ams.legal import documents, services


def _document(document: str, version: str | None) -> documents.Version:
    if document not in documents.DOCUMENTS:
        raise Http404("No such document")
    found = documents.latest(document) if version is None else documents.find(document, version)
    if found is None:
        raise Http404("No such version")
    return found


@require_GET
def document(request: HttpRequest, document: str, version: str | None = None) -> HttpResponse:
    """A policy document: the latest version at a stable address, and each version at its own."""
    shown = _document(document, version)
    latest = documents.latest(document)
    context = {
        "doc": shown,
        "is_latest": latest is not None and shown.version == latest.version,
        "versions": list(reversed(documents.versions(document))),
        "upcoming": shown.effective > timezone.now().date(),
    }
    return render(request, "legal/document.html", context)


@login_required
@require_POST
def acknowledge(request: HttpRequest, document: str, version: str) -> HttpResponse:
    assert isinstance(request.user, User)
    services.policy_acknowledge(user=request.user, version=_document(document, version))
    messages.success(request, "Thank you: noted.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)
