"""Faults fire when asked: 5xx, slow, timeout, truncated and expired documents, failed reports."""

from __future__ import annotations

import gzip
import time
import zlib

import httpx
import pytest

from spapi_sim import FaultConfig, start_server
from spapi_sim.tests.conftest import US, Api, small_config

PARTICIPATIONS = "/sellers/v1/marketplaceParticipations"


def test_one_shot_statuses_fire_in_order_then_stop(fresh: Api):
    fresh.control(
        "/_sim/faults",
        {
            "next": [
                {"operation": "getMarketplaceParticipations", "status": 503, "count": 2},
                {"operation": "*", "status": 500},
            ]
        },
    )
    statuses = [fresh.get(PARTICIPATIONS).status_code for _ in range(4)]
    assert statuses == [503, 503, 500, 200]
    body = fresh.http.get("/_sim/faults").json()
    assert body["fired"] == {"503": 2, "500": 1}
    assert body["next"] == []


def test_5xx_bodies_are_amazons(fresh: Api):
    fresh.control("/_sim/faults", {"next": [{"status": 503}, {"status": 500}]})
    assert fresh.get(PARTICIPATIONS).json()["errors"][0]["code"] == "ServiceUnavailable"
    assert fresh.get(PARTICIPATIONS).json()["errors"][0]["code"] == "InternalFailure"


def test_one_shot_rules_only_hit_their_operation(fresh: Api):
    fresh.control("/_sim/faults", {"next": [{"operation": "getOrders", "status": 503}]})
    assert fresh.get(PARTICIPATIONS).status_code == 200
    assert (
        fresh.get(
            "/orders/v0/orders", MarketplaceIds=US, CreatedAfter="2026-05-01T00:00:00Z"
        ).status_code
        == 503
    )


def test_random_faults_follow_the_error_rate():
    config = small_config(
        sellers=1,
        skus_per_seller=5,
        history_days=5,
        faults=FaultConfig(error_rate=0.3, kinds=["500", "503"]),
    )
    with start_server(config) as server:
        api = Api(server)
        statuses = [api.get(PARTICIPATIONS).status_code for _ in range(200)]
    failures = sum(s in (500, 503) for s in statuses)
    assert 35 <= failures <= 85
    assert set(statuses) == {200, 500, 503}


def test_slow_responses(fresh: Api):
    fresh.control("/_sim/faults", {"slow_seconds": 0.4, "next": [{"kind": "slow"}]})
    started = time.monotonic()
    assert fresh.get(PARTICIPATIONS).status_code == 200
    assert time.monotonic() - started >= 0.4


def test_timeouts_hang_then_drop_the_connection(fresh: Api):
    fresh.control("/_sim/faults", {"timeout_seconds": 1.0, "next": [{"kind": "timeout"}]})
    with pytest.raises(httpx.ReadTimeout):
        fresh.http.get(PARTICIPATIONS, headers=fresh.headers, timeout=0.3)
    fresh.control("/_sim/faults", {"next": [{"kind": "timeout"}]})
    with pytest.raises(httpx.RemoteProtocolError):
        fresh.http.get(PARTICIPATIONS, headers=fresh.headers, timeout=5)


def _document(api: Api) -> str:
    report_id = api.post(
        "/reports/2021-06-30/reports",
        {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]},
    ).json()["reportId"]
    for _ in range(3):
        report = api.ok(f"/reports/2021-06-30/reports/{report_id}")
    return str(report["reportDocumentId"])


def test_truncated_documents(fresh: Api):
    document_id = _document(fresh)
    fresh.control("/_sim/faults", {"next": [{"kind": "truncated_document"}]})
    url = fresh.ok(f"/reports/2021-06-30/documents/{document_id}")["url"]
    broken = httpx.get(url).content
    with pytest.raises((EOFError, zlib.error, OSError)):
        gzip.decompress(broken)
    assert gzip.decompress(httpx.get(url).content).startswith(b"item-name")


def test_expired_urls(fresh: Api):
    document_id = _document(fresh)
    fresh.control("/_sim/faults", {"next": [{"kind": "expired_url"}]})
    url = fresh.ok(f"/reports/2021-06-30/documents/{document_id}")["url"]
    assert httpx.get(url).status_code == 403
    assert (
        httpx.get(fresh.ok(f"/reports/2021-06-30/documents/{document_id}")["url"]).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("kind", "status"), [("report_fatal", "FATAL"), ("report_cancelled", "CANCELLED")]
)
def test_reports_that_end_fatal_or_cancelled(fresh: Api, kind: str, status: str):
    fresh.control("/_sim/faults", {"next": [{"operation": "createReport", "kind": kind}]})
    report_id = fresh.post(
        "/reports/2021-06-30/reports",
        {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]},
    ).json()["reportId"]
    for _ in range(3):
        report = fresh.ok(f"/reports/2021-06-30/reports/{report_id}")
    assert report["processingStatus"] == status
    assert "reportDocumentId" not in report


def test_bad_fault_requests_are_refused(fresh: Api):
    assert fresh.http.post("/_sim/faults", json={"kinds": ["meteor"]}).status_code == 400
    assert fresh.http.post("/_sim/faults", json={"next": [{"kind": "meteor"}]}).status_code == 400
    assert fresh.http.post("/_sim/faults", json={"error_rate": 2}).status_code == 400


def test_clear_resets_everything(fresh: Api):
    fresh.control("/_sim/faults", {"error_rate": 1, "kinds": ["503"], "next": [{"status": 500}]})
    fresh.control("/_sim/faults", {"clear": True})
    assert fresh.get(PARTICIPATIONS).status_code == 200


def test_faults_can_be_given_as_a_dict_in_the_config():
    config = small_config(
        sellers=1,
        skus_per_seller=5,
        history_days=5,
        faults={"next": [{"operation": "getMarketplaceParticipations", "status": 503, "count": 2}]},
    )
    with start_server(config) as server:
        api = Api(server)
        assert [api.get(PARTICIPATIONS).status_code for _ in range(3)] == [503, 503, 200]
