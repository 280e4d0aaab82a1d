"""The cost page's list of synced SKUs without a cost: counted and listed by the database."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from ams.core.tenancy import team_scope
from ams.procurement import selectors, views
from tests.factories import Personas
from tests.procurement.helpers import add_cost, synced_skus

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(personas: Personas) -> Personas:
    synced_skus(personas.team, "MUG-1", "MUG_2", "mugX3", "LAMP-1")
    add_cost(personas.team, "MUG-1", "4.00", date(2026, 1, 1))
    synced_skus(personas.outsider_team, "MUG-SECRET")
    return personas


def test_the_skus_without_a_cost_are_counted_and_listed_in_order(seeded: Personas):
    with team_scope(seeded.team.id):
        assert selectors.skus_without_cost_page(seeded.team) == (3, ["LAMP-1", "MUG_2", "mugX3"])
        assert selectors.skus_without_cost_page(seeded.team, sku_contains="MUG") == (
            2,
            ["MUG_2", "mugX3"],
        )
        # "_" is a character to find, not a wildcard.
        assert selectors.skus_without_cost_page(seeded.team, sku_contains="g_") == (1, ["MUG_2"])
        assert selectors.skus_without_cost_page(seeded.team, limit=1) == (3, ["LAMP-1"])


def test_the_page_shows_the_count_beyond_the_listed_ones_and_not_the_outsiders(
    seeded: Personas, monkeypatch
):
    monkeypatch.setattr(views, "MISSING_SHOWN", 1)
    client = Client()
    client.force_login(seeded.viewer)
    html = client.get(f"/t/{seeded.team.slug}/costs/", {"q": "mug"}).content.decode()
    assert "2 SKUs without a cost" in html
    assert "Showing 1 of 2" in html
    assert "MUG-SECRET" not in html
