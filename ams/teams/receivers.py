from __future__ import annotations

from typing import Any

from allauth.account.signals import user_signed_up
from django.dispatch import receiver
from django.http import HttpRequest

from ams.accounts.invited import invited, invited_forget
from ams.accounts.models import User
from ams.teams.services import team_create


@receiver(user_signed_up)
def create_first_team(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Every new user starts with a team of their own, of which they are the owner.

    Except someone signing up with the address of an invitation they followed: they came to join
    that team (the invitation page they return to accepts it), not to start a team and a trial.
    """
    found = invited(request)
    if found is not None and found.email.strip().lower() == user.email.strip().lower():
        return
    invited_forget(request)
    name = user.name or user.email.split("@")[0]
    team_create(owner=user, name=f"{name}'s team")
