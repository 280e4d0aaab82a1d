from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ams.accounts.models import User
from ams.support.models import SupportRequest


def access_support_request(status_token: str) -> SupportRequest:
    """The request its status link names, or a 404 that says nothing about others."""
    found = SupportRequest.objects.filter(status_token=status_token).first()
    if found is None:
        raise Http404("No such request")
    return found


def user_support_requests(user: User) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(user=user).order_by("-created_at")
