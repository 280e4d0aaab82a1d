"""After a full sync, what the data pages show (read through their exports, which hold exactly the
page's rows) equals the simulator's truth."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.dashboard import overview as ov
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from ams.teams.models import Team
from tests.factories import Personas
from tests.procurement.helpers import streamed
from tests.sync.harness import SimSeller

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

STATUS_NAMES = {
    "Pending": "pending",
    "Unshipped": "unshipped",
    "Shipped": "shipped",
    "Canceled": "cancelled",
}
BUCKETS = (
    "fulfillable",
    "reserved",
    "unfulfillable",
    "inbound_working",
    "inbound_shipped",
    "inbound_receiving",
    "researching",
    "total",
)


def export(client: Client, team: Team, name: str, **params: str) -> list[dict[str, str]]:
    response = client.get(f"/t/{team.slug}/{name}/", {"format": "csv", **params})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(streamed(response)).decode("utf-8-sig"))))


def test_the_pages_show_the_simulators_truth(
    personas: Personas,
    connection: SellerConnection,
    seller: SimSeller,
    sim_zones: None,
    fast_sync: None,
):
    team = personas.team
    for family in (
        Family.ORDERS,
        Family.INVENTORY,
        Family.LISTINGS,
        Family.FINANCES,
        Family.SETTLEMENTS,
    ):
        assert (
            sync_run(team_id=team.id, connection_id=connection.id, family=family) == SyncStatus.DONE
        )
    truth = seller.truth()
    client = Client()
    client.force_login(personas.viewer)

    # Orders: one export row per order line.
    lines = export(client, team, "orders")
    orders = {row["order_id"]: row["status"] for row in lines}
    assert len(orders) == truth["orders"]["count"]
    assert sum(int(row["quantity"]) for row in lines) == truth["orders"]["units"]
    assert Counter(orders.values()) == {
        STATUS_NAMES[k]: v["orders"] for k, v in truth["orders"]["by_status"].items()
    }
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for row in lines:
        if row["item_price"]:
            revenue[row["currency"]] += Decimal(row["item_price"])
    assert dict(revenue) == {c: Decimal(v) for c, v in truth["orders"]["revenue"].items()}
    html = client.get(f"/t/{team.slug}/orders/").content.decode()
    assert f"({truth['orders']['count']} rows)" in html

    # Inventory: every bucket of every SKU and marketplace.
    countries = {m["id"]: m["country_code"] for m in seller.info["sellers"][0]["marketplaces"]}
    fba: dict[str, dict[str, dict[str, int]]] = {}
    fbm: dict[str, dict[str, int]] = {}
    for row in export(client, team, "inventory"):
        if row["channel"] == "AFN":
            fba.setdefault(row["sku"], {})[row["marketplace"]] = {b: int(row[b]) for b in BUCKETS}
        else:
            fbm.setdefault(row["sku"], {})[row["marketplace"]] = int(row["fulfillable"])
    assert fba == truth["inventory"]["fba"]
    assert fbm == truth["inventory"]["fbm"]
    assert set(countries.values()) >= {m for per_sku in fba.values() for m in per_sku}

    # Listings: status per marketplace.
    by_marketplace: dict[str, Counter[str]] = {}
    for row in export(client, team, "listings"):
        by_marketplace.setdefault(row["marketplace"], Counter())[row["status"].upper()] += 1
    assert {c: dict(v) for c, v in by_marketplace.items()} == {
        c: {k: v for k, v in counts.items() if v}
        for c, counts in truth["listings"]["by_marketplace"].items()
    }

    # Settlements: every published settlement, its total, and reconciled both ways.
    published = {s["settlement_id"]: s for s in truth["settlements"] if s["report_available"]}
    settlements = {row["settlement_id"]: row for row in export(client, team, "settlements")}
    assert set(settlements) == set(published)
    for settlement_id, expected in published.items():
        ours = settlements[settlement_id]
        assert Decimal(ours["total_amount"]) == Decimal(expected["total"])
        assert int(ours["lines"]) == expected["lines"]
        assert ours["lines_reconciled"] == "yes"
        assert ours["transactions_reconciled"] == "yes"

    # Overview: over the whole history, per currency, its figures are the simulator's.
    first = date.fromisoformat(truth["history_start"]) - timedelta(days=1)
    last = date.fromisoformat(truth["as_of"][:10]) + timedelta(days=1)
    with team_scope(team.id):
        figures = {f.currency: f for f in ov.figures(team, ov.Period(first, last))}
    expected_orders: dict[str, Counter[str]] = defaultdict(Counter)
    for market in truth["orders"]["by_marketplace"].values():
        expected_orders[market["currency"]]["orders"] += market["orders"]
        expected_orders[market["currency"]]["units"] += market["units"]
    assert {c: (f.orders.current, f.units.current) for c, f in figures.items()} == {
        c: (v["orders"], v["units"]) for c, v in expected_orders.items()
    }
    discounts = {c: Decimal(v) for c, v in truth["orders"]["promotion_discounts"].items()}
    for currency, item_price in truth["orders"]["revenue"].items():
        assert figures[currency].promotions.current == discounts.get(currency, Decimal(0))
        assert figures[currency].sales.current == Decimal(item_price) - discounts.get(
            currency, Decimal(0)
        )
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for per_currency in truth["fees"]["by_type"].values():
        for currency, amount in per_currency.items():
            fees[currency] -= Decimal(amount)
    net: dict[str, Decimal] = defaultdict(Decimal)
    for per_currency in truth["fees"]["charges"].values():
        for currency, amount in per_currency.items():
            net[currency] += Decimal(amount)
    assert {c: f.fees.current for c, f in figures.items() if f.fees.current} == dict(fees)
    assert {
        c: f.net_proceeds.current for c, f in figures.items() if f.net_proceeds.current
    } == dict(net)
