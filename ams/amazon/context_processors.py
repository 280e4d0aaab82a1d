from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def amazon(request: HttpRequest) -> dict[str, Any]:
    """A banner for the team's owner and admins when an Amazon account needs re-authorizing."""
    team = getattr(request, "team", None)
    membership = getattr(request, "membership", None)
    if team is None or membership is None:
        return {}
    from ams.amazon.selectors import team_connections_to_renew
    from ams.amazon.services import MANAGER_ROLE

    if not membership.role_enum.at_least(MANAGER_ROLE):
        return {}
    # Lazy: only the full page shows the banner, not an htmx partial.
    return {"amazon_to_renew": SimpleLazyObject(lambda: team_connections_to_renew(team))}
