"""The cash view: what open purchase orders still need paid, when (by the supplier's deposit and
balance terms), in the home currency; drafts and cancelled orders owe nothing; another team's
orders never show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from ams.core.tenancy import team_scope
from ams.purchasing.cash import cash_view
from ams.purchasing.services import (
    LineInput,
    create_purchase_order,
    payment_record,
    purchase_order_cancel,
    purchase_order_send,
    purchase_order_update,
)
from ams.teams.models import Team
from tests.factories import Personas
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_supplier

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        yield


def order(team: Team, actor, supplier, product, quantity: int, price: str, *, send: bool = True):
    with team_scope(team.id):
        made = create_purchase_order(
            team=team,
            actor=actor,
            supplier_id=supplier.pk,
            lines=[LineInput(product.pk, quantity, unit_price=Decimal(price))],
        )
        if send:
            purchase_order_send(team=team, actor=actor, order_id=made.pk, email=False)
    return made


@pytest.fixture
def owed(personas: Personas, ecb_rates: None) -> Personas:
    team, owner = personas.team, personas.owner
    Team.objects.filter(id=team.id).update(home_currency="EUR")
    mug = add_product(team, "MUG")
    # 30% deposit when sent, the balance 30 days after the shipment.
    ningbo = add_supplier(
        team,
        "Ningbo Mugs",
        currency="USD",
        deposit_percent=Decimal(30),
        balance_due="shipment",
        balance_days=30,
    )
    # Nothing up front, the balance on arrival.
    lyon = add_supplier(team, "Lyon Lamps", currency="EUR", balance_due="arrival")
    first = order(team, owner, ningbo, mug, 100, "10.00")  # 1,000.00 USD
    with team_scope(team.id):
        purchase_order_update(
            team=team,
            order_id=first.pk,
            expected_ship_date=date(2026, 4, 1),
            expected_arrival_date=None,
            note="",
        )
        payment_record(
            team=team,
            actor=owner,
            order_id=first.pk,
            kind="deposit",
            amount=Decimal(100),
            paid_on=date(2026, 3, 5),
        )
    order(team, owner, lyon, mug, 50, "10.00")  # 500.00 EUR, no arrival date
    order(team, owner, ningbo, mug, 7, "1.00", send=False)  # a draft commits nothing
    cancelled = order(team, owner, ningbo, mug, 9, "1.00")
    with team_scope(team.id):
        purchase_order_cancel(team=team, order_id=cancelled.pk)
    # Another team's open order.
    other = personas.outsider_team
    Team.objects.filter(id=other.id).update(home_currency="EUR")
    theirs = add_supplier(other, "Secret supplier", currency="EUR")
    order(other, None, theirs, add_product(other, "SECRET"), 1, "99999.00")
    return personas


def test_the_dues_follow_the_suppliers_terms_in_the_home_currency(owed):
    with team_scope(owed.team.id):
        view = cash_view(owed.team, home="EUR", today=TODAY)
    # USD at 1.08 per euro (the newest rate, 9 March's, repeated on the 10th). Deposit 300.00 less
    # 100.00 paid, due when sent (today): 200 / 1.08 = 185.19 EUR. Balance 700.00 due 1 April + 30
    # days: 648.15 EUR. The lamps' 500.00 EUR is due on arrival, not dated yet.
    dues = [(d.order.supplier.name, d.what, d.day, d.amount, d.home) for d in view.dues]
    assert dues == [
        ("Ningbo Mugs", "deposit", TODAY, Decimal("200.00"), Decimal("185.19")),
        ("Ningbo Mugs", "balance", date(2026, 5, 1), Decimal("700.00"), Decimal("648.15")),
        ("Lyon Lamps", "balance", None, Decimal("500.00"), Decimal("500.00")),
    ]
    assert view.committed == Decimal("1333.34")
    assert view.buckets == [
        ("Overdue", Decimal(0), 0),
        ("Due in the next 30 days", Decimal("185.19"), 1),
        ("Due later", Decimal("648.15"), 1),
        ("Date not known yet", Decimal("500.00"), 1),
    ]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_the_teams_dues_and_none_of_another_team(owed):
    response = client_for(owed.viewer).get(f"/t/{owed.team.slug}/purchasing/cash/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ningbo Mugs" in html
    assert "1,333.34" in html
    assert "Secret supplier" not in html
    assert "99,999" not in html
    outsider = client_for(owed.outsider).get(f"/t/{owed.team.slug}/purchasing/cash/")
    assert outsider.status_code in (403, 404)
    with team_scope(owed.outsider_team.id):
        theirs = cash_view(owed.outsider_team, home="EUR", today=TODAY)
    assert [d.order.supplier.name for d in theirs.dues] == ["Secret supplier"]
