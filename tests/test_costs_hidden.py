"""A team keeps its costs, prices paid and margins from chosen members and viewers: every page and
export that shows them refuses, the overview, orders and nav leave them out, and the member keeps
working with everything else. Owners and admins always see them; an outsider reaches nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from ams.core.models import AuditEntry
from ams.core.tenancy import team_scope
from ams.teams.models import Membership
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.procurement.helpers import streamed

pytestmark = pytest.mark.django_db

COST_PAGES = (
    "profit/",
    "profit-and-loss/",
    "costs/",
    "expenses/",
    "purchasing/orders/",
    "purchasing/cash/",
    "cost-batches/",
)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _membership(p: Personas, user) -> Membership:
    with team_scope(p.team.id):
        return Membership.objects.get(team=p.team, user=user)


def _hide_from_member(p: Personas) -> None:
    member = _membership(p, p.member)
    response = _client(p.owner).post(f"/t/{p.team.slug}/members/{member.id}/costs/", {})
    assert response.status_code == 302


def test_an_owner_keeps_costs_from_a_member_and_the_member_keeps_working(personas: Personas):
    p = personas
    team = p.team
    f.seed(p)
    for path in COST_PAGES:
        assert _client(p.member).get(f"/t/{team.slug}/{path}").status_code == 200, path
    _hide_from_member(p)
    assert _membership(p, p.member).sees_costs is False
    with team_scope(team.id):
        assert AuditEntry.objects.filter(kind="membership.costs_hidden").exists()

    member = _client(p.member)
    for path in COST_PAGES:
        response = member.get(f"/t/{team.slug}/{path}")
        assert response.status_code == 403, path
        assert "costs and margins" in response.content.decode()
    # What is not a cost stays open: orders, stock, shipments.
    for path in ("orders/", "inventory/", "shipments/", "products/"):
        assert member.get(f"/t/{team.slug}/{path}").status_code == 200, path
    orders = member.get(f"/t/{team.slug}/orders/").content.decode()
    assert "111-0000001-0000001" in orders
    assert '<th class="num">Profit</th>' not in orders
    assert ">Profit</a></li>" not in orders
    assert "P&amp;L</a>" not in orders
    found = member.get(f"/t/{team.slug}/orders/detail/", {"order": "111-0000001-0000001"})
    assert found.status_code == 200
    detail = found.content.decode()
    assert "<h2>Items</h2>" in detail
    assert "Unit cost" not in detail
    assert 'id="order-profit"' not in detail
    export = b"".join(streamed(member.get(f"/t/{team.slug}/orders/", {"format": "csv"})))
    header = export.decode("utf-8-sig").splitlines()[0]
    assert header.endswith("promotion_discount")
    assert "unit_cost" not in header
    overview = member.get(f"/t/{team.slug}/overview/").content.decode()
    assert 'data-figure="sales"' in overview
    assert 'data-figure="profit"' not in overview
    assert 'data-figure="cost_of_goods"' not in overview

    # The owner still sees all of it.
    owner = _client(p.owner)
    assert owner.get(f"/t/{team.slug}/profit/").status_code == 200
    assert 'data-figure="profit"' in owner.get(f"/t/{team.slug}/overview/").content.decode()
    owner_export = b"".join(streamed(owner.get(f"/t/{team.slug}/orders/", {"format": "csv"})))
    assert "unit_cost,cost,missing_cost" in owner_export.decode("utf-8-sig").splitlines()[0]

    # Shown again, the pages open again.
    member_row = _membership(p, p.member)
    owner.post(f"/t/{team.slug}/members/{member_row.id}/costs/", {"sees_costs": "on"})
    assert member.get(f"/t/{team.slug}/profit/").status_code == 200


def test_admins_always_see_costs_and_only_managers_decide(personas: Personas):
    p = personas
    admin = _membership(p, p.admin)
    response = _client(p.owner).post(f"/t/{p.team.slug}/members/{admin.id}/costs/", {}, follow=True)
    assert "Owners and admins always see costs and margins." in response.content.decode()
    assert _membership(p, p.admin).sees_costs is True
    viewer = _membership(p, p.viewer)
    assert (
        _client(p.member).post(f"/t/{p.team.slug}/members/{viewer.id}/costs/", {}).status_code
        == 403
    )
    assert (
        _client(p.outsider).post(f"/t/{p.team.slug}/members/{viewer.id}/costs/", {}).status_code
        == 404
    )
    assert _membership(p, p.viewer).sees_costs is True
    # An admin hides them from a viewer, who then cannot open a cost page.
    _client(p.admin).post(f"/t/{p.team.slug}/members/{viewer.id}/costs/", {})
    assert _client(p.viewer).get(f"/t/{p.team.slug}/profit/").status_code == 403
    members_page = _client(p.owner).get(f"/t/{p.team.slug}/members/").content.decode()
    assert "always" in members_page
