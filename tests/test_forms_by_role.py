"""A form is shown only to the roles that may submit it: the team settings to the owner, the cost
import to members and above. The others see what there is to see, and the outsider a 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import Personas

pytestmark = pytest.mark.django_db


def page(user, url: str) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_only_those_who_may_change_the_settings_are_shown_the_form(personas: Personas):
    url = reverse("team_settings", args=[personas.team.slug])
    status, html = page(personas.owner, url)
    assert status == 200
    assert '<form method="post">' in html
    assert 'name="name"' in html
    assert 'name="require_owner_2fa"' in html
    # An admin corrects the team's name; the owner's two-factor rule stays the owner's.
    status, html = page(personas.admin, url)
    assert status == 200
    assert 'name="name"' in html
    assert 'name="require_owner_2fa"' not in html
    for user in (personas.member, personas.viewer):
        status, html = page(user, url)
        assert status == 200
        assert '<form method="post">' not in html
        assert 'name="name"' not in html
        assert personas.team.name in html.split('id="team-settings"')[1]
        assert "Only the team's owner and admins can change these." in html
    assert page(personas.outsider, url)[0] == 404


def test_a_viewer_is_not_shown_the_cost_import_form(personas: Personas):
    url = reverse("procurement_cost_import", args=[personas.team.slug])
    for user in (personas.owner, personas.admin, personas.member):
        status, html = page(user, url)
        assert status == 200
        assert 'id="import-form"' in html
    status, html = page(personas.viewer, url)
    assert status == 200
    assert 'id="import-form"' not in html
    assert 'type="file"' not in html
    assert 'id="import-not-allowed"' in html
    assert page(personas.outsider, url)[0] == 404
