"""The overview says what it does not know: a family not synced yet shows "syncing…" or "not
synced yet", never a zero or an alarm; a previous period the history does not reach is not compared
with; the plan's history bounds the period; SKUs are counted once whatever their marketplaces; the
last payout shows every settlement of its day; the two out-of-stock counts say whose they are."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from ams.billing.models import Status, Subscription
from ams.core.tenancy import team_scope
from ams.sync.models import Family, SyncState, SyncStatus
from tests.dashboard import factories as f
from tests.dashboard.test_overview import client_for, overview_html, row, seed
from tests.factories import Personas

pytestmark = pytest.mark.django_db

MONEY_ROWS = ("refunds", "fees", "net_proceeds", "profit")


def set_state(p: Personas, family: Family, status: SyncStatus, **fields: object) -> None:
    """The family's state of the team's connection, as a first sync leaves it."""
    with team_scope(p.team.id):
        SyncState.objects.filter(team=p.team, family=family).update(
            status=status, last_completed_at=None, **fields
        )


def first_sync(p: Personas) -> None:
    """Everything read at least partly, nothing completed: the first sync under way."""
    c = seed(p)
    # The settlement reports came in first: without the transactions none reconciles yet.
    for n in range(3):
        f.settlement(
            p.team,
            c,
            f"S-EARLY-{n}",
            deposit=datetime(2025, 3, 1 + n, tzinfo=UTC),
            amounts=["10.00"],
            transactions_reconciled=False,
        )
    f.stock(p.team, c, "MUG-1", fulfillable=0)
    for family in (Family.ORDERS, Family.SETTLEMENTS, Family.LISTINGS):
        set_state(p, family, SyncStatus.RUNNING)
    set_state(p, Family.FINANCES, SyncStatus.QUEUED)
    set_state(p, Family.INVENTORY, SyncStatus.NEVER)


def test_a_first_sync_shows_no_false_zero_and_no_false_alarm(personas: Personas):
    first_sync(personas)
    html = overview_html(personas)
    for key in ("sales", "units", "cost_of_goods", *MONEY_ROWS):
        cells = row(html, "USD", key)
        assert "syncing…" in cells, key
        assert "0.00" not in cells, key
        assert ">0<" not in cells, key
    stock = html.split('id="overview-stock"')[1].split("</article>")[0]
    assert "Stock not synced yet" in stock
    assert 'id="at-risk"' not in stock
    more = html.split('id="overview-more"')[1]
    assert "not adding up" not in more
    payout = more.split('id="last-payout"')[1].split("</article>")[0]
    assert "syncing…" in payout
    assert "10.00 USD" not in payout  # an old payout is not shown as the last one
    # The outsider's overview of its own team is unaffected, and it cannot see this one.
    assert client_for(personas.outsider).get(f"/t/{personas.team.slug}/overview/").status_code == (
        404
    )


def test_stock_synced_before_the_orders_raises_no_false_at_risk(personas: Personas):
    first_sync(personas)
    with team_scope(personas.team.id):
        SyncState.objects.filter(team=personas.team, family=Family.INVENTORY).update(
            status=SyncStatus.DONE, last_completed_at=timezone.now()
        )
    stock = overview_html(personas).split('id="overview-stock"')[1].split("</article>")[0]
    assert 'id="at-risk"' not in stock  # no rate of sale yet: not "0 at risk"
    assert "syncing…" in stock.split('id="at-risk-waiting"')[1]
    assert 'id="excess"' in stock  # Amazon's own counts need no orders


def test_orders_synced_while_transactions_sync_shows_the_sales_only(personas: Personas):
    first_sync(personas)
    with team_scope(personas.team.id):
        SyncState.objects.filter(team=personas.team, family=Family.ORDERS).update(
            status=SyncStatus.DONE, last_completed_at=timezone.now()
        )
    html = overview_html(personas)
    assert "75.00" in row(html, "USD", "sales")
    for key in MONEY_ROWS:
        assert "syncing…" in row(html, "USD", key), key
    # Settlements read, transactions not: a mismatch is only the part not read yet.
    set_state(personas, Family.SETTLEMENTS, SyncStatus.DONE)
    with team_scope(personas.team.id):
        SyncState.objects.filter(team=personas.team, family=Family.SETTLEMENTS).update(
            last_completed_at=timezone.now()
        )
    more = overview_html(personas).split('id="overview-more"')[1]
    assert "not adding up" not in more
    assert "checked against the transactions once they are synced" in more


def test_a_previous_period_before_the_synced_history_is_not_compared_with(personas: Personas):
    seed(personas)
    # The orders backfill, newest first, has read back to 1 February 00:00 UTC: in Germany the
    # first whole day held is 2 February.
    set_state(
        personas,
        Family.ORDERS,
        SyncStatus.RUNNING,
        cursor={
            "backfill_until": "2026-02-10T00:00:00+00:00",
            "backfill_from": "2026-02-01T00:00:00+00:00",
            "backfill_done": False,
        },
    )
    html = overview_html(personas)  # the last 7 days: 4 to 10 February
    sales = row(html, "USD", "sales")
    assert "75.00" in sales
    assert "history starts 2026-02-02" in sales
    assert "%" not in sales
    assert "130.00" not in sales
    assert 'id="history-starts"' in html
    # Transactions are fully synced: their figures are compared as before.
    assert "%" in row(html, "USD", "fees")
    # A period reaching before what the backfill has read is still syncing, not a partial sum.
    month = overview_html(personas, {"period": "30d"})
    assert "syncing…" in row(month, "USD", "sales")


def test_the_plan_s_history_bounds_the_period(personas: Personas):
    seed(personas)
    asked = {"period": "custom", "date_from": "2024-06-01", "date_to": "2026-02-10"}
    # The trial shows 18 months.
    html = overview_html(personas, asked)
    assert "18 months of history" in html.split('id="plan-history"')[1]
    assert "11 Aug 2024 \u2013 10 Feb 2026" in html.split('id="overview-period"')[1]
    with team_scope(personas.team.id):
        Subscription.objects.update_or_create(
            team=personas.team,
            defaults={"plan": "starter", "status": Status.ACTIVE, "trial_end": None},
        )
    html = overview_html(personas, asked, user=personas.owner)
    notice = html.split('id="plan-history"')[1].split("</p>")[0]
    assert "12 months of history" in notice
    assert f"/t/{personas.team.slug}/billing/" in notice  # the owner's way to a longer history
    viewer = overview_html(personas, asked).split('id="plan-history"')[1].split("</p>")[0]
    assert "owner can change the plan" in viewer
    assert "/billing/" not in viewer
    assert "11 Feb 2025 \u2013 10 Feb 2026" in html.split('id="overview-period"')[1]
    # The previous period lies wholly before the plan's history: nothing compared with it.
    assert "history starts 2025-02-11" in row(html, "USD", "sales")
    # A period inside the history is left alone, with no notice.
    assert 'id="plan-history"' not in overview_html(personas)


def test_skus_are_counted_once_however_many_marketplaces_stock_them(personas: Personas):
    c = seed(personas)
    for sku in ("MUG-1", "LAMP-1", "CASE-1"):
        for marketplace_id in (f.US, f.DE):
            f.stock(personas.team, c, sku, fulfillable=3, marketplace_id=marketplace_id)
    html = overview_html(personas)
    skus = html.split('id="stock-skus">')[1].split("</small>")[0]
    assert "3 SKUs in 2 marketplaces" in skus  # six stock rows, three SKUs
    german = overview_html(personas, {"marketplace": f.DE})
    assert "3 SKUs<" in german.split('id="stock-skus">')[1].split("</small>")[0] + "<"


def test_the_last_payout_shows_every_settlement_of_its_day(personas: Personas):
    c = seed(personas)
    f.settlement(personas.team, c, "S-OLD", deposit=datetime(2026, 1, 3, tzinfo=UTC), amounts=["1"])
    for n, (currency, amount) in enumerate((("USD", "10.00"), ("CAD", "20.00"), ("MXN", "300.00"))):
        f.settlement(
            personas.team,
            c,
            f"S-{currency}",
            deposit=datetime(2026, 2, 6, 8 + n, tzinfo=UTC),
            amounts=[amount],
            currency=currency,
        )
    payout = overview_html(personas).split('id="last-payout"')[1].split("</article>")[0]
    assert [part.split('"')[0] for part in payout.split('data-currency="')[1:]] == [
        "CAD",
        "MXN",
        "USD",
    ]
    for shown in ("10.00 USD", "20.00 CAD", "300.00 MXN"):
        assert shown in payout
    assert "1.00 USD" not in payout
    assert "deposited 6 Feb 2026" in payout


def test_the_two_out_of_stock_counts_say_whose_they_are(personas: Personas):
    from ams.inventory.models import RestockAdvice

    c = seed(personas)
    f.stock(personas.team, c, "MUG-1", fulfillable=0)  # sold 60 in 30 days, none left
    with team_scope(personas.team.id):
        RestockAdvice.objects.create(
            team=personas.team,
            connection=c,
            marketplace_id=f.US,
            sku="CASE-1",
            alert="out_of_stock",
            synced_at=timezone.now(),
        )
    f.stock_health(personas.team, c)
    attention = overview_html(personas).split('id="overview-attention"')[1].split("</article>")[0]
    ours = attention.split('id="selling-out-of-stock">')[1].split("</span>")[0]
    assert "sold in the last 30 days and now have no fulfillable unit at Amazon" in ours
    assert "</strong> Amazon: out of stock" in attention


def test_months_back_keep_to_the_calendar():
    from datetime import date

    from ams.core.months import months_before
    from ams.dashboard.overview import plan_history_start

    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2028, 2, 29), 12) == date(2027, 2, 28)
    assert months_before(date(2026, 1, 15), 18) == date(2024, 7, 15)
    assert plan_history_start(date(2026, 2, 10), 12) == date(2025, 2, 11)
