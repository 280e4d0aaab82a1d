"""The reports pipeline: polling, streaming download, gunzip, charsets, rows by header name."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from spapi.client import SpApiClient
from spapi.errors import (
    BadResponse,
    DocumentExpired,
    DocumentTruncated,
    ReportFailed,
    ReportTimeout,
)
from spapi.http import HttpClient
from spapi.reports import (
    ReportDocument,
    charset_from_content_type,
    decode,
    gunzip,
    iter_document_rows,
    iter_report_rows,
    lines,
    request_report,
    rows,
    wait_for_report,
)

from .conftest import DOCUMENTS, FakeAmazon, FakeClock, recorded

REPORTS = "/reports/2021-06-30/reports"
DOC_ID = "amzn1.spdoc.1.4.eu.doc-1"
DOC_URL = (
    "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/doc-1?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Expires=300&X-Amz-Credential=AKIAEXAMPLE%2F20240912&X-Amz-Signature=abcdef0123456789"
)
# What S3 answers once X-Amz-Expires has passed.
S3_EXPIRED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    "<Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires>"
    "<Expires>2024-09-12T20:05:55Z</Expires><RequestId>R1</RequestId></Error>"
)


def report(status: str, **extra: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={"reportId": "R1", "reportType": "T", "processingStatus": status, **extra},
        headers={"x-amzn-RateLimit-Limit": "2.0"},
    )


def document_payload(url: str = DOC_URL, compressed: bool = True) -> httpx.Response:
    body = {"reportDocumentId": DOC_ID, "url": url}
    if compressed:
        body["compressionAlgorithm"] = "GZIP"
    return httpx.Response(200, json=body)


def settlement_sum(parsed: list[dict[str, str]]) -> tuple[Decimal, Decimal]:
    total = Decimal(parsed[0]["total-amount"].strip())
    amount_columns = [
        c for c in parsed[0] if (c == "amount" or c.endswith("-amount")) and c != "total-amount"
    ]
    summed = sum(
        (Decimal(row[c].strip()) for row in parsed[1:] for c in amount_columns if row[c].strip()),
        Decimal(0),
    )
    return total, summed


@pytest.mark.parametrize(
    "name",
    [
        "settlement_flat_file_v1_23597353788018493.txt",
        "settlement_flat_file_v1_4411833474018510.txt",
        "settlement_v2_flat_file_sample_xieyi138.txt",
    ],
)
def test_a_report_end_to_end(amazon: FakeAmazon, client: SpApiClient, clock: FakeClock, name: str):
    raw = (DOCUMENTS / name).read_bytes()
    amazon.add(REPORTS, httpx.Response(202, json={"reportId": "R1"}))
    amazon.add(
        f"{REPORTS}/R1",
        report("IN_QUEUE"),
        report("IN_PROGRESS"),
        report("DONE", reportDocumentId=DOC_ID),
    )
    amazon.add(f"/reports/2021-06-30/documents/{DOC_ID}", document_payload())
    amazon.add(
        "/doc-1",
        httpx.Response(200, content=gzip.compress(raw), headers={"content-type": "text/plain"}),
    )

    done = request_report(
        client,
        "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
        marketplace_ids=["ATVPDKIKX0DER"],
        poll_interval=10,
    )
    parsed = list(iter_report_rows(client, done["reportDocumentId"]))

    assert len(parsed) == len([line for line in raw.splitlines() if line.strip()]) - 1
    total, summed = settlement_sum(parsed)
    assert summed == total
    assert clock.slept[-2:] == [10, 15]  # the poll interval grows
    download = amazon.calls("/doc-1")[0]
    assert "x-amz-access-token" not in download.headers
    assert "user-agent" not in download.headers or "AMS" not in download.headers["user-agent"]


def test_amazon_sandbox_report_documents_parse_by_header_name():
    restock = list(
        rows(lines([(DOCUMENTS / "GET_RESTOCK_INVENTORY_RECOMMENDATIONS_REPORT.tsv").read_text()]))
    )
    assert restock
    assert "Merchant SKU" in restock[0]
    assert "Recommended replenishment qty" in restock[0]

    myi = list(
        rows(lines([(DOCUMENTS / "GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA.tsv").read_text()]))
    )
    assert {"sku", "asin", "afn-fulfillable-quantity"} <= set(myi[0])


def test_a_truncated_gzip_document_raises_after_the_rows_it_had(
    amazon: FakeAmazon, client: SpApiClient
):
    body = "sku\tqty\n" + "".join(f"SKU-{i}\t{i}\n" for i in range(5000))
    compressed = gzip.compress(body.encode())
    amazon.add(f"/reports/2021-06-30/documents/{DOC_ID}", document_payload())
    amazon.add("/doc-1", httpx.Response(200, content=compressed[: len(compressed) // 2]))

    seen: list[dict[str, str]] = []
    with pytest.raises(DocumentTruncated):
        seen.extend(iter_report_rows(client, DOC_ID))

    assert 0 < len(seen) < 5000
    assert seen[0] == {"sku": "SKU-0", "qty": "0"}


def test_a_dropped_connection_is_truncation(amazon: FakeAmazon, http: HttpClient):
    def body() -> Iterator[bytes]:
        yield b"sku\tqty\nA\t1\n"
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body"
        )

    amazon.add("/doc-1", httpx.Response(200, content=body()))

    with pytest.raises(DocumentTruncated):
        list(iter_document_rows(http, ReportDocument(DOC_ID, DOC_URL)))


def test_an_expired_url_is_fetched_again(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(f"/reports/2021-06-30/documents/{DOC_ID}", document_payload())
    amazon.add(
        "/doc-1",
        httpx.Response(403, text=S3_EXPIRED, headers={"content-type": "application/xml"}),
        httpx.Response(200, content=gzip.compress(b"sku\tqty\nA\t1\n")),
    )

    assert list(iter_report_rows(client, DOC_ID)) == [{"sku": "A", "qty": "1"}]
    assert len(amazon.calls(f"/reports/2021-06-30/documents/{DOC_ID}")) == 2


def test_an_url_that_stays_expired_raises_document_expired(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(f"/reports/2021-06-30/documents/{DOC_ID}", document_payload())
    amazon.add("/doc-1", httpx.Response(403, text=S3_EXPIRED))

    with pytest.raises(DocumentExpired) as raised:
        list(iter_report_rows(client, DOC_ID))

    assert raised.value.code == "RequestExpired"
    assert "abcdef0123456789" not in str(raised.value)


def test_the_recorded_get_report_document_response(amazon: FakeAmazon, client: SpApiClient):
    amazon.add(
        "/reports/2021-06-30/documents/amzn1.spdoc.123",
        recorded("test_get_report_document--getReportDocument.1"),
    )

    document = ReportDocument.from_payload(client.get_report_document("amzn1.spdoc.123"))

    assert document.url.startswith("https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/")
    assert document.compression_algorithm is None
    # The presigned URL is a credential for five minutes: the repr masks its signature.
    assert "3ab5aaf68cbb5d30c1cee2dc81b69279be713a7267e103d5260988067d98fe56" not in repr(document)
    assert "X-Amz-Signature=***" in repr(document)


def test_rows_are_streamed_not_loaded_whole(amazon: FakeAmazon, http: HttpClient):
    consumed = []
    body_rows = "".join(f"SKU-{i}\t{i * 7919 % 100003}\n" for i in range(200_000)).encode()
    compressed = gzip.compress(b"sku\tqty\n" + body_rows)
    chunks = [compressed[i : i + 4096] for i in range(0, len(compressed), 4096)]

    def body() -> Iterator[bytes]:
        for chunk in chunks:
            consumed.append(len(chunk))
            yield chunk

    amazon.add("/doc-1", httpx.Response(200, content=body()))
    iterator = iter_document_rows(http, ReportDocument(DOC_ID, DOC_URL, "GZIP"))

    assert next(iterator) == {"sku": "SKU-0", "qty": "0"}
    # The first row arrives after one 64 KiB read, not after the whole document.
    assert len(consumed) < len(chunks) / 4
    assert sum(1 for _ in iterator) == 199_999


def test_content_encoding_gzip_is_decompressed_once(amazon: FakeAmazon, http: HttpClient):
    # enableContentEncodingUrlHeader=true: S3 labels the body instead of compressionAlgorithm.
    amazon.add(
        "/doc-1",
        httpx.Response(
            200, content=gzip.compress(b"a\tb\n1\t2\n"), headers={"content-encoding": "gzip"}
        ),
    )

    assert list(iter_document_rows(http, ReportDocument(DOC_ID, DOC_URL))) == [{"a": "1", "b": "2"}]


def test_windows_31j_documents_are_decoded_as_cp932(amazon: FakeAmazon, http: HttpClient):
    text = "sku\titem-name\nJP-1\t日本語の商品名\uff5e\n"
    amazon.add(
        "/doc-1",
        httpx.Response(
            200,
            content=text.encode("cp932"),
            headers={"content-type": "text/plain;charset=windows-31j"},
        ),
    )

    assert list(iter_document_rows(http, ReportDocument(DOC_ID, DOC_URL))) == [
        {"sku": "JP-1", "item-name": "日本語の商品名\uff5e"}
    ]


def test_cp1252_is_the_fallback_when_utf8_fails(amazon: FakeAmazon, http: HttpClient):
    text = "sku\titem-name\n" + "A\tplain\n" * 3000 + "B\tCafé \u2013 crème\n"
    amazon.add("/doc-1", httpx.Response(200, content=text.encode("cp1252")))

    parsed = list(iter_document_rows(http, ReportDocument(DOC_ID, DOC_URL)))

    assert parsed[-1] == {"sku": "B", "item-name": "Café \u2013 crème"}
    assert len(parsed) == 3001


def test_utf8_with_bom_and_crlf(amazon: FakeAmazon, http: HttpClient):
    text = "\ufeffsku \tprice\r\nA\t1.00\r\n\r\nB\t2.00"
    amazon.add(
        "/doc-1",
        httpx.Response(
            200,
            content=text.encode(),
            headers={"content-type": "text/tab-separated-values; charset=UTF-8"},
        ),
    )

    assert list(iter_document_rows(http, ReportDocument(DOC_ID, DOC_URL))) == [
        {"sku": "A", "price": "1.00"},
        {"sku": "B", "price": "2.00"},
    ]


def test_a_declared_charset_is_strict(amazon: FakeAmazon, http: HttpClient):
    amazon.add(
        "/doc-1",
        httpx.Response(
            200,
            content="a\nCafé\n".encode("cp1252"),
            headers={"content-type": "text/plain; charset=utf-8"},
        ),
    )

    with pytest.raises(BadResponse):
        list(iter_document_rows(http, ReportDocument(DOC_ID, DOC_URL)))


def test_rows_tolerate_short_rows_quotes_and_stray_carriage_returns():
    parsed = list(rows(["a\tb\tc", 'x\t"quoted\tz', "only", "p\tq\rr\ts\textra"]))

    assert parsed == [
        {"a": "x", "b": '"quoted', "c": "z"},
        {"a": "only", "b": "", "c": ""},
        {"a": "p", "b": "q\rr", "c": "s"},
    ]


def test_lines_do_not_split_on_unicode_separators():
    assert list(lines(["a\u2028b\tc\n", "d\x1ce\n"])) == ["a\u2028b\tc", "d\x1ce"]


def test_lines_join_chunks_split_mid_line():
    assert list(lines(["ab", "c\nde", "f\n", "g"])) == ["abc", "def", "g"]


def test_decode_handles_a_character_split_across_chunks():
    data = "é日".encode()
    assert "".join(decode([data[:1], data[1:4], data[4:]])) == "é日"


def test_gunzip_accepts_several_members_and_rejects_garbage():
    assert b"".join(gunzip([gzip.compress(b"one\n") + gzip.compress(b"two\n")])) == b"one\ntwo\n"
    with pytest.raises(BadResponse):
        list(gunzip([b"this is not gzip"]))
    with pytest.raises(DocumentTruncated):
        list(gunzip([]))


def test_charset_names_amazon_uses():
    assert charset_from_content_type("text/plain;charset=windows-31j") == "cp932"
    assert charset_from_content_type("text/plain; charset=Cp1252") == "cp1252"
    assert charset_from_content_type('text/plain; charset="UTF-8"') == "utf-8"
    assert charset_from_content_type("text/plain; charset=x-unknown") is None
    assert charset_from_content_type(None) is None


@pytest.mark.parametrize("status", ["FATAL", "CANCELLED"])
def test_a_failed_report_is_report_failed(amazon: FakeAmazon, client: SpApiClient, status: str):
    amazon.add(
        f"{REPORTS}/R1", report("IN_PROGRESS"), report(status, reportDocumentId="amzn1.spdoc.err")
    )

    with pytest.raises(ReportFailed) as raised:
        wait_for_report(client, "R1")

    assert raised.value.processing_status == status
    assert raised.value.report_document_id == "amzn1.spdoc.err"


def test_a_report_that_never_finishes_times_out(
    amazon: FakeAmazon, client: SpApiClient, clock: FakeClock
):
    amazon.add(f"{REPORTS}/R1", report("IN_PROGRESS"))

    with pytest.raises(ReportTimeout):
        wait_for_report(client, "R1", timeout=600, clock=clock)

    assert max(s for s in clock.slept) <= 120
