"""The shipment and location pages by role, with an outsider who reaches none of them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.shipments.models import Shipment, ShipmentStatus, StockMove
from tests.factories import Personas
from tests.shipments.helpers import add_location, sent_order

pytestmark = pytest.mark.django_db

TODAY = timezone.now().date().isoformat()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_member_plans_a_shipment_tracks_it_and_counts_it_in_through_the_pages(
    personas: Personas,
):
    team = personas.team
    order = sent_order(team, personas.member, {"MUG": 24})
    reno = add_location(team)
    with team_scope(team.id):
        line = order.lines.get()
    member = _client(personas.member)
    base = f"/t/{team.slug}/shipments/"
    page = member.get(f"{base}new/").content.decode()
    assert f'name="units_{line.pk}"' in page
    response = member.post(
        f"{base}new/",
        {
            "destination": reno.pk,
            f"units_{line.pk}": 24,
            f"cartons_{line.pk}": 1,
            "leg-origin": "Ningbo",
            "leg-destination": "Reno",
            "leg-mode": "air",
            "leg-reference": "1Z999AA10123456784",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    with team_scope(team.id):
        shipment = Shipment.objects.get()
        leg = shipment.legs.get()
        shipment_line = shipment.lines.get()
    detail = f"{base}{shipment.pk}/"
    html = member.get(detail).content.decode()
    assert "1Z999AA10123456784" in html
    assert "Planned" in html
    member.post(f"{detail}legs/{leg.pk}/", {f"leg{leg.pk}-departed_on": TODAY})
    with team_scope(team.id):
        assert Shipment.objects.get().status == ShipmentStatus.IN_TRANSIT
    response = member.post(
        f"{detail}receive/", {"received_on": TODAY, f"got_{shipment_line.pk}": 23}
    )
    assert response.status_code == 302
    html = member.get(detail).content.decode()
    assert "<strong>1 short</strong>" in html
    location = member.get(f"{base}locations/{reno.pk}/").content.decode()
    assert "MUG" in location
    assert '<td class="num">23</td>' in location
    listing = member.get(base).content.decode()
    assert shipment.number in listing


def test_a_refused_count_shows_why_and_keeps_the_stock(personas: Personas):
    team = personas.team
    reno = add_location(team)
    order = sent_order(team, personas.member, {"MUG": 5})
    with team_scope(team.id):
        product = order.lines.get().product_id
    response = _client(personas.member).post(
        f"/t/{team.slug}/shipments/locations/{reno.pk}/move/",
        {"product": product, "to_location": reno.pk, "quantity": 1, "moved_on": TODAY},
    )
    assert response.status_code == 400  # moving to itself is not offered
    other = add_location(team, "Garage")
    response = _client(personas.member).post(
        f"/t/{team.slug}/shipments/locations/{reno.pk}/move/",
        {"product": product, "to_location": other.pk, "quantity": 1, "moved_on": TODAY},
    )
    assert response.status_code == 400
    assert "Reno 3PL holds 0 units of that product, not 1." in response.content.decode()
    with team_scope(team.id):
        assert not StockMove.objects.exists()


def test_viewers_read_without_forms_and_outsiders_reach_nothing(personas: Personas):
    team = personas.team
    order = sent_order(team, personas.member, {"MUG": 5})
    reno = add_location(team)
    with team_scope(team.id):
        line = order.lines.get()
    from ams.shipments.services import shipment_create

    with team_scope(team.id):
        shipment = shipment_create(
            team=team, actor=personas.member, destination_id=reno.pk, quantities={line.pk: 5}
        )
    viewer = _client(personas.viewer)
    html = viewer.get(f"/t/{team.slug}/shipments/{shipment.pk}/").content.decode()
    assert shipment.number in html
    assert 'id="receive-form"' not in html
    assert viewer.get(f"/t/{team.slug}/shipments/new/").status_code == 403
    assert viewer.post(f"/t/{team.slug}/shipments/{shipment.pk}/cancel/").status_code == 403
    outsider = _client(personas.outsider)
    for path in (
        f"/t/{team.slug}/shipments/",
        f"/t/{team.slug}/shipments/{shipment.pk}/",
        f"/t/{team.slug}/shipments/locations/",
        f"/t/{team.slug}/shipments/locations/{reno.pk}/",
    ):
        assert outsider.get(path).status_code == 404
    assert outsider.post(f"/t/{team.slug}/shipments/{shipment.pk}/cancel/").status_code == 404
    # The outsider's own pages do not show this team's shipment or location either.
    theirs = f"/t/{personas.outsider_team.slug}/shipments/"
    assert outsider.get(f"{theirs}{shipment.pk}/").status_code == 404
    assert outsider.get(f"{theirs}locations/{reno.pk}/").status_code == 404
    assert shipment.number not in outsider.get(theirs).content.decode()
    with team_scope(team.id):
        assert Shipment.objects.get().status == ShipmentStatus.PLANNED
