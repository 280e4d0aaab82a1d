"""The cost batches page: every role reads it, owners and admins choose the method (everything
repriced), members may not; another team's page is refused and its settings untouched."""

from __future__ import annotations

import pytest
from django.test import Client

from ams.core.tenancy import team_scope
from ams.costing.models import CostingSettings, Method
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def method_of(team) -> str | None:
    with team_scope(team.id):
        found = CostingSettings.objects.filter(team=team).first()
    return found.method if found else None


def test_the_method_is_chosen_by_owners_and_admins_only(personas: Personas):
    page = f"/t/{personas.team.slug}/cost-batches/"
    assert client_for(personas.viewer).get(page).status_code == 200
    assert (
        client_for(personas.member).post(page + "method/", {"method": "average"}).status_code == 403
    )
    assert method_of(personas.team) is None
    assert (
        client_for(personas.admin).post(page + "method/", {"method": "average"}).status_code == 302
    )
    assert method_of(personas.team) == Method.AVERAGE
    client_for(personas.admin).post(page + "method/", {"method": "lifo"})
    assert method_of(personas.team) == Method.AVERAGE
    outsider = client_for(personas.outsider)
    assert outsider.post(page + "method/", {"method": "fifo"}).status_code in (403, 404)
    assert method_of(personas.team) == Method.AVERAGE
    assert method_of(personas.outsider_team) is None
