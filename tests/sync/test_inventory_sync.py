"""Inventory: AMS's stock per SKU, marketplace and bucket equals the simulator's truth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from ams.inventory.models import InventoryHealth, RestockAdvice, StockLevel, StockSnapshot
from ams.sync import clients
from ams.sync.models import Family, QuarantinedRow, SyncStatus
from ams.sync.parsers import flatfile
from ams.sync.parsers import inventory as inventory_parser
from ams.sync.services import sync_run
from ams.sync.syncers import reports
from ams.teams.models import Team
from tests.factories import Personas
from tests.sync.harness import SimSeller, connect, small_config

pytestmark = pytest.mark.django_db(transaction=True)

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


def stock(
    connection: SellerConnection, countries: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    fba: dict[str, dict[str, dict[str, int]]] = {}
    fbm: dict[str, dict[str, int]] = {}
    with team_scope(connection.team_id):
        for level in StockLevel.objects.filter(connection=connection):
            country = countries[level.marketplace_id]
            if level.fulfillment_channel == "AFN":
                fba.setdefault(level.sku, {})[country] = {b: getattr(level, b) for b in BUCKETS}
            else:
                fbm.setdefault(level.sku, {})[country] = level.fulfillable
    return fba, fbm


def test_inventory_converges_on_the_truth(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY)
        == SyncStatus.DONE
    )
    truth = seller.truth()["inventory"]
    countries = {m["id"]: m["country_code"] for m in seller.info["sellers"][0]["marketplaces"]}
    fba, fbm = stock(connection, countries)
    assert fba == truth["fba"]
    assert fbm == truth["fbm"]
    with team_scope(connection.team_id):
        assert (
            StockSnapshot.objects.filter(connection=connection).count()
            == StockLevel.objects.filter(connection=connection).count()
        )
        assert RestockAdvice.objects.filter(connection=connection).count() == sum(
            len(v) for v in truth["fba"].values()
        )
        assert (
            InventoryHealth.objects.filter(connection=connection)
            .exclude(snapshot_date=None)
            .exists()
        )
        before = sorted(
            StockLevel.objects.filter(connection=connection).values_list("id", "synced_at")
        )

    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY)
        == SyncStatus.DONE
    )
    with team_scope(connection.team_id):
        assert (
            sorted(StockLevel.objects.filter(connection=connection).values_list("id", "synced_at"))
            == before
        )


US = "ATVPDKIKX0DER"


def _stale_fbm_row(team: Team, connection: SellerConnection, sku: str) -> None:
    """A merchant-fulfilled SKU AMS holds from an earlier run whose listing the seller has since
    deleted: Amazon's listings report no longer has it."""
    with team_scope(team.id):
        StockLevel.objects.create(
            team=team,
            connection=connection,
            marketplace_id=US,
            sku=sku,
            fulfillment_channel="MFN",
            fulfillable=7,
            inbound_working=0,
            inbound_shipped=0,
            inbound_receiving=0,
            reserved=0,
            unfulfillable=0,
            researching=0,
            total=7,
            synced_at=timezone.now(),
        )


def _outsider_connection(personas: Personas) -> SellerConnection:
    team = personas.outsider_team
    with team_scope(team.id):
        return SellerConnection.objects.create(
            team=team,
            selling_partner_id="AOUTSIDER0001",
            region="NA",
            name="Outsider",
            authorized_at=timezone.now(),
        )


def _has(team: Team, sku: str) -> bool:
    with team_scope(team.id):
        return StockLevel.objects.filter(sku=sku).exists()


def test_an_fbm_sku_amazon_no_longer_lists_is_deleted_and_another_teams_is_not(
    personas: Personas, connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    _stale_fbm_row(personas.team, connection, "DELISTED-FBM")
    _stale_fbm_row(personas.outsider_team, _outsider_connection(personas), "DELISTED-FBM")

    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY)
        == SyncStatus.DONE
    )

    assert not _has(personas.team, "DELISTED-FBM")
    assert _has(personas.outsider_team, "DELISTED-FBM")
    countries = {m["id"]: m["country_code"] for m in seller.info["sellers"][0]["marketplaces"]}
    fba, fbm = stock(connection, countries)
    truth = seller.truth()["inventory"]
    assert fbm == truth["fbm"]
    assert fba == truth["fba"]


def test_a_listings_report_with_a_row_set_aside_deletes_nothing(
    personas: Personas,
    connection: SellerConnection,
    seller: SimSeller,
    fast_sync: None,
    monkeypatch: pytest.MonkeyPatch,
):
    real = flatfile.report_lines

    def report_lines(client: Any, document_id: str) -> Iterator[flatfile.Line | flatfile.Rejected]:
        """The listings report with one merchant-fulfilled row whose SKU is blank."""
        lines = [line for line in real(client, document_id) if isinstance(line, flatfile.Line)]
        header = lines[0].text.split("\t")
        if "seller-sku" not in header or "fulfillment-channel" not in header:
            return iter(lines)
        mfn = next(
            line
            for line in lines[1:]
            if line.text.split("\t")[header.index("fulfillment-channel")] == "DEFAULT"
        )
        cells = mfn.text.split("\t")
        cells[header.index("seller-sku")] = ""
        return iter([*lines, flatfile.Line(len(lines) + 1, "\t".join(cells))])

    monkeypatch.setattr(reports, "report_lines", report_lines)
    _stale_fbm_row(personas.team, connection, "DELISTED-FBM")

    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY)
        == SyncStatus.PARTIAL
    )

    with team_scope(personas.team.id):
        assert QuarantinedRow.objects.filter(
            connection=connection, source=inventory_parser.LISTINGS_REPORT
        ).exists()
    assert _has(personas.team, "DELISTED-FBM")


def test_fba_stock_comes_from_the_myi_report_where_the_inventory_api_refuses_the_marketplace(
    personas: Personas, fast_sync: None, monkeypatch: pytest.MonkeyPatch
):
    seller = SimSeller.start(small_config(inventory_api_unavailable=("CA",)))
    try:
        connection = connect(personas.team, seller)
        monkeypatch.setattr(clients, "client_for", lambda _connection: seller.client())
        ca = next(
            m["id"] for m in seller.info["sellers"][0]["marketplaces"] if m["country_code"] == "CA"
        )
        with team_scope(personas.team.id):
            StockLevel.objects.create(
                team=personas.team,
                connection=connection,
                marketplace_id=ca,
                sku="GONE-FBA",
                fulfillment_channel="AFN",
                fulfillable=3,
                inbound_working=0,
                inbound_shipped=0,
                inbound_receiving=0,
                reserved=0,
                unfulfillable=0,
                researching=0,
                total=3,
                synced_at=timezone.now(),
            )
        _stale_fbm_row(personas.outsider_team, _outsider_connection(personas), "GONE-FBA")

        assert (
            sync_run(
                team_id=connection.team_id, connection_id=connection.id, family=Family.INVENTORY
            )
            == SyncStatus.DONE
        )

        truth = seller.truth()["inventory"]
        assert any("CA" in by_country for by_country in truth["fba"].values())
        assert seller.stats()["operations"]["getInventorySummaries"]["400"] >= 1
    finally:
        seller.stop()
    countries = {m["id"]: m["country_code"] for m in seller.info["sellers"][0]["marketplaces"]}
    fba, fbm = stock(connection, countries)
    assert fba == truth["fba"]
    assert fbm == truth["fbm"]
    assert not _has(personas.team, "GONE-FBA")
    assert _has(personas.outsider_team, "GONE-FBA")
