"""The plan's history on the data pages: a Starter team sees 12 months, a trial 18; a date filter
reaching further back starts at the window's first day, in the page and its exports, and the page
says so, with the way to a longer history for the owner. Never another team's data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ams.billing.models import Status, Subscription
from ams.core.tenancy import team_scope
from ams.dashboard.overview import plan_history_start
from ams.orders.rollups import order_days_refresh
from tests.dashboard import factories as f
from tests.dashboard.money_factories import PRINCIPAL, transaction
from tests.factories import Personas
from tests.procurement.helpers import streamed

pytestmark = pytest.mark.django_db

OLD = "111-0000001-0000013"  # 13 months ago: inside the trial's 18, outside Starter's 12
RECENT = "111-0000002-0000002"  # 2 months ago


def months_ago(n: int) -> datetime:
    return timezone.now().astimezone(UTC) - timedelta(days=round(n * 30.5))


def seeded(p: Personas) -> Personas:
    c = f.connected(p.team)
    for order_id, when in ((OLD, months_ago(13)), (RECENT, months_ago(2))):
        f.order(p.team, c, at=when, lines=[("MUG-1", 1, "10.00")], order_id=order_id)
        transaction(
            p.team,
            c,
            at=when,
            kind="Shipment",
            order_id=order_id,
            charges=[("MUG-1", PRINCIPAL, "10.00")],
        )
        f.settlement(p.team, c, f"S-{order_id}", deposit=when, amounts=["10.00"])
    # The order days the orders page counts from, as the orders sync refreshes them.
    with team_scope(p.team.id):
        order_days_refresh(
            connection_id=c.id,
            marketplace_id=f.US,
            first=months_ago(14),
            last=timezone.now(),
        )
    return p


def starter(p: Personas) -> None:
    with team_scope(p.team.id):
        Subscription.objects.update_or_create(
            team=p.team, defaults={"plan": "starter", "status": Status.ACTIVE, "trial_end": None}
        )


def get(p: Personas, path: str, params: dict[str, str] | None = None, user=None) -> str:
    client = Client()
    client.force_login(user or p.owner)
    response = client.get(f"/t/{p.team.slug}/{path}", params or {})
    assert response.status_code == 200
    return (
        b"".join(streamed(response)).decode("utf-8-sig")
        if response.streaming
        else (response.content.decode())
    )


def test_the_trial_shows_eighteen_months(personas: Personas):
    seeded(personas)
    html = get(personas, "orders/")
    assert f'data-order="{OLD}"' in html
    assert f'data-order="{RECENT}"' in html
    assert f'data-settlement="S-{OLD}"' in get(personas, "settlements/")
    assert "keeps 18 months of history" in html.split('id="plan-history"')[1]


def test_a_starter_team_sees_twelve_months_in_pages_and_exports(personas: Personas):
    seeded(personas)
    starter(personas)
    first = plan_history_start(timezone.now().date(), 12)
    for path, shown in (
        ("orders/", f'data-order="{OLD}"'),
        ("transactions/?order=" + OLD, 'class="transaction"'),
        ("settlements/", f'data-settlement="S-{OLD}"'),
    ):
        html = get(personas, path)
        assert shown not in html, path
        notice = html.split('id="plan-history"')[1].split("</p>")[0]
        assert f"Shown from {first.day} {first:%b %Y}" in notice
        assert "keeps 12 months of history" in notice
        assert f"/t/{personas.team.slug}/billing/" in notice  # the owner's way to more
    assert f'data-order="{RECENT}"' in get(personas, "orders/")
    # Asked for explicitly, the older history is still not shown.
    asked = get(personas, "orders/", {"date_from": months_ago(15).date().isoformat()})
    assert f'data-order="{OLD}"' not in asked
    assert 'id="plan-history"' in asked
    # A period inside the window is left as asked, with no notice.
    inside = get(personas, "orders/", {"date_from": months_ago(3).date().isoformat()})
    assert f'data-order="{RECENT}"' in inside
    assert 'id="plan-history"' not in inside
    # The export carries the same window.
    exported = get(personas, "orders/", {"format": "csv"})
    ids = {row["order_id"] for row in csv.DictReader(io.StringIO(exported))}
    assert ids == {RECENT}
    # A member is told the owner can change the plan, with no link it could not open.
    member = get(personas, "orders/", user=personas.member).split('id="plan-history"')[1]
    assert "owner can change the plan" in member.split("</p>")[0]
    assert "/billing/" not in member.split("</p>")[0]


def test_the_fee_months_start_at_the_first_whole_month_of_the_window(personas: Personas):
    seeded(personas)
    starter(personas)
    first = plan_history_start(timezone.now().date(), 12)
    month = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    html = get(personas, "fees/", {"month_from": "2020-01"})
    assert f'value="{month:%Y-%m}"' in html or f"month_from={month:%Y-%m}" in html
    assert 'id="plan-history"' in html


def test_the_outsider_sees_nothing(personas: Personas):
    seeded(personas)
    client = Client()
    client.force_login(personas.outsider)
    for path in ("orders/", "transactions/", "settlements/", "fees/"):
        assert client.get(f"/t/{personas.team.slug}/{path}").status_code == 404
