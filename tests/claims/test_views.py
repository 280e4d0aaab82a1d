"""The claims page as each persona uses it: the list by deadline, a case's evidence and the
text for Seller Central, statuses set by members and above, nothing for an outsider."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ams.claims.models import Claim, ClaimKind, ClaimStatus
from ams.core.tenancy import team_scope
from tests.amazon.factories import make_connection
from tests.claims import evidence as ev
from tests.claims.test_detection import _now, _refresh
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def cases(personas: Personas) -> dict[str, Claim]:
    conn = make_connection(personas.team)
    now = _now()
    ev.adjustment(
        conn,
        at=now - timedelta(days=35),
        quantity=-2,
        reason="M",
        fnsku="X00LOST001",
        sku="SKU-LOST",
        reference="31415926535",
    )
    ev.order_line(
        conn, order_id="111-7654321-7654321", at=now - timedelta(days=75), price=Decimal("24.99")
    )
    ev.refund(
        conn,
        order_id="111-7654321-7654321",
        at=now - timedelta(days=70),
        principal=Decimal("24.99"),
    )
    _refresh(personas, conn)
    with team_scope(personas.team.id):
        return {c.kind: c for c in Claim.objects.all()}


def test_the_list_is_sorted_by_deadline_with_days_left(personas: Personas, cases):
    response = _client(personas.viewer).get(reverse("claims", args=[personas.team.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    lost = cases[ClaimKind.WAREHOUSE_LOST]
    unreturned = cases[ClaimKind.RETURN_NOT_RECEIVED]
    # Lost 35 days ago: 25 days left of 60; refunded 70 days ago: 50 left of 120.
    assert lost.deadline < unreturned.deadline
    assert page.index(f'data-key="{lost.key}"') < page.index(f'data-key="{unreturned.key}"')
    assert "X00LOST001" in page
    assert "111-7654321-7654321" in page
    assert "24.99 USD" in page
    assert f'href="/t/{personas.team.slug}/claims/"' in page  # the navigation links it


def test_the_case_page_shows_the_evidence_and_a_text_with_amazons_ids(personas: Personas, cases):
    lost = cases[ClaimKind.WAREHOUSE_LOST]
    page = (
        _client(personas.viewer)
        .get(reverse("claim_detail", args=[personas.team.slug, lost.pk]))
        .content.decode()
    )
    start = page.index('<textarea id="case-text"')
    text = page[start : page.index("</textarea>", start)]
    for fact in (
        "FNSKU: X00LOST001",
        "SKU-LOST",
        "reference ID 31415926535",
        "quantity -2",
        "Units neither found nor reimbursed: 2",
    ):
        assert fact in text, fact
    assert lost.occurred_at.date().isoformat() in text
    # A viewer reads, but has no status form.
    assert 'id="claim-status-form"' not in page

    unreturned = cases[ClaimKind.RETURN_NOT_RECEIVED]
    page = (
        _client(personas.member)
        .get(reverse("claim_detail", args=[personas.team.slug, unreturned.pk]))
        .content.decode()
    )
    text = page[page.index('<textarea id="case-text"') :]
    assert "Order ID: 111-7654321-7654321" in text
    assert "Units refunded and not returned: 1" in text
    assert (_now() - timedelta(days=70)).date().isoformat() in text
    assert 'id="claim-status-form"' in page


@pytest.mark.parametrize("persona", ["member", "admin", "owner"])
def test_members_and_above_mark_a_case_filed_then_received(personas: Personas, cases, persona):
    lost = cases[ClaimKind.WAREHOUSE_LOST]
    url = reverse("claim_detail", args=[personas.team.slug, lost.pk])
    client = _client(getattr(personas, persona))
    response = client.post(url, {"status": "filed", "case_id": "17234567890"})
    assert response.status_code == 302
    with team_scope(personas.team.id):
        lost.refresh_from_db()
    assert (lost.status, lost.case_id) == (ClaimStatus.FILED, "17234567890")
    assert lost.status_changed_by_id == getattr(personas, persona).id
    client.post(url, {"status": "received", "case_id": ""})
    with team_scope(personas.team.id):
        lost.refresh_from_db()
    assert (lost.status, lost.case_id) == (ClaimStatus.RECEIVED, "17234567890")
    # Filed and received cases leave the default list.
    page = client.get(reverse("claims", args=[personas.team.slug])).content.decode()
    assert lost.key not in page
    assert (
        lost.key
        in client.get(reverse("claims", args=[personas.team.slug]) + "?show=all").content.decode()
    )


def test_a_viewer_cannot_change_a_status_and_bad_input_changes_nothing(personas: Personas, cases):
    lost = cases[ClaimKind.WAREHOUSE_LOST]
    url = reverse("claim_detail", args=[personas.team.slug, lost.pk])
    assert _client(personas.viewer).post(url, {"status": "filed"}).status_code == 403
    member = _client(personas.member)
    # Only the seller's statuses; "settled by Amazon" is detection's to set.
    assert member.post(url, {"status": "resolved"}).status_code == 400
    response = member.post(url, {"status": "filed", "case_id": "<script>alert(1)</script>"})
    assert response.status_code == 400
    assert b"<script>alert(1)</script>" not in response.content
    with team_scope(personas.team.id):
        lost.refresh_from_db()
    assert (lost.status, lost.case_id) == (ClaimStatus.OPEN, "")


def test_an_outsider_sees_nothing(personas: Personas, cases):
    lost = cases[ClaimKind.WAREHOUSE_LOST]
    outsider = _client(personas.outsider)
    assert outsider.get(reverse("claims", args=[personas.team.slug])).status_code == 404
    assert (
        outsider.get(reverse("claim_detail", args=[personas.team.slug, lost.pk])).status_code == 404
    )
    # Through their own team's URL: still not found, and nothing changes.
    assert (
        outsider.get(
            reverse("claim_detail", args=[personas.outsider_team.slug, lost.pk])
        ).status_code
        == 404
    )
    response = outsider.post(
        reverse("claim_detail", args=[personas.outsider_team.slug, lost.pk]), {"status": "filed"}
    )
    assert response.status_code == 404
    own = outsider.get(reverse("claims", args=[personas.outsider_team.slug])).content.decode()
    assert "X00LOST001" not in own
    assert "111-7654321-7654321" not in own
    with team_scope(personas.team.id):
        lost.refresh_from_db()
    assert lost.status == ClaimStatus.OPEN


def test_an_expired_case_leaves_the_list_but_stays_under_every_case(personas: Personas, cases):
    conn = make_connection(personas.team)
    ev.adjustment(
        conn,
        at=_now() - timedelta(days=100),
        quantity=-1,
        reason="E",
        fnsku="X00EXPIRED",
        sku="SKU-OLD",
    )
    _refresh(personas, conn)
    client = _client(personas.viewer)
    url = reverse("claims", args=[personas.team.slug])
    page = client.get(url).content.decode()
    assert "X00EXPIRED" not in page
    assert "X00LOST001" in page
    # What is left to file in time: the refund (the lost units have no price known yet).
    assert "24.99 USD</strong> in 2 cases" in page
    every = client.get(url + "?show=all").content.decode()
    assert "X00EXPIRED" in every
    assert "expired" in every
