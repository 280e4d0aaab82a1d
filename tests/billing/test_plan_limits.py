"""Plan limits hold where growth happens: inviting a member and connecting another account."""

from __future__ import annotations

import pytest
from django.test import Client

from ams.amazon.models import SellerConnection
from ams.amazon.services import SESSION_KEY
from ams.billing.models import Status, Subscription
from ams.billing.selectors import default_plan, plans
from ams.core.tenancy import team_scope
from ams.teams.models import Invitation
from tests.amazon.factories import make_connection
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _on_plan(personas: Personas, key: str) -> None:
    with team_scope(personas.team.id):
        Subscription.objects.filter(team=personas.team).update(status=Status.ACTIVE, plan=key)


def _owner(personas: Personas) -> Client:
    client = Client()
    client.force_login(personas.owner)
    return client


def test_a_trial_shows_the_whole_product():
    generous = max(p.limits.seats for p in plans())
    assert default_plan().limits.seats == generous


def test_invitations_stop_at_the_plans_seats(personas: Personas):
    # Starter has 3 seats; the team already has 4 members (kept: billing never removes anyone).
    _on_plan(personas, "starter")
    response = _owner(personas).post(
        f"/t/{personas.team.slug}/members/", {"email": "new@example.test", "role": "member"}
    )
    assert response.status_code == 400
    assert b"The Starter plan includes 3 seats" in response.content
    with team_scope(personas.team.id):
        assert not Invitation.objects.filter(team=personas.team).exists()
    # On a plan with room, the same invitation goes out; the outsider's team is untouched.
    _on_plan(personas, "growth")
    assert (
        _owner(personas)
        .post(f"/t/{personas.team.slug}/members/", {"email": "new@example.test", "role": "member"})
        .status_code
        == 302
    )
    with team_scope(personas.outsider_team.id):
        assert not Invitation.objects.filter(team=personas.outsider_team).exists()


def test_connecting_another_account_stops_at_the_plans_limit(personas: Personas):
    _on_plan(personas, "starter")  # one seller account
    make_connection(personas.team)
    owner = _owner(personas)
    response = owner.post(f"/t/{personas.team.slug}/amazon/connect/", {"region": "NA"}, follow=True)
    assert b"The Starter plan includes 1 seller accounts" in response.content
    # Refused before any consent state exists: nothing to replay later.
    assert not owner.session.get(SESSION_KEY)
    with team_scope(personas.team.id):
        assert SellerConnection.objects.filter(team=personas.team).count() == 1
    # The outsider, on its own trial, is not limited by team A's plan.
    outsider = Client()
    outsider.force_login(personas.outsider)
    response = outsider.post(
        f"/t/{personas.outsider_team.slug}/amazon/connect/", {"region": "NA"}, follow=True
    )
    assert b"plan includes" not in response.content
