"""Reports: lifecycle, documents by header name, settlements on Amazon's schedule, URL expiry."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import itertools
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from spapi_sim import start_server
from spapi_sim.reports import columns as C
from spapi_sim.tests.conftest import US, Api, amazon_data, load_json, small_config


def _create(api: Api, report_type: str, **extra: Any) -> str:
    response = api.post(
        "/reports/2021-06-30/reports", {"reportType": report_type, "marketplaceIds": [US], **extra}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["reportId"])


def _wait(api: Api, report_id: str) -> dict[str, Any]:
    for _ in range(10):
        report = api.ok(f"/reports/2021-06-30/reports/{report_id}")
        if report["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
            return dict(report)
    raise AssertionError("report never finished")


def _download(api: Api, document_id: str, **params: str) -> httpx.Response:
    document = api.ok(f"/reports/2021-06-30/documents/{document_id}", **params)
    assert document["compressionAlgorithm"] == "GZIP"
    # The presigned URL needs no SP-API token, as S3's does not.
    return httpx.get(document["url"])


def _rows(api: Api, report_type: str, **extra: Any) -> tuple[list[str], list[dict[str, str]]]:
    report = _wait(api, _create(api, report_type, **extra))
    assert report["processingStatus"] == "DONE"
    text = gzip.decompress(_download(api, report["reportDocumentId"]).content).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    return list(reader.fieldnames or []), list(reader)


README_COLUMNS = {
    C.ORDERS_BY_LAST_UPDATE: [
        "amazon-order-id",
        "purchase-date",
        "last-updated-date",
        "order-status",
        "sku",
        "quantity",
        "currency",
        "item-price",
    ],
    C.ORDERS_BY_ORDER_DATE: [
        "amazon-order-id",
        "purchase-date",
        "order-status",
        "sku",
        "quantity",
        "item-price",
        "cpf",
    ],
    C.MERCHANT_LISTINGS: [
        "item-name",
        "seller-sku",
        "price",
        "quantity",
        "asin1",
        "fulfillment-channel",
        "status",
    ],
    C.FBA_MYI: [
        "sku",
        "fnsku",
        "asin",
        "afn-fulfillable-quantity",
        "afn-reserved-quantity",
        "afn-total-quantity",
    ],
    C.FBA_PLANNING: ["snapshot-date", "sku", "available", "units-shipped-t30", "inbound-quantity"],
    C.RESTOCK: ["Merchant SKU", "Available", "Inbound", "Recommended replenishment qty"],
    C.LEDGER_DETAIL: ["Date", "MSKU", "EventType", "Quantity", "Disposition", "Country"],
    C.CUSTOMER_RETURNS: [
        "return-date",
        "order-id",
        "sku",
        "fnsku",
        "quantity",
        "detailed-disposition",
    ],
    C.REIMBURSEMENTS: [
        "approval-date",
        "reimbursement-id",
        "sku",
        "amount-total",
        "quantity-reimbursed-total",
    ],
}


@pytest.mark.parametrize("report_type", sorted(README_COLUMNS))
def test_documents_parse_by_header_with_the_documented_columns(api: Api, report_type: str):
    options = {"dataStartTime": "2026-03-20T00:00:00Z"}
    header, rows = _rows(api, report_type, **options)
    assert header == list(C.COLUMNS[report_type])
    assert rows, f"{report_type} has no rows"
    for column in README_COLUMNS[report_type]:
        assert column in header
    assert all(len(row) == len(header) and None not in row for row in rows)


def test_the_columns_are_the_readme_lists():
    # Amazon's documented columns and Amazon's local sandbox agree with ours.
    sandbox = load_json(amazon_data() / "models" / "report_headers_from_amzn_local_ai_sandbox.json")
    assert sandbox[C.FBA_MYI] == list(C.COLUMNS[C.FBA_MYI])
    assert sandbox[C.LEDGER_DETAIL] == list(C.COLUMNS[C.LEDGER_DETAIL])
    assert set(sandbox[C.FBA_PLANNING]) <= set(C.COLUMNS[C.FBA_PLANNING])
    documented = load_json(amazon_data() / "documented_columns.json")
    assert documented[C.SETTLEMENT_V2] == list(C.COLUMNS[C.SETTLEMENT_V2])
    assert documented[C.MERCHANT_LISTINGS] == list(C.COLUMNS[C.MERCHANT_LISTINGS])
    assert documented[C.CUSTOMER_RETURNS] == list(C.COLUMNS[C.CUSTOMER_RETURNS])
    assert documented[C.REIMBURSEMENTS] == list(C.COLUMNS[C.REIMBURSEMENTS])


def test_order_report_rows_match_the_orders_api(api: Api):
    _header, rows = _rows(
        api,
        C.ORDERS_BY_ORDER_DATE,
        dataStartTime="2026-05-25T00:00:00Z",
        dataEndTime="2026-05-27T00:00:00Z",
    )
    report_orders = {r["amazon-order-id"] for r in rows}
    api_orders = set()
    api_cities: dict[str, str] = {}
    body = api.ok(
        "/orders/v0/orders",
        MarketplaceIds=US,
        CreatedAfter="2026-05-25T00:00:00Z",
        CreatedBefore="2026-05-27T00:00:00Z",
    )
    while True:
        api_orders |= {o["AmazonOrderId"] for o in body["payload"]["Orders"]}
        api_cities |= {
            o["AmazonOrderId"]: o["ShippingAddress"]["City"]
            for o in body["payload"]["Orders"]
            if "ShippingAddress" in o
        }
        token = body["payload"].get("NextToken")
        if not token:
            break
        body = api.ok("/orders/v0/orders", MarketplaceIds=US, NextToken=token)
    assert report_orders == api_orders
    # The buyer's city-level address, as Amazon gives it, the same in the report and the API.
    assert all(r["ship-city"] and r["ship-postal-code"] for r in rows)
    assert api_cities
    assert all(
        r["ship-city"] == api_cities[r["amazon-order-id"]]
        for r in rows
        if r["amazon-order-id"] in api_cities
    )


def test_a_report_without_data_ends_cancelled(api: Api):
    report_id = _create(
        api,
        C.REIMBURSEMENTS,
        dataStartTime="2026-05-31T23:00:00Z",
        dataEndTime="2026-05-31T23:30:00Z",
    )
    report = _wait(api, report_id)
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report


def test_create_report_refuses_settlements_and_unknown_types(api: Api):
    for report_type in (C.SETTLEMENT_V2, "GET_NO_SUCH_REPORT"):
        response = api.post(
            "/reports/2021-06-30/reports", {"reportType": report_type, "marketplaceIds": [US]}
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_get_reports_pages_and_refuses_filters_with_a_token(api: Api):
    for _ in range(3):
        _create(api, C.MERCHANT_LISTINGS)
    first = api.ok("/reports/2021-06-30/reports", reportTypes=C.MERCHANT_LISTINGS, pageSize=2)
    assert len(first["reports"]) == 2
    assert first["nextToken"]
    second = api.ok("/reports/2021-06-30/reports", nextToken=first["nextToken"])
    assert {r["reportId"] for r in first["reports"]}.isdisjoint(
        r["reportId"] for r in second["reports"]
    )
    bad = api.get(
        "/reports/2021-06-30/reports", nextToken=first["nextToken"], reportTypes=C.MERCHANT_LISTINGS
    )
    assert bad.status_code == 400


def _settlements(api: Api) -> list[dict[str, Any]]:
    body = api.ok("/reports/2021-06-30/reports", reportTypes=C.SETTLEMENT_V2, pageSize=100)
    return list(body["reports"])


def test_settlements_come_every_14_days_and_are_listed_for_90_days(api: Api):
    reports = _settlements(api)
    assert reports
    assert all(r["processingStatus"] == "DONE" for r in reports)
    by_marketplace: dict[str, list[str]] = {}
    for r in reports:
        by_marketplace.setdefault(r["marketplaceIds"][0], []).append(r["dataStartTime"])
    import datetime as dt

    for starts in by_marketplace.values():
        days = sorted(dt.datetime.fromisoformat(s) for s in starts)
        assert {(b - a).days for a, b in itertools.pairwise(days)} <= {14}
    # 75 days of history: at least four closed periods per marketplace are older than today.
    assert max(len(v) for v in by_marketplace.values()) >= 4


def test_every_settlement_file_sums_to_its_total_and_matches_the_truth(api: Api):
    truth = {s["settlement_id"]: s for s in api.truth(families="settlements")["settlements"]}
    for report in _settlements(api):
        text = gzip.decompress(_download(api, report["reportDocumentId"]).content).decode()
        rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
        summary, lines = rows[0], rows[1:]
        total = Decimal(summary["total-amount"])
        assert sum((Decimal(r["amount"].strip()) for r in lines), Decimal("0")) == total
        assert all(len(r["amount"].strip().partition(".")[2]) <= 2 for r in lines)
        expected = truth[summary["settlement-id"]]
        assert (expected["total"], expected["lines"], expected["currency"]) == (
            summary["total-amount"],
            len(lines),
            summary["currency"],
        )
        assert {r["transaction-type"] for r in lines} >= {"Order"}


def test_settlement_totals_agree_with_finances_v0_and_transactions(api: Api):
    truth = api.truth(families="settlements")["settlements"]
    closed = [s for s in truth if s["processing_status"] == "Closed" and s["marketplace_id"] == US][
        -1
    ]
    group_id = closed["financial_event_group_id"]
    events_total = Decimal("0")
    token = None
    while True:
        params: dict[str, Any] = {"NextToken": token} if token else {"MaxResultsPerPage": 100}
        body = api.ok(f"/finances/v0/financialEventGroups/{group_id}/financialEvents", **params)
        events_total += _sum_amounts(body["payload"]["FinancialEvents"])
        token = body["payload"].get("NextToken")
        if not token:
            break
    assert events_total == Decimal(closed["total"])
    transactions_total = Decimal("0")
    params = {
        "postedAfter": closed["start"],
        "postedBefore": closed["end"],
        "relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID",
        "relatedIdentifierValue": group_id,
    }
    while True:
        body = api.ok("/finances/2024-06-19/transactions", **params)
        transactions_total += sum(
            (
                Decimal(str(t["totalAmount"]["currencyAmount"]))
                for t in body["payload"]["transactions"]
            ),
            Decimal("0"),
        )
        if not body["payload"].get("nextToken"):
            break
        params = {"nextToken": body["payload"]["nextToken"]}
    assert transactions_total == Decimal(closed["total"])
    groups = api.ok("/finances/v0/financialEventGroups")["payload"]["FinancialEventGroupList"]
    group = next(g for g in groups if g["FinancialEventGroupId"] == group_id)
    assert Decimal(str(group["OriginalTotal"]["CurrencyAmount"])) == Decimal(closed["total"])


def _sum_amounts(node: Any) -> Decimal:
    """Every CurrencyAmount in a FinancialEvents payload, except derived per-unit/adjustment totals."""
    total = Decimal("0")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("PerUnitAmount", "AdjustmentAmount"):
                continue
            if key == "CurrencyAmount":
                total += Decimal(str(value))
            else:
                total += _sum_amounts(value)
    elif isinstance(node, list):
        for value in node:
            total += _sum_amounts(value)
    return total


def test_the_v2_sample_parses_like_ours():
    sample = (
        amazon_data()
        / "samples"
        / "synthetic-by-others"
        / "settlement_v2_flat_file_sample_xieyi138.txt"
    ).read_text()
    header = sample.splitlines()[0].split("\t")
    assert header == list(C.COLUMNS[C.SETTLEMENT_V2])


def test_document_urls_expire_after_five_minutes(fresh: Api):
    report = _wait(fresh, _create(fresh, C.MERCHANT_LISTINGS))
    document = fresh.ok(f"/reports/2021-06-30/documents/{report['reportDocumentId']}")
    assert "X-Amz-Expires=300" in document["url"]
    assert httpx.get(document["url"]).status_code == 200
    fresh.control("/_sim/clock", {"advance_seconds": 301})
    expired = httpx.get(document["url"])
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code>" in expired.content
    tampered = httpx.get(document["url"].replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert tampered.status_code == 403


def test_content_encoding_header_on_request(api: Api):
    report = _wait(api, _create(api, C.MERCHANT_LISTINGS))
    plain = _download(api, report["reportDocumentId"])
    assert "content-encoding" not in plain.headers
    encoded = _download(api, report["reportDocumentId"], enableContentEncodingUrlHeader="true")
    assert encoded.headers["content-encoding"] == "gzip"
    # httpx undoes Content-Encoding itself: the body arrives as plain text.
    assert encoded.content.startswith(b"item-name\t")


def test_report_status_also_advances_with_the_clock(fresh: Api):
    report_id = _create(fresh, C.MERCHANT_LISTINGS)
    fresh.control("/_sim/clock", {"advance_seconds": 120})
    assert fresh.ok(f"/reports/2021-06-30/reports/{report_id}")["processingStatus"] == "DONE"


def test_cancel_report_only_while_queued(fresh: Api):
    report_id = _create(fresh, C.MERCHANT_LISTINGS)
    assert (
        fresh.http.delete(
            f"/reports/2021-06-30/reports/{report_id}", headers=fresh.headers
        ).status_code
        == 200
    )
    assert fresh.ok(f"/reports/2021-06-30/reports/{report_id}")["processingStatus"] == "CANCELLED"


def test_amazon_sample_document_shapes():
    sample = load_json(
        amazon_data() / "samples" / "amzn-samples-code-recipes" / "reports-getReportDocument.json"
    )
    assert set(sample) == {"reportDocumentId", "url", "compressionAlgorithm"}
    json.dumps(sample)


# -- processing in time ---------------------------------------------------------------------


@pytest.fixture
def timed() -> Iterator[Api]:
    """A simulator that builds reports in time only, as Amazon does (the clock is frozen, so
    only an advance moves it)."""
    config = small_config(
        sellers=1,
        skus_per_seller=20,
        history_days=40,
        report_polls=0,
        report_seconds=20,
        report_seconds_per_1000_rows=100,
    )
    with start_server(config) as running:
        client = Api(running)
        yield client
        client.http.close()


def _status(api: Api, report_id: str) -> str:
    return str(api.ok(f"/reports/2021-06-30/reports/{report_id}")["processingStatus"])


def _seconds_to_build(report: dict[str, Any]) -> float:
    created = dt.datetime.fromisoformat(report["createdTime"])
    return (dt.datetime.fromisoformat(report["processingEndTime"]) - created).total_seconds()


def test_a_report_is_built_in_time_not_by_polls(timed: Api):
    report_id = _create(timed, C.MERCHANT_LISTINGS)
    assert {_status(timed, report_id) for _ in range(10)} == {"IN_QUEUE"}
    timed.control("/_sim/clock", {"advance_seconds": 10})
    assert _status(timed, report_id) == "IN_PROGRESS"
    timed.control("/_sim/clock", {"advance_seconds": 30})
    report = timed.ok(f"/reports/2021-06-30/reports/{report_id}")
    assert report["processingStatus"] == "DONE"
    # The 20-second base; 20 rows at 100 s per 1,000 add 2 seconds.
    assert _seconds_to_build(report) == 22
    assert _download(timed, report["reportDocumentId"]).status_code == 200


def test_a_report_is_not_done_before_its_time_and_bigger_reports_take_longer(timed: Api):
    day = _create(
        timed,
        C.ORDERS_BY_LAST_UPDATE,
        dataStartTime="2026-05-31T00:00:00Z",
        dataEndTime="2026-06-01T00:00:00Z",
    )
    month = _create(
        timed,
        C.ORDERS_BY_LAST_UPDATE,
        dataStartTime="2026-04-25T00:00:00Z",
        dataEndTime="2026-06-01T00:00:00Z",
    )
    waited = 0
    while _status(timed, day) != "DONE":
        assert waited < 600, "the one-day report never finished"
        timed.control("/_sim/clock", {"advance_seconds": 1})
        waited += 1
    assert waited >= 20
    assert _status(timed, month) == "IN_PROGRESS"
    timed.control("/_sim/clock", {"advance_seconds": 3000})
    assert _status(timed, month) == "DONE"
    built = {
        name: _seconds_to_build(timed.ok(f"/reports/2021-06-30/reports/{rid}"))
        for name, rid in (("day", day), ("month", month))
    }
    assert built["month"] > built["day"] >= 20


def test_a_fault_ends_a_timed_report_fatal_after_its_base_time(timed: Api):
    timed.control("/_sim/faults", {"next": [{"operation": "createReport", "kind": "report_fatal"}]})
    report_id = _create(timed, C.MERCHANT_LISTINGS)
    assert _status(timed, report_id) == "IN_QUEUE"
    timed.control("/_sim/clock", {"advance_seconds": 20})
    assert _status(timed, report_id) == "FATAL"


def test_the_planted_claims_are_what_the_reports_show(api: Api):
    """Each planted case is visible in the reports a seller has, and nothing there settles it."""
    truth = api.truth(families="claims")
    cases = [c for c in truth["claims"] if c["marketplace_id"] == US]
    assert "warehouse_lost" in {c["kind"] for c in cases}
    start = "2026-01-01T00:00:00Z"
    _h, ledger = _rows(api, C.LEDGER_DETAIL, dataStartTime=start)
    _h, returns = _rows(api, C.CUSTOMER_RETURNS, dataStartTime=start)
    _h, paid = _rows(api, C.REIMBURSEMENTS, dataStartTime=start)
    for case in cases:
        if case["kind"] in ("warehouse_lost", "warehouse_damaged"):
            reason = "M" if case["kind"] == "warehouse_lost" else "E"
            (row,) = [
                r
                for r in ledger
                if r["ReferenceID"] == case["reference_id"] and int(r["Quantity"]) < 0
            ]
            assert (row["FNSKU"], row["Reason"], int(row["Quantity"])) == (
                case["fnsku"],
                reason,
                -case["quantity"],
            )
            later = [
                r
                for r in paid
                if r["fnsku"] == case["fnsku"]
                and r["reason"] in ("Lost_Warehouse", "Damaged_Warehouse")
                and r["approval-date"] > row["Date"].replace("Z", "+00:00")
            ]
            assert later == [], case
        elif case["kind"] == "return_not_received":
            assert not [
                r for r in returns if (r["order-id"], r["sku"]) == (case["order_id"], case["sku"])
            ]
            assert not [r for r in paid if r["amazon-order-id"] == case["order_id"]]
    # The look-alikes are there too: incidents Amazon settled, and reimbursed unreturned refunds.
    reasons = {r["reason"] for r in paid}
    assert {"Lost_Warehouse", "Lost_Inbound"} <= reasons
    assert any(r["Reason"] == "F" for r in ledger)
