"""Today, yesterday and month to date in each marketplace's own day, and the payout building up."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from ams.core.tenancy import team_scope
from ams.dashboard.pulse import pulse
from ams.finance.payouts import expected_payouts
from tests.dashboard import factories as f
from tests.dashboard import money_factories as mf
from tests.factories import Personas

pytestmark = pytest.mark.django_db

# 06:30 UTC on 1 March: still 28 February in Los Angeles, already 1 March in Germany.
MOMENT = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
MARKETS = [(f.US, "USD"), (f.DE, "EUR")]
PRINCIPAL = mf.PRINCIPAL
COMMISSION = mf.COMMISSION


def _tiles(p: Personas) -> dict[str, dict[str, tuple[int, int, Decimal]]]:
    with team_scope(p.team.id):
        found = pulse(p.team, MARKETS, moment=MOMENT)
    return {
        tile.key: {t.currency: (t.orders, t.units, t.sales) for t in tile.totals}
        for tile in found.tiles
    }


def test_each_marketplace_counts_its_own_today_yesterday_and_month(personas: Personas):
    c = f.connected(personas.team)
    f.order_day(personas.team, c, date(2026, 2, 28), orders=2, units=3, sales="30.00")
    f.order_day(personas.team, c, date(2026, 2, 27), orders=1, units=1, sales="10.00")
    f.order_day(personas.team, c, date(2026, 2, 1), orders=5, units=5, sales="50.00")
    f.order_day(personas.team, c, date(2026, 1, 31), orders=9, units=9, sales="90.00")  # last month
    de = {"marketplace_id": f.DE, "currency": "EUR"}
    f.order_day(personas.team, c, date(2026, 3, 1), orders=1, units=2, sales="1234.50", **de)
    f.order_day(personas.team, c, date(2026, 2, 28), orders=4, units=4, sales="40.00", **de)
    f.order_day(
        personas.outsider_team,
        f.connected(personas.outsider_team),
        date(2026, 2, 28),
        orders=7,
        units=7,
        sales="777.00",
    )

    tiles = _tiles(personas)

    assert tiles["today"] == {
        "USD": (2, 3, Decimal("30.00")),  # 28 Feb in Los Angeles
        "EUR": (1, 2, Decimal("1234.50")),  # 1 Mar in Berlin
    }
    assert tiles["yesterday"] == {
        "USD": (1, 1, Decimal("10.00")),
        "EUR": (4, 4, Decimal("40.00")),
    }
    assert tiles["month"] == {
        "USD": (8, 9, Decimal("90.00")),  # February in the US, without 31 January
        "EUR": (1, 2, Decimal("1234.50")),  # March in Germany
    }


def _open_and_closed_periods(p: Personas):
    c = f.connected(p.team)
    sale = [("MUG-1", PRINCIPAL, "100.00"), ("MUG-1", COMMISSION, "-15.00")]
    # The closed period: its transactions name the settlement.
    mf.transaction(
        p.team,
        c,
        at=datetime(2026, 2, 10, tzinfo=UTC),
        kind="Shipment",
        charges=sale,
        event_group_id="G-1",
        settlement_id="S-1",
    )
    # The open one: two released, one deferred; one read before the period closed has no id.
    mf.transaction(
        p.team,
        c,
        at=datetime(2026, 2, 20, tzinfo=UTC),
        kind="Shipment",
        charges=sale,
        event_group_id="G-2",
    )
    mf.transaction(
        p.team,
        c,
        at=datetime(2026, 2, 25, tzinfo=UTC),
        kind="Shipment",
        charges=[("MUG-1", PRINCIPAL, "1200.00")],
        event_group_id="G-2",
    )
    mf.transaction(
        p.team,
        c,
        at=datetime(2026, 2, 26, tzinfo=UTC),
        kind="Shipment",
        charges=[("MUG-1", PRINCIPAL, "40.00")],
        event_group_id="G-2",
        status="DEFERRED",
    )
    return c


def test_the_next_payout_adds_the_open_periods_released_transactions(personas: Personas):
    _open_and_closed_periods(personas)
    other = f.connected(personas.outsider_team)
    mf.transaction(
        personas.outsider_team,
        other,
        at=datetime(2026, 2, 26, tzinfo=UTC),
        kind="Shipment",
        charges=[("X", PRINCIPAL, "999.00")],
        event_group_id="G-2",
    )
    with team_scope(personas.team.id), time_machine.travel(MOMENT, tick=False):
        (payout,) = expected_payouts(personas.team)
    assert payout.marketplace_id == f.US
    assert payout.amount == Decimal("1285.00")  # 85.00 + 1,200.00; never the outsider's 999
    assert payout.deferred == Decimal("40.00")
    assert payout.transactions == 3
    assert payout.since == datetime(2026, 2, 20, tzinfo=UTC)
    # Nothing posted for 90 days: no period is still open.
    with team_scope(personas.team.id), time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC)):
        assert expected_payouts(personas.team) == []


def test_a_period_whose_settlement_arrived_is_no_longer_expected(personas: Personas):
    c = _open_and_closed_periods(personas)
    f.settlement(
        personas.team, c, "S-2", deposit=datetime(2026, 3, 1, tzinfo=UTC), amounts=["1285.00"]
    )
    with team_scope(personas.team.id):
        from ams.finance.models import Settlement

        Settlement.objects.filter(settlement_id="S-2").update(
            ends_at=datetime(2026, 2, 27, tzinfo=UTC)
        )
        with time_machine.travel(MOMENT, tick=False):
            assert expected_payouts(personas.team) == []


def test_the_overview_shows_the_tiles_and_the_next_payout(personas: Personas):
    c = _open_and_closed_periods(personas)
    f.order_day(personas.team, c, date(2026, 2, 28), orders=2, units=3, sales="1030.00")
    client = Client()
    client.force_login(personas.viewer)
    with time_machine.travel(MOMENT, tick=False):
        html = client.get(f"/t/{personas.team.slug}/overview/").content.decode()
    today = html.split('data-tile="today"')[1].split("</article>")[0]
    assert "1,030.00 USD" in today
    assert "2 orders · 3 units" in today
    payout = html.split('id="next-payout"')[1].split("</article>")[0]
    assert "1,285.00 USD" in payout
    assert "40.00 USD deferred" in payout
    outsider = Client()
    outsider.force_login(personas.outsider)
    assert outsider.get(f"/t/{personas.team.slug}/overview/").status_code == 404


def test_each_tile_also_adds_every_currency_in_the_home_currency_at_each_days_rate(
    personas: Personas, tmp_path
):
    from ams.core.exchange_rates import rates_load
    from ams.teams.models import Team

    # Dollars per euro on 27 and 28 February; none yet for 1 March.
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text("Date,USD,\n2026-02-27,1.1000,\n2026-02-26,1.2000,\n")
    rates_load(path, through=date(2026, 2, 28))
    Team.objects.filter(id=personas.team.id).update(home_currency="USD")
    c = f.connected(personas.team)
    de = {"marketplace_id": f.DE, "currency": "EUR"}
    f.order_day(personas.team, c, date(2026, 2, 28), orders=1, units=1, sales="30.00")
    f.order_day(personas.team, c, date(2026, 2, 27), orders=1, units=1, sales="10.00")
    f.order_day(personas.team, c, date(2026, 3, 1), orders=1, units=1, sales="50.00", **de)
    f.order_day(personas.team, c, date(2026, 2, 28), orders=1, units=1, sales="40.00", **de)
    f.order_day(
        personas.outsider_team,
        f.connected(personas.outsider_team),
        date(2026, 2, 28),
        orders=7,
        units=7,
        sales="777.00",
    )
    with team_scope(personas.team.id):
        tiles = {t.key: t for t in pulse(personas.team, MARKETS, moment=MOMENT).tiles}
    # Yesterday: 10 USD (27 Feb in the US) and 40 EUR (28 Feb in Germany, the 27th's rate held).
    assert (tiles["yesterday"].home, tiles["yesterday"].sales_home) == ("USD", Decimal("54.00"))
    # Today holds Germany's 1 March, which has no rate yet: incomplete, never 0.
    assert tiles["today"].sales_home is None
    client = Client()
    client.force_login(personas.viewer)
    with time_machine.travel(MOMENT, tick=False):
        html = client.get(f"/t/{personas.team.slug}/overview/").content.decode()
    assert (
        "54.00 USD in all, at each day&#x27;s ECB rate" in html
        or "54.00 USD in all, at each day's ECB rate" in html
    )
    assert "a day has no ECB rate yet" in html
    assert 'data-tile-home="USD"' in html
    assert "777" not in html
    client.force_login(personas.outsider)
    assert client.get(f"/t/{personas.team.slug}/overview/").status_code == 404
