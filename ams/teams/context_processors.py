from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ams.accounts.models import User
from ams.teams.selectors import user_memberships


def teams(request: HttpRequest) -> dict[str, Any]:
    """The team switcher: every team the signed-in user belongs to, and the one in the URL."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {
        "my_memberships": user_memberships(user),
        "current_team": getattr(request, "team", None),
        "current_membership": getattr(request, "membership", None),
    }
