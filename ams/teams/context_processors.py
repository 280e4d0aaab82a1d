from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from ams.accounts.models import User
from ams.teams.selectors import user_memberships


def teams(request: HttpRequest) -> dict[str, Any]:
    """The team switcher: every team the signed-in user belongs to, and the one in the URL."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {
        # Lazy: an htmx partial (the overview the team's home page loads) never shows the switcher.
        "my_memberships": SimpleLazyObject(lambda: user_memberships(user)),
        "current_team": getattr(request, "team", None),
        "current_membership": getattr(request, "membership", None),
    }
