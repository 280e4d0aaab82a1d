"""The profit read model (ams.profit): kept by the sync batch by batch, it holds what building it
again from all the SKU days and charges gives; any period reads the same from its months and days;
a saved cost reprices the days sold; and nothing of another team reaches it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ams.core import bulk
from ams.core.tenancy import team_scope
from ams.finance.writers import CHARGE_COLUMNS, ChargeRow
from ams.procurement.models import ProductCost
from ams.procurement.services import product_cost_delete
from ams.profit.models import ProfitMonth, SkuProfitDay, SkuProfitMonth
from ams.profit.rollups import sales_refresh, team_rebuild
from ams.profit.selectors import cost_of_goods, sku_table
from ams.sync.syncers.finances import transactions_writer
from ams.teams.models import Team
from tests.dashboard import factories as f
from tests.dashboard.money_factories import COMMISSION, FBA_FEE, PRINCIPAL
from tests.factories import Personas
from tests.procurement.helpers import add_cost, sku_day

pytestmark = pytest.mark.django_db

CA = "A2EUQ1WTGCTBG2"
FIGURES = (
    "orders",
    "units",
    "sales",
    "sales_home",
    "sales_unrated",
    "cost",
    "cost_home",
    "units_missing_cost",
    "fees",
    "refunds",
    "refund_count",
    "fees_home",
    "refunds_home",
    "charges",
    "money_unrated",
)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def batch(team: Team, connection, transactions) -> None:
    """One batch of transactions through the finances sync's writer, as an ingest writes it."""
    rows = []
    for transaction_id, kind, posted, charges in transactions:
        total = sum((Decimal(a) for _s, _c, a in charges), Decimal(0))
        for position, (sku, (category, charge_kind, description), amount) in enumerate(charges):
            rows.append(
                ChargeRow(
                    transaction_id, kind, "RELEASED", kind, at(posted), f.US, "USD", total, "",
                    "", "", position, sku, category, charge_kind, description, Decimal(amount),
                )
            )  # fmt: skip
    with team_scope(team.id):
        staged, _count = bulk.stage(CHARGE_COLUMNS, rows)
        bulk.write(transactions_writer(connection.id), staged, connection_id=connection.id)
        bulk.drop_stage(staged)


def sold(team: Team, connection, days: list[tuple[str, date, int, str, str, str]]) -> None:
    """SKU days as an orders run rebuilds them, then the run's refresh of their profit rows."""
    for sku, day, units, sales, marketplace_id, currency in days:
        sku_day(
            team, sku, day, units=units, orders=1, sales=sales,
            marketplace_id=marketplace_id, currency=currency,
        )  # fmt: skip
    with team_scope(team.id):
        for marketplace_id in {d[4] for d in days}:
            chosen = [d[1] for d in days if d[4] == marketplace_id]
            sales_refresh(
                connection_id=connection.id,
                marketplace_id=marketplace_id,
                first_day=min(chosen),
                last_day=max(chosen),
            )


