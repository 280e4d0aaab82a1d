"""The purchase order pages: list, new, detail, each step by role, receipts, payments, the PDF
download and the export; with an outsider."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from ams.core.tenancy import team_scope
from ams.products.models import Product
from ams.purchasing.models import Payment, POStatus, PurchaseOrder, Receipt
from ams.purchasing.services import LineInput, create_purchase_order
from tests.factories import Personas
from tests.procurement.helpers import streamed
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_price, add_supplier

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(p: Personas, tail: str = "") -> str:
    return f"/t/{p.team.slug}/purchasing/orders/{tail}"


@pytest.fixture
def seeded(personas: Personas) -> Personas:
    team = personas.team
    supplier = add_supplier(team, "Ningbo Mugs", email="sales@ningbo.example")
    mug = add_product(team, "MUG", name="Blue mug")
    add_price(team, supplier, mug, "1.80")
    with team_scope(team.id):
        create_purchase_order(
            team=team,
            actor=personas.member,
            supplier_id=supplier.pk,
            lines=[LineInput(mug.pk, 100)],
        )
    theirs = add_supplier(personas.outsider_team, "Secret supplier")
    their_mug = add_product(personas.outsider_team, "SECRET")
    with team_scope(personas.outsider_team.id):
        create_purchase_order(
            team=personas.outsider_team,
            actor=None,
            supplier_id=theirs.pk,
            lines=[LineInput(their_mug.pk, 1, unit_price=Decimal(1))],
        )
    return personas


def order_of(team) -> PurchaseOrder:
    with team_scope(team.id):
        return PurchaseOrder.objects.select_related("supplier").get(number="PO-00001")


def status_of(team) -> str:
    return order_of(team).status


def test_the_list_and_detail_show_the_teams_orders(seeded: Personas):
    viewer = client_for(seeded.viewer)
    html = viewer.get(url(seeded)).content.decode()
    assert "PO-00001" in html
    assert "Ningbo Mugs" in html
    assert "Secret supplier" not in html
    order = order_of(seeded.team)
    html = viewer.get(url(seeded, f"{order.pk}/")).content.decode()
    assert "180.00 USD" in html
    assert "Approve" not in html  # a viewer is offered no step


def test_another_teams_order_is_a_404_and_stays_as_it_was(seeded: Personas):
    theirs = order_of(seeded.outsider_team)
    owner = client_for(seeded.owner)
    assert owner.get(url(seeded, f"{theirs.pk}/")).status_code == 404
    assert owner.get(url(seeded, f"{theirs.pk}/pdf/")).status_code == 404
    assert owner.post(url(seeded, f"{theirs.pk}/send/")).status_code == 404
    assert owner.post(url(seeded, f"{theirs.pk}/cancel/")).status_code == 404
    assert status_of(seeded.outsider_team) == POStatus.DRAFT
    assert client_for(seeded.outsider).get(url(seeded)).status_code == 404


def test_a_member_drafts_but_only_an_admin_approves_and_sends(
    seeded: Personas, django_capture_on_commit_callbacks
):
    order = order_of(seeded.team)
    member = client_for(seeded.member)
    assert member.post(url(seeded, f"{order.pk}/send/"), {"email": "1"}).status_code == 403
    assert status_of(seeded.team) == POStatus.DRAFT
    admin = client_for(seeded.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url(seeded, f"{order.pk}/send/"), {"email": "1"})
    assert response.status_code == 302
    assert status_of(seeded.team) == POStatus.SENT
    (message,) = mail.outbox
    assert message.to == ["sales@ningbo.example"]
    assert message.attachments[0][0] == "PO-00001.pdf"
    # The supplier's confirmation and the goods are a member's to record.
    assert member.post(url(seeded, f"{order.pk}/confirm/")).status_code == 302
    assert status_of(seeded.team) == POStatus.CONFIRMED


def test_a_member_creates_an_order_and_adds_a_line(seeded: Personas):
    supplier = order_of(seeded.team).supplier
    member = client_for(seeded.member)
    response = member.post(url(seeded, "new/"), {"supplier": supplier.pk})
    assert response.status_code == 302
    with team_scope(seeded.team.id):
        order = PurchaseOrder.objects.get(number="PO-00002")
        mug_id = Product.objects.get(code="MUG").pk
    assert (
        member.post(
            url(seeded, f"{order.pk}/lines/"), {"product": mug_id, "quantity": "40"}
        ).status_code
        == 302
    )
    response = member.post(url(seeded, f"{order.pk}/lines/"), {"product": mug_id, "quantity": "-3"})
    assert response.status_code == 400
    assert "must be more than zero" in response.content.decode()
    with team_scope(seeded.team.id):
        assert list(order.lines.values_list("quantity", "unit_price")) == [(40, Decimal("1.8000"))]


def _sent(seeded: Personas) -> PurchaseOrder:
    order = order_of(seeded.team)
    assert client_for(seeded.admin).post(url(seeded, f"{order.pk}/send/")).status_code == 302
    return order


def test_goods_are_received_in_parts_and_above_the_order_only_when_confirmed(seeded: Personas):
    order = _sent(seeded)
    with team_scope(seeded.team.id):
        line = order.lines.get()
    member = client_for(seeded.member)
    sent_at = order_of(seeded.team).sent_at
    assert sent_at is not None
    today = sent_at.date().isoformat()
    response = member.post(
        url(seeded, f"{order.pk}/receipts/"), {f"qty_{line.pk}": "40", "received_on": today}
    )
    assert response.status_code == 302
    assert status_of(seeded.team) == POStatus.PARTIALLY_RECEIVED
    response = member.post(
        url(seeded, f"{order.pk}/receipts/"), {f"qty_{line.pk}": "70", "received_on": today}
    )
    assert response.status_code == 400
    assert "More than ordered: MUG (110 of 100)" in response.content.decode()
    with team_scope(seeded.team.id):
        assert Receipt.objects.count() == 1
    response = member.post(
        url(seeded, f"{order.pk}/receipts/"),
        {f"qty_{line.pk}": "70", "received_on": today, "confirm_over": "1"},
    )
    assert response.status_code == 302
    assert status_of(seeded.team) == POStatus.RECEIVED
    response = member.post(
        url(seeded, f"{order.pk}/receipts/"), {f"qty_{line.pk}": "x", "received_on": today}
    )
    assert response.status_code == 400
    assert "is not a number of units" in response.content.decode()


def test_payments_are_an_admins_to_record(seeded: Personas):
    order = _sent(seeded)
    form = {"kind": "deposit", "amount": "54.00", "paid_on": "2026-01-05"}
    assert (
        client_for(seeded.member).post(url(seeded, f"{order.pk}/payments/"), form).status_code
        == 403
    )
    admin = client_for(seeded.admin)
    assert admin.post(url(seeded, f"{order.pk}/payments/"), form).status_code == 302
    response = admin.post(url(seeded, f"{order.pk}/payments/"), {**form, "amount": "-1"})
    assert response.status_code == 400
    assert "more than zero" in response.content.decode()
    with team_scope(seeded.team.id):
        assert list(Payment.objects.values_list("amount", "currency")) == [
            (Decimal("54.0000"), "USD")
        ]


def test_an_invalid_step_shows_why_and_changes_nothing(seeded: Personas):
    order = order_of(seeded.team)
    response = client_for(seeded.admin).post(url(seeded, f"{order.pk}/close/"))
    assert response.status_code == 400
    assert "is draft: it cannot become closed" in response.content.decode()
    assert status_of(seeded.team) == POStatus.DRAFT


def test_the_pdf_downloads(seeded: Personas):
    order = order_of(seeded.team)
    response = client_for(seeded.viewer).get(url(seeded, f"{order.pk}/pdf/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_export_has_one_row_per_line_of_the_teams_orders(seeded: Personas):
    response = client_for(seeded.viewer).get(url(seeded, "export/?format=csv"))
    text = b"".join(streamed(response)).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("number,status,supplier,currency")
    assert len(lines) == 2
    assert lines[1].startswith("PO-00001,Draft,Ningbo Mugs,USD")
    assert "SECRET" not in text
