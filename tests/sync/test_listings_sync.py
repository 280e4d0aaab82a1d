"""Listings and catalogue: every listing with its status, as the simulator holds them."""

from __future__ import annotations

from collections import Counter

import pytest

from ams.amazon.models import SellerConnection
from ams.catalog.models import Listing, Product
from ams.core.tenancy import team_scope
from ams.sync.models import Family, SyncStatus
from ams.sync.services import sync_run
from tests.sync.harness import SimSeller

pytestmark = pytest.mark.django_db(transaction=True)


def test_listings_converge_on_the_truth(
    connection: SellerConnection, seller: SimSeller, fast_sync: None
):
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.LISTINGS)
        == SyncStatus.DONE
    )
    truth = seller.truth()["listings"]
    countries = {m["id"]: m["country_code"] for m in seller.info["sellers"][0]["marketplaces"]}
    with team_scope(connection.team_id):
        listings = list(Listing.objects.filter(connection=connection))
        products = Product.objects.filter(connection=connection)
        by_marketplace: dict[str, Counter[str]] = {}
        for listing in listings:
            by_marketplace.setdefault(countries[listing.marketplace_id], Counter())[
                listing.status.upper()
            ] += 1
        assert {
            c: {k: v for k, v in counts.items() if v}
            for c, counts in truth["by_marketplace"].items()
        } == {c: dict(v) for c, v in by_marketplace.items()}
        assert len({listing.sku for listing in listings}) == truth["skus"]
        assert products.count() == len({(x.marketplace_id, x.asin) for x in listings})
        assert products.exclude(weight_g=None).exists()
        active = [x for x in listings if x.status == "active"]
        assert active
        assert all(x.buy_box_is_mine is not None for x in active)
        assert all(
            x.estimated_fees is not None and x.estimated_fees > 0
            for x in listings
            if x.price is not None
        )
        before = sorted(
            Listing.objects.filter(connection=connection).values_list("id", "synced_at")
        )

    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.LISTINGS)
        == SyncStatus.DONE
    )
    with team_scope(connection.team_id):
        assert (
            sorted(Listing.objects.filter(connection=connection).values_list("id", "synced_at"))
            == before
        )


def test_a_listing_amazon_no_longer_has_is_removed(connection: SellerConnection, fast_sync: None):
    with team_scope(connection.team_id):
        Listing.objects.create(
            team_id=connection.team_id,
            connection=connection,
            marketplace_id="ATVPDKIKX0DER",
            sku="GONE-1",
            status="active",
            fulfillment_channel="MFN",
            issues=0,
            synced_at=connection.authorized_at,
        )
    assert (
        sync_run(team_id=connection.team_id, connection_id=connection.id, family=Family.LISTINGS)
        == SyncStatus.DONE
    )
    with team_scope(connection.team_id):
        assert not Listing.objects.filter(connection=connection, sku="GONE-1").exists()
        assert Listing.objects.filter(connection=connection).exists()
