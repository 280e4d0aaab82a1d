from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ams.accounts.models import User
from ams.legal.selectors import pending_notices


def policy_notices(request: HttpRequest) -> dict[str, Any]:
    """The material policy changes the signed-in person has not acknowledged yet."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {"policy_notices": pending_notices(user)}
