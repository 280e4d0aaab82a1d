"""The demo's data: a seller with a team, ready to sign in to."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from ams.accounts.models import User
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role, Team
from ams.teams.services import team_create

DEMO_EMAIL = "demo@ams.localhost"
DEMO_PASSWORD = "demo-seller-password"  # noqa: S105  (printed by `make demo`; a local, throwaway account)
DEMO_TEAM = "Demo Seller"


@dataclass(frozen=True)
class DemoAccount:
    user: User
    team: Team


def _user(email: str, name: str, password: str | None) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, name=name, password=password)
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def demo_account_ensure() -> DemoAccount:
    """Create the demo seller, their team and two colleagues, once; later runs reuse them."""
    user = _user(DEMO_EMAIL, "Dana Demo", DEMO_PASSWORD)
    team = Team.objects.filter(name=DEMO_TEAM).order_by("id").first()
    if team is None:
        team = team_create(owner=user, name=DEMO_TEAM)
        colleagues = [
            ("sam@ams.localhost", "Sam Stock", Role.MEMBER),
            ("vic@ams.localhost", "Vic Viewer", Role.VIEWER),
        ]
        with team_scope(team.id):
            for email, name, role in colleagues:
                Membership.objects.create(team=team, user=_user(email, name, None), role=role)
    return DemoAccount(user=user, team=team)