@pytest.fixture
def world(personas: Personas, ecb_rates: None) -> Personas:
    team, other = personas.team, personas.outsider_team
    Team.objects.filter(id=team.id).update(home_currency="EUR")
    connection, theirs = f.connected(team), f.connected(other)
    sold(
        team,
        connection,
        [
            ("MUG-1", date(2026, 2, 27), 2, "40.00", f.US, "USD"),
            ("MUG-1", date(2026, 3, 5), 1, "20.00", f.US, "USD"),
            ("LAMP-1", date(2026, 3, 9), 1, "50.00", f.US, "USD"),
            ("MUG-1", date(2026, 3, 6), 1, "30.00", CA, "CAD"),
        ],
    )
    # Saved after the sales: the days already sold are priced again.
    add_cost(team, "MUG-1", "4.00", None)
    batch(
        team,
        connection,
        [
            ("T1", "Shipment", date(2026, 2, 28), [
                ("MUG-1", PRINCIPAL, "40.00"), ("MUG-1", COMMISSION, "-6.00"), ("MUG-1", FBA_FEE, "-4.00"),
            ]),
            ("T2", "Refund", date(2026, 3, 9), [
                ("MUG-1", PRINCIPAL, "-20.00"), ("MUG-1", COMMISSION, "3.00"),
            ]),
        ],
    )  # fmt: skip
    # Amazon sends T1 again: another commission, posted in March now. The February figures go.
    batch(
        team,
        connection,
        [
            ("T1", "Shipment", date(2026, 3, 2), [
                ("MUG-1", PRINCIPAL, "40.00"), ("MUG-1", COMMISSION, "-7.00"), ("MUG-1", FBA_FEE, "-4.00"),
            ]),
        ],
    )  # fmt: skip
    # Another team sells and is charged for the same SKU on the same days.
    sold(other, theirs, [("MUG-1", date(2026, 3, 5), 50, "999.00", f.US, "USD")])
    add_cost(other, "MUG-1", "1.00", None)
    batch(
        other,
        theirs,
        [("T1", "Shipment", date(2026, 3, 2), [("MUG-1", COMMISSION, "-777.00")])],
    )
    return personas


def held(team: Team) -> dict[str, set[tuple[object, ...]]]:
    with team_scope(team.id):
        return {
            "days": {
                (
                    r.connection_id,
                    r.marketplace_id,
                    r.sku,
                    r.currency,
                    r.day,
                    *(Decimal(getattr(r, c)) for c in FIGURES),
                )
                for r in SkuProfitDay.objects.all()
            },
            "months": {
                (
                    r.connection_id,
                    r.marketplace_id,
                    r.sku,
                    r.currency,
                    r.month,
                    *(Decimal(getattr(r, c)) for c in FIGURES),
                )
                for r in SkuProfitMonth.objects.all()
            },
            "totals": {
                (
                    r.connection_id,
                    r.marketplace_id,
                    r.currency,
                    r.month,
                    *(Decimal(getattr(r, c)) for c in FIGURES),
                )
                for r in ProfitMonth.objects.all()
            },
        }


def test_the_model_kept_batch_by_batch_equals_one_built_from_scratch(world: Personas):
    kept = held(world.team)
    assert kept["days"]
    assert kept["months"]
    with team_scope(world.team.id):
        team_rebuild()
    assert held(world.team) == kept
    theirs = held(world.outsider_team)
    with team_scope(world.outsider_team.id):
        team_rebuild()
    assert held(world.outsider_team) == theirs
    # Nothing of the other team's is among the team's rows, and the other way round.
    assert not any(Decimal("999.00") in row or Decimal("777.00") in row for row in kept["days"])
    assert {row[2] for row in theirs["days"]} == {"MUG-1"}
    assert {row[7] for row in theirs["days"]} == {0, Decimal("999.00")}  # their sales only


