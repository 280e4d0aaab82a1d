from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def billing(request: HttpRequest) -> dict[str, Any]:
    """The billing banner every member of a team sees when the trial ends soon or payment failed."""
    team = getattr(request, "team", None)
    membership = getattr(request, "membership", None)
    if team is None or membership is None:
        return {}
    from ams.billing.selectors import billing_banner

    return {"billing_banner": billing_banner(team, membership)}
