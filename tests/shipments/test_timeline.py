"""Where every unit is: ordered, in production, in transit, at a 3PL, and Amazon's own inbound,
sellable and reserved counts per the product's SKUs; nothing of another team."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from ams.core.tenancy import team_scope
from ams.products.models import ProductSku
from ams.purchasing.services import purchase_order_confirm
from ams.shipments.services import shipment_create, shipment_receive
from tests.amazon.factories import make_connection
from tests.dashboard.factories import stock
from tests.factories import Personas
from tests.shipments.helpers import add_location, sent_order

pytestmark = pytest.mark.django_db

DE = "A1PA6795UKMFR9"


def test_each_unit_is_counted_once_at_the_stage_it_is_at(personas: Personas):
    team, member = personas.team, personas.member
    sent = sent_order(team, member, {"MUG": 100})
    confirmed = sent_order(team, member, {"MUG": 30}, supplier="Second Mugs")
    reno = add_location(team)
    with team_scope(team.id):
        purchase_order_confirm(team=team, order_id=confirmed.pk)
        mug = sent.lines.get().product
        ProductSku.objects.create(team=team, product=mug, sku="MUG-US", marketplace_id=None)
        ProductSku.objects.create(team=team, product=mug, sku="MUG-DE", marketplace_id=DE)
        # 60 of the sent order travel; 20 of them were counted in earlier on another shipment.
        on_the_way = shipment_create(
            team=team, actor=member, destination_id=reno.pk, quantities={sent.lines.get().pk: 40}
        )
        landed = shipment_create(
            team=team, actor=member, destination_id=reno.pk, quantities={sent.lines.get().pk: 20}
        )
        shipment_receive(
            team=team,
            actor=member,
            shipment_id=landed.pk,
            received_on=timezone.now().date(),
            quantities={landed.lines.get().pk: 20},
        )
    connection = make_connection(team)
    stock(team, connection, "MUG-US", fulfillable=50, inbound=12)  # reserved 1
    stock(team, connection, "MUG-DE", fulfillable=7, marketplace_id=DE)  # reserved 1
    stock(
        team, connection, "MUG-US", fulfillable=999, channel="MFN", marketplace_id="A2EUQ1WTGCTBG2"
    )
    # The outsider has a product of the same code and stock under the same SKU.
    their_order = sent_order(personas.outsider_team, None, {"MUG": 5})
    assert their_order.pk
    their_connection = make_connection(personas.outsider_team)
    stock(personas.outsider_team, their_connection, "MUG-US", fulfillable=500)

    client = Client()
    client.force_login(personas.viewer)
    html = client.get(f"/t/{team.slug}/shipments/timeline/?product={mug.pk}").content.decode()
    # The first order, part received, is in production like the confirmed one: 100 - 40 on the
    # way - 20 received, and 30; in transit 40, at locations 20, inbound 12, sellable 57 (the
    # merchant-fulfilled offer is not Amazon's stock), reserved 1 + 1.
    for units, stage in (
        (0, "Ordered"),
        (70, "In production"),
        (40, "In transit"),
        (20, "At your locations"),
        (12, "Inbound to FBA"),
        (57, "Sellable at FBA"),
        (2, "Reserved at FBA"),
    ):
        assert f"<li><strong>{units}</strong> {stage} " in html
    assert "201 units from the supplier" in html
    assert on_the_way.number  # still on its way: counted in transit, not at the location
    table = client.get(f"/t/{team.slug}/shipments/timeline/").content.decode()
    assert "<strong>201</strong>" in table

    outsider = Client()
    outsider.force_login(personas.outsider)
    assert outsider.get(f"/t/{team.slug}/shipments/timeline/").status_code == 404
    theirs = outsider.get(f"/t/{personas.outsider_team.slug}/shipments/timeline/?product={mug.pk}")
    assert theirs.status_code == 404
    their_table = outsider.get(f"/t/{personas.outsider_team.slug}/shipments/timeline/")
    # Their 5 ordered units; their stock sells under a SKU they have not mapped to a product.
    assert "<strong>5</strong>" in their_table.content.decode()
    assert "201" not in their_table.content.decode()
