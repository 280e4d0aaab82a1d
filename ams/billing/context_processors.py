from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def billing(request: HttpRequest) -> dict[str, Any]:
    """The billing banner every member of a team sees when the trial ends soon or payment failed."""
    team = getattr(request, "team", None)
    membership = getattr(request, "membership", None)
    if team is None or membership is None:
        return {}
    from ams.billing.selectors import billing_banner
    from ams.core.tenancy import team_scope

    def banner() -> object:
        # An error page raised inside a team view renders after the view left the team's scope.
        with team_scope(team.id):
            return billing_banner(team, membership)

    # Lazy: only the full page shows the banner, not an htmx partial.
    return {"billing_banner": SimpleLazyObject(banner)}