def test_the_figures_are_those_of_the_orders_charges_and_costs(world: Personas):
    with team_scope(world.team.id):
        table = sku_table(world.team, first=date(2026, 3, 1), last=date(2026, 3, 31), home="EUR")
    rows = {(r.sku, r.marketplace_id): r for r in table.rows}
    assert set(rows) == {("MUG-1", f.US), ("MUG-1", CA), ("LAMP-1", f.US)}
    us = rows[("MUG-1", f.US)]
    assert (us.orders, us.units, us.sales, us.cost) == (1, 1, Decimal("20.00"), Decimal("4.00"))
    # T1 as Amazon sent it last (7 + 4, posted 2 March), less the commission given back on T2.
    assert (us.fees, us.refunds, us.refund_count) == (Decimal("8.00"), Decimal("20.00"), 1)
    assert us.units_missing_cost == 0
    lamp = rows[("LAMP-1", f.US)]
    assert (lamp.units_missing_cost, lamp.cost) == (1, Decimal(0))
    # February keeps the two units sold on the 27th and none of T1's first posting.
    with team_scope(world.team.id):
        february = sku_table(world.team, first=date(2026, 2, 1), last=date(2026, 2, 28), home="EUR")
    (feb,) = february.rows
    assert (feb.units, feb.sales, feb.cost, feb.fees) == (
        2,
        Decimal("40.00"),
        Decimal("8.00"),
        Decimal(0),
    )
    # The outsider's table holds its own SKU day only.
    with team_scope(world.outsider_team.id):
        their = sku_table(
            world.outsider_team, first=date(2026, 3, 1), last=date(2026, 3, 31), home="USD"
        )
    assert [(r.sku, r.units, r.fees) for r in their.rows] == [("MUG-1", 50, Decimal("777.00"))]
    with team_scope(world.outsider_team.id):
        assert (
            sku_table(world.team, first=date(2026, 3, 1), last=date(2026, 3, 31), home="EUR").rows
            == []
        )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 2, 27), date(2026, 3, 9)),  # two partial months
        (date(2026, 2, 1), date(2026, 3, 31)),  # two whole months
        (date(2026, 3, 1), date(2026, 3, 5)),  # the start of one month
        (date(2026, 1, 15), date(2026, 4, 15)),  # whole months between partial ones
        (date(2026, 2, 28), date(2026, 2, 28)),  # one day
    ],
)
def test_any_period_reads_the_same_from_months_and_days(world: Personas, first: date, last: date):
    with team_scope(world.team.id):
        table = sku_table(world.team, first=first, last=last, home="EUR")
        days = list(SkuProfitDay.objects.filter(day__range=(first, last)))
    expected: dict[tuple[str, str, str], list[Decimal]] = {}
    for r in days:
        sums = expected.setdefault((r.marketplace_id, r.sku, r.currency), [Decimal(0)] * 4)
        for i, c in enumerate(("units", "sales", "fees", "cost")):
            sums[i] += Decimal(getattr(r, c))
    found = {
        (r.marketplace_id, r.sku, r.currency): [Decimal(r.units), r.sales, r.fees, r.cost]
        for r in table.rows
    }
    assert found == expected
    assert table.count == len(expected)


def test_a_deleted_cost_leaves_the_days_it_priced_without_a_cost(world: Personas):
    with team_scope(world.team.id):
        record = ProductCost.objects.get(team=world.team, sku="MUG-1")
        product_cost_delete(team=world.team, cost_id=record.id)
        table = sku_table(world.team, first=date(2026, 2, 1), last=date(2026, 3, 31), home="EUR")
    us = next(r for r in table.rows if (r.sku, r.marketplace_id) == ("MUG-1", f.US))
    assert (us.units, us.units_missing_cost, us.cost) == (3, 3, Decimal(0))
    kept = held(world.team)
    with team_scope(world.team.id):
        team_rebuild()
    assert held(world.team) == kept


