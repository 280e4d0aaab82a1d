"""The command line and the multi-region worlds it can describe."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from spapi_sim import start_server
from spapi_sim.cli import main
from spapi_sim.tests.conftest import Api, small_config

REPO = Path(__file__).resolve().parents[2]


def test_info_prints_the_app_and_the_sellers_as_json():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "spapi_sim",
            "info",
            "--seed",
            "42",
            "--sellers",
            "3",
            "--marketplaces",
            "US,CA,MX,UK,DE",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=60,
    )
    info = json.loads(result.stdout)
    assert info["application_id"].startswith("amzn1.sellerapps.app.")
    assert info["client_id"].startswith("amzn1.application-oa2-client.")
    assert info["client_secret"].startswith("amzn1.oa2-cs.v1.")
    assert [s["region"] for s in info["sellers"]] == ["NA", "EU", "NA"]
    assert [m["country_code"] for m in info["sellers"][1]["marketplaces"]] == ["UK", "DE"]
    assert all(
        s["selling_partner_id"].startswith("A") and len(s["selling_partner_id"]) == 14
        for s in info["sellers"]
    )


def test_info_depends_only_on_the_seed(capsys):
    main(["info", "--seed", "7", "--skus", "10"])
    first = json.loads(capsys.readouterr().out)
    main(["info", "--seed", "7", "--skus", "20", "--history-days", "9"])
    assert json.loads(capsys.readouterr().out) == first


def test_a_value_the_world_refuses_is_a_usage_error_not_a_traceback(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["info", "--demand-scale", "0"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "demand_scale must be positive" in error
    assert "Traceback" not in error


def test_an_eu_seller_sells_in_gbp_and_eur_and_settles_to_the_cent():
    config = small_config(
        sellers=2, skus_per_seller=30, history_days=40, marketplaces=("US", "UK", "DE")
    )
    with start_server(config) as server:
        api = Api(server, seller_index=1)
        assert api.seller["region"] == "EU"
        truth = api.truth()
        assert set(truth["orders"]["revenue"]) == {"GBP", "EUR"}
        orders = api.ok(
            "/orders/v0/orders",
            MarketplaceIds="A1F83G8C2ARO7P",
            CreatedAfter="2026-05-01T00:00:00Z",
        )["payload"]["Orders"]
        assert orders[0]["AmazonOrderId"][:3] in {"202", "203", "204", "205", "206"}
        for settlement in truth["settlements"]:
            assert Decimal(settlement["total"]) == Decimal(settlement["total"]).quantize(
                Decimal("0.01")
            )


def test_regions_stand_for_their_marketplaces():
    from spapi_sim import SimConfig

    assert SimConfig(marketplaces=("NA", "EU")).marketplaces == (
        "US",
        "CA",
        "MX",
        "UK",
        "DE",
        "FR",
        "IT",
        "ES",
    )
    assert SimConfig(marketplaces=("us", "NA")).marketplaces == ("US", "CA", "MX")
