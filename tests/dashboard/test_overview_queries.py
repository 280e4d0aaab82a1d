"""The overview's queries per request: a fixed number, whatever the team holds. A query per row (per
SKU, connection, currency or settlement) or a scope entered again would raise the count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.dashboard import factories as f
from tests.dashboard.test_overview import at, refresh, seed
from tests.factories import Personas

pytestmark = pytest.mark.django_db

# Counted in a test, which runs inside a transaction: savepoints instead of BEGIN and COMMIT.
# Every team page (12): session, user, the request's savepoint, team, scope in (savepoint, set) and
# out (set, release), membership; the full page adds the team switcher (its own scope: 5), the
# billing banner and, for an owner, the Amazon banner. The overview's own reads (16 at most):
# marketplaces, the plan's history (the subscription), order days (figures and chart), money, cost
# of goods (whether any sale took from a cost batch; the live pricing when the priced windows are
# not today's), the summary's state,
# top and falling SKUs, what each family has synced (freshness and history), stock health, the
# distinct SKUs stocked, counts and payout; today, yesterday and the month (one query), their
# home currency (the team's main currency when it chose none) and the ECB rates of their days,
# and the next payout (one query).
FULL_PAGE = 34
# An htmx request (the team's home page loads the overview so) renders no switcher and no banner.
PARTIAL = 26


def queries(client: Client, url: str, **headers: str) -> list[str]:
    with (
        time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False),
        CaptureQueriesContext(connection) as captured,
    ):
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def grow(p: Personas) -> None:
    """More of everything the page reads row by row: connections, SKUs, days, stock, settlements."""
    c = f.connected(p.team)
    for n in range(12):
        f.order(
            p.team,
            c,
            at=at(1 + n % 9),
            lines=[(f"SKU-{n}", 1 + n, "12.00"), (f"SKU-{n + 20}", 1, "3.00")],
            order_id=f"111-{n:07d}-0000009",
        )
        f.stock(p.team, c, f"SKU-{n}", fulfillable=n)
        f.settlement(
            p.team, c, f"S-MORE-{n}", deposit=at(1 + n % 9), amounts=["10.00"], total="11.00"
        )
    refresh(p.team, c)


@pytest.mark.parametrize("period", ["7d", "30d", "custom"])
def test_the_overview_reads_a_fixed_number_of_queries(personas: Personas, period: str):
    seed(personas)
    # Stock, as an inventory sync leaves it with its read model (before the first, the stock at
    # a glance is counted from the SKU rows: one more query).
    f.stock(personas.team, f.connected(personas.team), "SKU-0", fulfillable=1)
    client = Client()
    client.force_login(personas.owner)
    url = (
        f"/t/{personas.team.slug}/overview/?period={period}&date_from=2026-01-01&date_to=2026-02-10"
    )
    small = queries(client, url)
    grow(personas)
    large = queries(client, url)
    assert len(large) == len(small), "\n".join(large)
    assert len(large) <= FULL_PAGE, "\n".join(large)
    assert len(queries(client, url, HX_Request="true")) <= PARTIAL
    # Each team's scope is set once: entering it again would be another set_config.
    assert sum("set_config('ams.team_id'" in q for q in large) == 2  # in, and out


def test_the_outsider_gets_a_404_and_the_same_count_on_its_own_team(personas: Personas):
    seed(personas)
    grow(personas)
    f.stock(personas.outsider_team, f.connected(personas.outsider_team), "SKU-0", fulfillable=1)
    outsider = Client()
    outsider.force_login(personas.outsider)
    assert outsider.get(f"/t/{personas.team.slug}/overview/").status_code == 404
    own = queries(outsider, f"/t/{personas.outsider_team.slug}/overview/")
    assert len(own) <= FULL_PAGE
    with time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=UTC), tick=False):
        html = outsider.get(
            f"/t/{personas.outsider_team.slug}/overview/?period=30d"
        ).content.decode()
    assert 'data-currency="USD"' in html
    assert "MUG-1" not in html
    assert "LAMP-1" not in html