def test_a_page_and_the_totals_of_the_whole_table(world: Personas):
    with team_scope(world.team.id):
        first_page = sku_table(
            world.team, first=date(2026, 3, 1), last=date(2026, 3, 31), home="EUR",
            sort="sku", limit=2,
        )  # fmt: skip
        second_page = sku_table(
            world.team, first=date(2026, 3, 1), last=date(2026, 3, 31), home="EUR",
            sort="sku", limit=2, offset=2,
        )  # fmt: skip
    assert [r.sku for r in first_page.rows + second_page.rows] == ["LAMP-1", "MUG-1", "MUG-1"]
    assert first_page.count == second_page.count == 3
    by_currency = {t.currency: t for t in first_page.per_currency}
    # USD: LAMP-1 has no cost, so the currency's profit is incomplete; CAD's is known.
    assert (by_currency["USD"].profit, by_currency["USD"].incomplete_rows) == (None, 1)
    assert by_currency["USD"].sales == Decimal("70.00")
    assert by_currency["CAD"].profit is not None
    assert first_page.home.incomplete_rows >= 1


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 27), date(2026, 3, 9))],
)
def test_a_periods_cost_of_goods_is_the_sum_of_its_sku_days(
    world: Personas, first: date, last: date
):
    with team_scope(world.team.id):
        goods = cost_of_goods(
            world.team,
            first=first,
            last=last,
            previous_first=first - (last - first) - timedelta(days=1),
        )
        days = list(SkuProfitDay.objects.filter(day__range=(first, last)))
    now = {g.currency: g for g in goods if g.now}
    for currency in ("USD", "CAD"):
        mine = [d for d in days if d.currency == currency]
        assert now[currency].cost == sum((d.cost for d in mine), Decimal(0))
        assert now[currency].units_missing == sum(d.units_missing_cost for d in mine)
        assert now[currency].skus_missing == len({d.sku for d in mine if d.units_missing_cost})
    assert now["USD"].skus_missing == 1  # LAMP-1, never given a cost
    with team_scope(world.outsider_team.id):
        assert cost_of_goods(world.team, first=first, last=last, previous_first=first) == []


def test_a_new_home_currency_converts_every_figure_again(world: Personas):
    from procrastinate.contrib.django.models import ProcrastinateJob

    from ams.profit.tasks import profit_rebuild
    from ams.teams.models import Membership
    from ams.teams.services import team_update

    def march_home() -> Decimal | None:
        with team_scope(world.team.id):
            table = sku_table(
                world.team, first=date(2026, 3, 5), last=date(2026, 3, 9), home="", sort="sku"
            )
        return next(
            r for r in table.rows if (r.sku, r.marketplace_id) == ("LAMP-1", f.US)
        ).sales_home

    assert march_home() == Decimal("46.296296")  # 50 USD in EUR at 9 March's 1.08
    with team_scope(world.team.id):
        owner = Membership.objects.get(team=world.team, user=world.owner)
        team_update(team=world.team, actor=owner, name=world.team.name, home_currency="USD")
    job = ProcrastinateJob.objects.get(task_name=profit_rebuild.name, args__team_id=world.team.id)
    assert job.status == "todo"
    assert not ProcrastinateJob.objects.filter(
        task_name=profit_rebuild.name, args__team_id=world.outsider_team.id
    ).exists()
    with team_scope(world.team.id):
        team_rebuild()  # what the job runs, in the team's scope
    assert march_home() == Decimal("50.00")


def test_the_rates_of_days_that_had_none_convert_what_was_stored_meanwhile(
    world: Personas, tmp_path, django_capture_on_commit_callbacks
):
    from ams.core.exchange_rates import rates_load

    team = world.team
    connection = f.connected(team)
    sold(team, connection, [("MUG-1", date(2026, 3, 20), 1, "10.00", f.US, "USD")])
    batch(
        team, connection, [("T9", "Shipment", date(2026, 3, 20), [("MUG-1", COMMISSION, "-2.00")])]
    )

    def march_20() -> Any:
        with team_scope(team.id):
            (row,) = sku_table(
                team, first=date(2026, 3, 20), last=date(2026, 3, 20), home="EUR"
            ).rows
        return row

    assert (march_20().sales_home, march_20().fees_home) == (None, None)  # no rate yet
    kept_outsider = held(world.outsider_team)
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text("Date,USD,\n2026-03-20,1.2500,\n")
    with django_capture_on_commit_callbacks(execute=True):
        rates_load(path, through=date(2026, 3, 20))
    row = march_20()
    assert (row.sales_home, row.fees_home, row.cost_home) == (
        Decimal("8.000000"),
        Decimal("1.600000"),
        Decimal("3.200000"),
    )
    # Converted again, the rows are what building them from scratch gives.
    kept = held(team)
    with team_scope(team.id):
        team_rebuild()
    assert held(team) == kept
    assert held(world.outsider_team) == kept_outsider
