"""The overview's shortcuts give the figures of the long way: the SKU summary's rows ranked as they
are when they come from one connection and marketplace, the same rows added up otherwise."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from ams.core.tenancy import team_scope
from ams.dashboard import overview as ov
from ams.orders.selectors import SkuMoveRow, SummaryState
from tests.dashboard import factories as f
from tests.dashboard.test_overview import TODAY, at, refresh, seed
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def moves(
    p: Personas, window: str, marketplace: str, *, one_source: bool
) -> dict[str, dict[str, list[SkuMoveRow]]]:
    with team_scope(p.team.id):
        return ov.sku_moves(
            p.team,
            ov.preset_period(window, today=TODAY),
            marketplace,
            window=window,
            one_source=one_source,
        )


def state(p: Personas, marketplace: str = "") -> SummaryState:
    with team_scope(p.team.id):
        return ov.summary_state(p.team, marketplace)


@pytest.mark.parametrize("window", ["7d", "30d", "90d"])
def test_one_marketplace_of_one_connection_ranks_its_rows_as_adding_them_up_does(
    personas: Personas, window: str
):
    seed(personas)
    assert state(personas, f.US).one_source
    assert state(personas, f.DE).one_source
    # Two marketplaces: a SKU sold in both has two rows of the same currency only if they share
    # one, so "all" is never taken for one source.
    assert not state(personas).one_source
    for marketplace in (f.US, f.DE):
        fast = moves(personas, window, marketplace, one_source=True)
        assert fast == moves(personas, window, marketplace, one_source=False)
    assert moves(personas, "30d", f.US, one_source=True)["USD"]["top"]
    everything = str(moves(personas, "30d", "", one_source=False))
    assert "SECRET-SKU" not in everything


def test_a_second_connection_in_the_same_marketplace_adds_the_rows_up(personas: Personas):
    seed(personas)
    c = f.connected(personas.team)
    # The same SKU sold through another account in the same marketplace and currency.
    f.order(
        personas.team, c, at=at(7), lines=[("MUG-1", 4, "80.00")], order_id="111-0000009-0000001"
    )
    refresh(personas.team, c)
    assert not state(personas, f.US).one_source
    added = moves(personas, "7d", f.US, one_source=False)
    mug = next(m for m in added["USD"]["top"] if m.sku == "MUG-1")
    assert mug.units == 2 + 4
    # Rows ranked one by one would show MUG-1 twice: the state keeps the page off that path.
    rows = moves(personas, "7d", f.US, one_source=True)
    assert [m.sku for m in rows["USD"]["top"]].count("MUG-1") == 2


def test_the_summary_state_reads_only_the_team_s_rows(personas: Personas):
    seed(personas)
    as_of = state(personas).as_of
    assert as_of is not None
    with team_scope(personas.outsider_team.id):
        outsider = ov.summary_state(personas.outsider_team)
    assert outsider.as_of is None
    assert outsider.one_source


def test_the_counts_come_from_one_query_and_only_the_team_s_rows(personas: Personas):
    f.seed(personas)
    with team_scope(personas.team.id):
        found = ov.counts(personas.team)
    assert found.suppressed == 1  # LAMP-1
    assert found.payout is not None
    # The last deposit is S-WAIT's (Feb 15); S-BAD's lines do not add up to its total.
    assert [(d.total_amount, d.currency) for d in found.payout.deposits] == [
        (Decimal("10.00"), "USD")
    ]
    assert found.payout.not_adding_up == 1
    with team_scope(personas.outsider_team.id):
        theirs = ov.counts(personas.outsider_team)
    assert theirs.suppressed == 0
    assert theirs.payout is not None
    assert [d.total_amount for d in theirs.payout.deposits] == [Decimal("1.00")]
    assert theirs.payout.not_adding_up == 0
    client = Client()
    client.force_login(personas.viewer)
    html = client.get(f"/t/{personas.team.slug}/overview/").content.decode()
    more = html.split('id="overview-more"')[1]
    assert "10.00 USD" in more
    assert "1 settlement not adding up" in more
    assert f"settlement={found.payout.deposits[0].id}" in more
