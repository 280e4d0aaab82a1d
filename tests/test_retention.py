"""Retention: each row goes by its own date once it leaves the team's window, and not before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection as db
from django.test import Client
from django.urls import reverse

from ams.accounts.models import User
from ams.core.models import AuditEntry
from ams.core.months import months_before
from ams.core.retention import AMAZON_MONTHS, Aged, Current, declared
from ams.core.tenancy import team_scope
from ams.finance.models import Charge, Transaction
from ams.orders.models import Order, OrderLine
from ams.sync.context import SyncContext
from ams.teams.models import Team
from ams.teams.retention import team_retention_run
from ams.teams.tasks import retention_nightly
from tests.dashboard.factories import connected, order
from tests.dashboard.money_factories import transaction
from tests.factories import Personas

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
FEE = ("ItemFees", "fee", "FBAPerUnitFulfillmentFee")
# Tables of Amazon data that are not Django models, each with why nothing in them ages.
NOT_MODELS = {"vault.spapi_credential": "the refresh token, deleted at disconnect"}


def test_every_table_of_amazon_data_says_how_its_rows_age():
    """A table with a connection holds Amazon data: its model must say which date ages a row,
    or why nothing does. A new table that says neither fails here."""
    by_table = {m._meta.db_table: m for m in apps.get_models()}
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.columns "
            "WHERE column_name = 'connection_id' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        tables = cursor.fetchall()
    assert tables
    undeclared = []
    for schema, table in tables:
        label = f"{schema}.{table}"
        model = by_table.get(table) if schema == "public" else None
        if label in NOT_MODELS:
            continue
        rule = declared(model) if model else None
        if rule is None:
            undeclared.append(label)
        elif isinstance(rule, Aged):
            for name in rule.fields:
                assert model is not None
                model._meta.get_field(name)  # the declared date exists
        else:
            assert isinstance(rule, Current)
            assert rule.why
    assert undeclared == []


def test_months_before_keeps_the_instant_and_clamps_the_day():
    assert months_before(NOW, 18) == datetime(2025, 6, 7, 12, 0, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


def _dated_world(p: Personas) -> dict[str, Any]:
    window_start = months_before(NOW, AMAZON_MONTHS)
    just_out, just_in = window_start - timedelta(hours=1), window_start + timedelta(hours=1)
    c = connected(p.team)
    theirs = connected(p.outsider_team)
    made = {
        "old_order": order(p.team, c, at=just_out, lines=[("MUG-1", 1, "10.00")]),
        "new_order": order(p.team, c, at=just_in, lines=[("MUG-1", 2, "20.00")]),
        "their_old_order": order(p.outsider_team, theirs, at=just_out, lines=[("X", 1, "1.00")]),
        # Financial records: 19 and 30 months old.
        "fee_19": transaction(
            p.team, c, at=months_before(NOW, 19), kind="Shipment", charges=[("MUG-1", FEE, "-3.00")]
        ),
        "fee_30": transaction(
            p.team, c, at=months_before(NOW, 30), kind="Shipment", charges=[("MUG-1", FEE, "-3.00")]
        ),
    }
    return made


def _order_ids(team: Team) -> set[str]:
    with team_scope(team.id):
        return set(Order.objects.values_list("amazon_order_id", flat=True))


def _transaction_ids(team: Team) -> set[str]:
    with team_scope(team.id):
        return set(Transaction.objects.values_list("transaction_id", flat=True))


def test_rows_older_than_the_window_go_younger_ones_stay(personas: Personas):
    made = _dated_world(personas)
    deleted = team_retention_run(team_id=personas.team.id, now=NOW)

    assert _order_ids(personas.team) == {made["new_order"].amazon_order_id}
    with team_scope(personas.team.id):
        assert set(OrderLine.objects.values_list("quantity", flat=True)) == {2}
        assert Charge.objects.count() == 0
    # Without a longer period for financial records, they follow the 18 months too.
    assert _transaction_ids(personas.team) == set()
    assert deleted["public.orders_order"] == 1
    assert deleted["public.orders_orderline"] == 1
    assert deleted["public.finance_transaction"] == 2
    # The other team's old order is its own team's business.
    assert made["their_old_order"].amazon_order_id in _order_ids(personas.outsider_team)
    with team_scope(personas.team.id):
        event = AuditEntry.objects.get(kind="retention.run")
    assert event.data["rows_deleted"] == deleted


def test_financial_records_held_for_tax_law_stay_for_their_own_period(personas: Personas):
    made = _dated_world(personas)
    Team.objects.filter(id=personas.team.id).update(
        financial_retention_months=24, financial_retention_reason="§ 147 AO"
    )
    team_retention_run(team_id=personas.team.id, now=NOW)

    assert _transaction_ids(personas.team) == {made["fee_19"].transaction_id}
    assert _order_ids(personas.team) == {made["new_order"].amazon_order_id}
    with team_scope(personas.team.id):
        assert Charge.objects.count() == 1


def test_the_nightly_job_runs_every_team_but_one_being_deleted(personas: Personas):
    made = _dated_world(personas)
    Team.objects.filter(id=personas.outsider_team.id).update(deletion_requested_at=NOW)
    retention_nightly(timestamp=0)
    assert made["old_order"].amazon_order_id not in _order_ids(personas.team)
    # Not run on a team whose own deletion takes everything.
    assert made["their_old_order"].amazon_order_id in _order_ids(personas.outsider_team)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_sets_the_windows_and_a_longer_one_needs_its_law(personas: Personas):
    url = reverse("team_retention", args=[personas.team.slug])
    owner = _client(personas.owner)

    owner.post(url, {"months": 12, "financial_months": 120, "reason": ""})
    team = Team.objects.get(id=personas.team.id)
    assert (team.retention_months, team.financial_retention_months) == (AMAZON_MONTHS, None)

    owner.post(url, {"months": 24, "financial_months": "", "reason": ""})
    assert Team.objects.get(id=personas.team.id).retention_months == AMAZON_MONTHS

    owner.post(url, {"months": 12, "financial_months": 120, "reason": "§ 147 AO: 10 years"})
    team = Team.objects.get(id=personas.team.id)
    assert team.retention_months == 12
    assert team.financial_retention_months == 120
    assert team.financial_retention_reason == "§ 147 AO: 10 years"
    assert team.financial_retention_set_by_id == personas.owner.id
    assert team.retention_window.financial_months == 120
    page = owner.get(reverse("team_settings", args=[personas.team.slug])).content.decode()
    assert "§ 147 AO: 10 years" in page
    with team_scope(personas.team.id):
        assert AuditEntry.objects.filter(kind="retention.set", data__financial_months=120).exists()


@pytest.mark.parametrize("persona", ["admin", "member", "viewer", "outsider"])
def test_only_the_owner_sets_the_windows(personas: Personas, persona: str):
    url = reverse("team_retention", args=[personas.team.slug])
    response = _client(getattr(personas, persona)).post(url, {"months": 3})
    assert response.status_code == (404 if persona == "outsider" else 403)
    assert Team.objects.get(id=personas.team.id).retention_months == AMAZON_MONTHS


def test_a_backfill_reads_no_further_back_than_the_window(personas: Personas):
    Team.objects.filter(id=personas.team.id).update(retention_months=6)
    ctx = SyncContext(
        team_id=personas.team.id,
        connection_id=0,
        selling_partner_id="",
        family="orders",
        client=None,  # type: ignore[arg-type]
        marketplaces=[],
        run_id=0,
        now=lambda: NOW,
    )
    assert ctx.retention_start() == datetime(2026, 6, 7, 12, 0, tzinfo=UTC)
