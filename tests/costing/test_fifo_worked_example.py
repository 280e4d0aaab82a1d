"""Cost of goods from receipts, worked by hand: three receipts at different prices and exchange
rates (one with freight), sales across them, a return to sellable stock, a partial receipt and a
unit no batch covers (priced by the seller's dated cost). AMS's figures equal the hand calculation
to the cent, the profit page reads them, and another team sees none of it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from ams.core.exchange_rates import rates_load
from ams.core.tenancy import team_scope
from ams.costing.models import Consumption, CostBatch, CostingSettings, Method
from ams.costing.refresh import costing_refresh
from ams.costing.selectors import order_item_costs
from ams.dashboard.profit import sku_profits
from ams.inventory.models import CustomerReturn
from ams.purchasing.services import (
    LineInput,
    create_purchase_order,
    landed_charge_add,
    purchase_order_send,
    receipt_record,
)
from ams.teams.models import Team
from tests.dashboard import factories as f
from tests.factories import Personas
from tests.procurement.helpers import add_cost
from tests.products.helpers import add_product
from tests.purchasing.helpers import add_supplier

pytestmark = pytest.mark.django_db

DE = f.DE
# USD per euro, as the ECB publishes: 1 USD is 0.80 EUR on 2 February, 1.00 EUR on 16 February,
# 0.625 EUR on 2 and 3 March.
RATES = """Date,USD,
2026-03-03,1.6000,
2026-03-02,1.6000,
2026-02-16,1.0000,
2026-02-02,1.2500,
"""


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def buy(p: Personas, supplier, product, quantity: int, price: str, *, sent: str) -> int:
    team, owner = p.team, p.owner
    with time_machine.travel(at(sent, 8), tick=False), team_scope(team.id):
        order = create_purchase_order(
            team=team,
            actor=owner,
            supplier_id=supplier.pk,
            lines=[LineInput(product.pk, quantity, Decimal(price))],
        )
        purchase_order_send(team=team, actor=owner, order_id=order.pk, email=False)
    return order.pk


def receive(p: Personas, order_id: int, quantity: int, on: str) -> None:
    team = p.team
    with time_machine.travel(at(on, 9), tick=False), team_scope(team.id):
        line = team_lines(team, order_id)
        receipt_record(
            team=team,
            actor=p.member,
            order_id=order_id,
            received_on=date.fromisoformat(on),
            quantities={line: quantity},
            stock_pool="fba_eu",
        )


def team_lines(team: Team, order_id: int) -> int:
    from ams.purchasing.models import PurchaseOrderLine

    return PurchaseOrderLine.objects.get(team=team, order_id=order_id).pk


def sell(team: Team, connection, day: str, units: int, order_id: str) -> None:
    f.order(
        team,
        connection,
        at=at(day),
        lines=[("MUG-1", units, f"{units * 20}.00")],
        marketplace_id=DE,
        currency="EUR",
        order_id=order_id,
    )


def sku_days(team: Team, connection) -> None:
    from ams.orders.rollups import order_days_refresh

    with team_scope(team.id):
        order_days_refresh(
            connection_id=connection.pk,
            marketplace_id=DE,
            first=at("2026-02-01", 0),
            last=at("2026-03-31", 23),
        )


def returned(team: Team, connection, order_id: str, units: int, day: str) -> None:
    with team_scope(team.id):
        CustomerReturn.objects.create(
            team=team,
            connection=connection,
            marketplace_id=DE,
            returned_at=at(day),
            order_id=order_id,
            sku="MUG-1",
            quantity=units,
            disposition="SELLABLE",
            license_plate=f"LPN{order_id}",
            synced_at=timezone.now(),
        )


@pytest.fixture
def worked(personas: Personas, tmp_path) -> Personas:
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    rates_load(rates, through=date(2026, 3, 31))
    team = personas.team
    Team.objects.filter(id=team.id).update(home_currency="EUR")
    team.refresh_from_db()
    connection = f.connected(team)
    mug = add_product(team, "MUG", skus=("MUG-1",))
    supplier = add_supplier(team, currency="USD")
    # The seller's own dated cost: what a unit no batch covers costs.
    add_cost(team, "MUG-1", "5.00", date(2026, 1, 1), currency="EUR")

    # Sales (Germany, FBA: the European pool), one order each; the return's order is 303-2.
    for day, units, order_id in (
        ("2026-02-03", 3, "303-1"),
        ("2026-02-10", 5, "303-2"),
        ("2026-02-20", 4, "303-3"),
        ("2026-02-26", 3, "303-4"),
        ("2026-03-03", 9, "303-5"),
    ):
        sell(team, connection, day, units, order_id)
    returned(team, connection, "303-2", 2, "2026-02-25")
    sku_days(team, connection)

    # Receipt 1: 10 mugs at 3.00 USD on 2 Feb (0.80): 24.00 EUR, and 5.10 USD of freight paid
    # that day: 4.08 EUR. Batch 1: 10 units worth 28.08 EUR.
    first = buy(personas, supplier, mug, 10, "3.00", sent="2026-01-20")
    with team_scope(team.id):
        landed_charge_add(
            team=team,
            order_id=first,
            kind="freight",
            amount=Decimal("5.10"),
            currency="USD",
            basis="units",
            paid_on=date(2026, 2, 2),
        )
    receive(personas, first, 10, "2026-02-02")
    # Receipt 2: 7 mugs at 3.10 USD on 16 Feb (1.00). Batch 2: 7 units worth 21.70 EUR.
    second = buy(personas, supplier, mug, 7, "3.10", sent="2026-02-01")
    receive(personas, second, 7, "2026-02-16")
    # Receipt 3, partial: 4 of 10 mugs at 4.00 USD on 2 Mar (0.625). Batch 3: 4 units, 10.00 EUR.
    third = buy(personas, supplier, mug, 10, "4.00", sent="2026-02-15")
    receive(personas, third, 4, "2026-03-02")
    personas.third_order = third  # type: ignore[attr-defined]

    # Another team: the same SKU, a receipt and sales of its own.
    other = personas.outsider_team
    Team.objects.filter(id=other.id).update(home_currency="EUR")
    other_connection = f.connected(other)
    add_product(other, "MUG", skus=("MUG-1",))
    f.order(
        other,
        other_connection,
        at=at("2026-02-03"),
        lines=[("MUG-1", 50, "999.00")],
        marketplace_id=DE,
        currency="EUR",
    )
    return personas


# By hand. A batch of q units worth V cents gives its units in order; its first k units are worth
# round_half_up(V * k / q), so units c+1 ... c+n cost share(c+n) - share(c).
#
#   303-1  2026-02-03  3 units  batch 1 units 1-3: 2808x3/10 = 842.4 → 8.42
#   303-2  2026-02-10  5 units  batch 1 units 4-8: 2246.4 → 22.46 - 8.42 = 14.04
#   303-3  2026-02-20  4 units  batch 1 units 9-10: 28.08 - 22.46 = 5.62
#                               batch 2 units 1-2: 2170x2/7 = 620 → 6.20        item: 11.82
#   return of 2 from 303-2 on 2026-02-25, to batch 1 (where 303-2's units came from): batch 1's
#          last 2 units go back, worth 28.08 - 22.46 = 5.62: 303-2 now costs 14.04 - 5.62 = 8.42
#   303-4  2026-02-26  3 units  batch 1 units 9-10 again: 5.62
#                               batch 2 unit 3: 9.30 - 6.20 = 3.10              item: 8.72
#   303-5  2026-03-03  9 units  batch 2 units 4-7: 21.70 - 9.30 = 12.40
#                               batch 3 units 1-4: 10.00
#                               1 unit no batch holds: the dated cost, 5.00     item: 27.40
#
# Cost of goods, February and March: 8.42 + 8.42 + 11.82 + 8.72 + 27.40 = 64.78 EUR.
# The batches are used up to the cent: batch 1 8.42 + 14.04 + 5.62 - 5.62 + 5.62 = 28.08,
# batch 2 6.20 + 3.10 + 12.40 = 21.70, batch 3 10.00.
HAND = {
    "303-1": Decimal("8.42"),
    "303-2": Decimal("8.42"),
    "303-3": Decimal("11.82"),
    "303-4": Decimal("8.72"),
    "303-5": Decimal("22.40"),  # from batches; its 9th unit at the dated cost, below
}


def item_costs(p: Personas) -> dict[str, Decimal]:
    with team_scope(p.team.id):
        return {c.amazon_order_id: c.batch_cost for c in order_item_costs(p.team)}


def test_batches_are_valued_in_the_home_currency_with_their_freight(worked):
    with team_scope(worked.team.id):
        batches = list(
            CostBatch.objects.order_by("received_on").values_list(
                "quantity", "goods_value", "landed_value", "currency"
            )
        )
    assert batches == [
        (10, Decimal("24.00"), Decimal("4.08"), "EUR"),
        (7, Decimal("21.70"), Decimal("0.00"), "EUR"),
        (4, Decimal("10.00"), Decimal("0.00"), "EUR"),
    ]


def test_each_order_costs_what_the_hand_calculation_says(worked):
    assert item_costs(worked) == HAND
    with team_scope(worked.team.id):
        uncovered = list(
            Consumption.objects.filter(source="uncovered").values_list("amazon_order_id", "units")
        )
        by_batch: dict[int | None, Decimal] = {}
        for batch_id, cost in Consumption.objects.filter(source="batch").values_list(
            "batch_id", "cost"
        ):
            by_batch[batch_id] = by_batch.get(batch_id, Decimal(0)) + (cost or Decimal(0))
        values = dict(CostBatch.objects.values_list("pk", "goods_value").order_by())
        landed = dict(CostBatch.objects.values_list("pk", "landed_value"))
    assert uncovered == [("303-5", 1)]
    # Every batch used up gives exactly its value.
    assert by_batch == {pk: values[pk] + landed[pk] for pk in values}


def test_the_profit_page_counts_batches_and_the_dated_cost(worked):
    with team_scope(worked.team.id):
        rows = sku_profits(worked.team, first=date(2026, 2, 1), last=date(2026, 3, 31), home="EUR")
    (row,) = [r for r in rows if r.sku == "MUG-1"]
    assert row.units == 24
    assert row.cost == Decimal("64.78")
    assert row.cost_home == Decimal("64.78")
    assert row.units_missing_cost == 0


def test_the_rest_of_the_partial_receipt_reprices_only_from_its_day(worked):
    with team_scope(worked.team.id):
        before = set(
            Consumption.objects.filter(day__lt=date(2026, 3, 3)).values_list("pk", flat=True)
        )
    # 2 more of receipt 3's mugs on 3 March (0.625): 2 x 4.00 x 0.625 = 5.00 EUR, 2.50 each. Order
    # 303-5's 9th unit now comes from this batch: 2.50 instead of the dated 5.00.
    receive(worked, worked.third_order, 2, "2026-03-03")
    costs = item_costs(worked)
    assert costs["303-5"] == Decimal("24.90")
    with team_scope(worked.team.id):
        kept = set(
            Consumption.objects.filter(day__lt=date(2026, 3, 3)).values_list("pk", flat=True)
        )
        rows = sku_profits(worked.team, first=date(2026, 2, 1), last=date(2026, 3, 31), home="EUR")
    # The rows before the receipt's day were not rewritten.
    assert kept == before
    (row,) = [r for r in rows if r.sku == "MUG-1"]
    assert row.cost == Decimal("62.28")


def test_weighted_average_prices_every_sale_at_the_pool_average(worked):
    with team_scope(worked.team.id):
        CostingSettings.objects.filter(team=worked.team).update(method=Method.AVERAGE)
        costing_refresh(worked.team)
        by_batch_source = list(Consumption.objects.values_list("source", flat=True).distinct())
        total = sum(
            (
                c or Decimal(0)
                for c in Consumption.objects.filter(source="batch").values_list("cost", flat=True)
            ),
            Decimal(0),
        )
    # Received by 3 March: 28.08 + 21.70 + 10.00 = 59.78 EUR for 21 units. 24 sold, 2 came back:
    # 22 left, and the last sale finds 8 where it wants 9. The pool is empty, so the sales took its
    # whole value to the cent, and one unit is priced by the dated cost.
    assert sorted(by_batch_source) == ["batch", "uncovered"]
    assert total == Decimal("59.78")


def test_another_team_sees_none_of_it(worked):
    other = worked.outsider_team
    with team_scope(other.id):
        costing_refresh(other)
        assert not CostBatch.objects.exists()
        assert list(Consumption.objects.values_list("source", "units")) == [("uncovered", 50)]
        (item,) = order_item_costs(other)
        assert (item.batch_cost, item.uncovered_units) == (Decimal(0), 50)
    with team_scope(worked.team.id):
        assert "111" not in {c.amazon_order_id[:3] for c in order_item_costs(worked.team)}


def test_the_profit_and_loss_statement_counts_the_same_cost_of_goods(worked):
    from ams.dashboard import overview as ov
    from ams.dashboard.pnl import statements

    with team_scope(worked.team.id):
        found = statements(worked.team, ov.Period(date(2026, 2, 1), date(2026, 3, 31)))
    (eur,) = [s for s in found if s.currency == "EUR"]
    assert eur.cost_of_goods.current == Decimal("64.78")
    assert eur.skus_missing_cost.current == 0


def test_the_overview_of_a_standard_window_counts_the_batches_too(worked):
    """The 30 days to 31 March, asked as the overview's standard window on that day: the cost of
    goods is the batches' (the P&L's), not the dated cost the SKU summary keeps ahead."""
    from ams.dashboard import overview as ov
    from ams.dashboard.pnl import statements

    period = ov.Period(date(2026, 3, 2), date(2026, 3, 31))
    with team_scope(worked.team.id):
        (eur,) = [s for s in statements(worked.team, period) if s.currency == "EUR"]
        goods = ov._cost_of_goods(worked.team, period, period.previous(), "", "30d")
    assert goods[("EUR", True)][0] == eur.cost_of_goods.current
    # Order 303-5's 9 units on 3 March: batch 2's last 4 (21.70 - 9.30 = 12.40), batch 3's 4
    # (10.00) and one unit no batch holds at the dated 5.00.
    assert eur.cost_of_goods.current == Decimal("27.40")


def test_the_batches_export_says_what_each_batch_gave(worked):
    from django.test import Client

    from tests.procurement.helpers import streamed

    client = Client()
    client.force_login(worked.member)
    url = f"/t/{worked.team.slug}/cost-batches/export/?format=csv"
    text = b"".join(streamed(client.get(url))).decode("utf-8-sig")
    lines = [line.split(",") for line in text.splitlines()]
    header = lines[0]
    got = {
        row[header.index("received_on")]: (
            row[header.index("units")],
            row[header.index("units_sold")],
            row[header.index("units_left")],
            row[header.index("unit_cost")],
        )
        for row in lines[1:]
    }
    # Batch 1: 3 + 5 + 2 sold, 2 given back and sold again; batch 2: 2 + 1 + 4; batch 3: 4 of 4.
    assert got == {
        "2026-02-02": ("10", "10", "0", "2.8080"),
        "2026-02-16": ("7", "7", "0", "3.1000"),
        "2026-03-02": ("4", "4", "0", "2.5000"),
    }
    outsider = Client()
    outsider.force_login(worked.outsider)
    assert outsider.get(url).status_code == 404
