"""Test data: users without hashed passwords (fast), teams with every persona, through the services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from allauth.account.models import EmailAddress

from ams.accounts.models import User
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role, Team
from ams.teams.services import team_create

_counter = itertools.count(1)


def make_user(
    *, name: str | None = None, email: str | None = None, password: str | None = None
) -> User:
    n = next(_counter)
    user = User.objects.create_user(
        email=email or f"user{n}@example.test", password=password, name=name or f"User {n}"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def add_member(team: Team, user: User, role: Role) -> Membership:
    with team_scope(team.id):
        return Membership.objects.create(team=team, user=user, role=role)


@dataclass
class Personas:
    team: Team
    owner: User
    admin: User
    member: User
    viewer: User
    outsider: User
    outsider_team: Team

    def user_for(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self, persona)


def make_personas(prefix: str = "a") -> Personas:
    owner = make_user(name=f"Owner {prefix}")
    team = team_create(owner=owner, name=f"Team {prefix}")
    admin, member, viewer = make_user(), make_user(), make_user()
    add_member(team, admin, Role.ADMIN)
    add_member(team, member, Role.MEMBER)
    add_member(team, viewer, Role.VIEWER)
    # The outsider owns another team, whose rows are always present too.
    outsider = make_user(name="Outsider")
    outsider_team = team_create(owner=outsider, name="Outsider's team")
    return Personas(team, owner, admin, member, viewer, outsider, outsider_team)
