"""The client against the simulator over real HTTP: grants, refresh, usage plans, faults,
pagination and reports end to end.

The simulator is a local Amazon (``spapi_sim``); each test talks to it exactly as production
talks to Amazon, and reads its ``/_sim`` control surface to inject faults and count requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from spapi.client import SpApiClient, fees_estimate_request
from spapi.errors import (
    AuthorizationRevoked,
    DocumentTruncated,
    InvalidClient,
    InvalidGrant,
    ReportFailed,
    RequestTimeout,
    ServerError,
)
from spapi.http import HttpClient, RetryPolicy
from spapi.lwa import SCOPE_NOTIFICATIONS, LwaClient
from spapi.ratelimit import Limiter, MemoryLimiter
from spapi.regions import consent_url
from spapi.reports import iter_report_rows, request_report
from spapi.tokens import MemoryTokenCache

from .conftest import FakeClock

sim_module = pytest.importorskip("spapi_sim", reason="the simulator package is not importable")
if not hasattr(sim_module, "start_server"):
    pytest.skip("spapi_sim does not export start_server yet", allow_module_level=True)

FAST_RETRY = RetryPolicy(max_attempts=6, base_delay=0.05, max_delay=1.0)


class Sim:
    """A running simulator plus what a test needs to drive it."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.base_url: str = server.base_url
        self.info: dict[str, Any] = server.info()
        self.control = httpx.Client(base_url=self.base_url, timeout=10)
        seller = self.info["sellers"][0]
        self.seller_id: str = seller["selling_partner_id"]
        self.marketplace_ids: list[str] = [m["id"] for m in seller["marketplaces"]]
        # One limiter for every client of this simulator, as production shares one per machine
        # (or fleet): the simulator's buckets outlive any single client.
        self.limiter = MemoryLimiter()

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/auth/o2/token"

    def lwa(self, http: HttpClient | None = None, *, secret: str | None = None) -> LwaClient:
        return LwaClient(
            self.token_url,
            self.info["client_id"],
            secret or self.info["client_secret"],
            http=http,
            retry=RetryPolicy(max_attempts=3, base_delay=0.05),
        )

    def authorize(self, redirect_uri: str | None = None) -> tuple[str, str]:
        body = {"selling_partner_id": self.seller_id, "application_id": self.info["application_id"]}
        if redirect_uri:
            body["redirect_uri"] = redirect_uri
        response = self.control.post("/_sim/authorize", json=body)
        response.raise_for_status()
        data = response.json()
        return data["code"], data["redirect_uri"]

    def refresh_token(self) -> str:
        code, redirect_uri = self.authorize()
        token = self.lwa().exchange_code(code, redirect_uri)
        assert token.refresh_token is not None
        return token.refresh_token

    def client(
        self,
        refresh_token_provider: Callable[[], str],
        *,
        limiter: Limiter | None = None,
        timeout: float | None = None,
        clock: Callable[[], float] = time.time,
        retry: RetryPolicy = FAST_RETRY,
    ) -> SpApiClient:
        http = HttpClient()
        return SpApiClient(
            self.base_url,
            self.lwa(http),
            self.seller_id,
            refresh_token_provider,
            limiter=limiter if limiter is not None else self.limiter,
            token_cache=MemoryTokenCache(),
            http=http,
            timeout=timeout,
            retry=retry,
            clock=clock,
        )

    def faults(self, **config: Any) -> None:
        self.control.post("/_sim/faults", json=config).raise_for_status()

    def clear_faults(self) -> None:
        self.faults(clear=True)

    def stats(self, operation: str) -> dict[str, int]:
        ops: dict[str, dict[str, int]] = self.control.get("/_sim/stats").json()["operations"]
        return ops.get(operation, {"requests": 0, "throttled": 0})

    def reset_stats(self) -> None:
        self.control.post("/_sim/stats/reset").raise_for_status()


def start(**overrides: Any) -> Sim:
    config = sim_module.SimConfig(
        **{
            "seed": 42,
            "sellers": 1,
            "skus_per_seller": 50,
            "history_days": 30,
            "rate_scale": 1.0,
            **overrides,
        }
    )
    return Sim(sim_module.start_server(config, host="127.0.0.1", port=0))


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    running = start()
    yield running
    running.server.stop()


@pytest.fixture
def fresh_sim() -> Iterator[Sim]:
    """A simulator of its own, for tests that revoke, move the clock or rescale usage plans."""
    running = start()
    yield running
    running.server.stop()


@pytest.fixture(scope="module")
def refresh_token(sim: Sim) -> str:
    return sim.refresh_token()


@pytest.fixture
def client(sim: Sim, refresh_token: str) -> Iterator[SpApiClient]:
    yield sim.client(lambda: refresh_token)
    sim.clear_faults()


# --- LWA grants ---------------------------------------------------------------------------------


def test_authorization_code_grant_then_a_first_call(sim: Sim):
    code, redirect_uri = sim.authorize()
    token = sim.lwa().exchange_code(code, redirect_uri)
    assert token.refresh_token is not None
    assert token.refresh_token.startswith("Atzr|")
    assert token.expires_in == 3600

    refresh = token.refresh_token
    participations = sim.client(lambda: refresh).get_marketplace_participations()

    assert {p["marketplace"]["id"] for p in participations["payload"]} == set(sim.marketplace_ids)


def test_an_authorization_code_works_once(sim: Sim):
    code, redirect_uri = sim.authorize()
    lwa = sim.lwa()
    lwa.exchange_code(code, redirect_uri)

    with pytest.raises(InvalidGrant) as raised:
        lwa.exchange_code(code, redirect_uri)

    assert not isinstance(raised.value, AuthorizationRevoked)
    assert raised.value.code == "invalid_grant"


def test_refresh_token_grant(sim: Sim, refresh_token: str):
    token = sim.lwa().refresh(refresh_token)

    assert token.access_token.startswith("Atza|")
    assert token.access_token not in repr(token)


def test_client_credentials_grant(sim: Sim):
    token = sim.lwa().client_credentials(SCOPE_NOTIFICATIONS)

    assert token.scope == SCOPE_NOTIFICATIONS
    assert token.access_token.startswith("Atza|")


def test_a_wrong_client_secret_is_invalid_client(sim: Sim, refresh_token: str):
    with pytest.raises(InvalidClient):
        sim.lwa(secret="amzn1.oa2-cs.v1.wrong").refresh(refresh_token)


def test_the_access_token_is_refreshed_before_it_expires(sim: Sim, refresh_token: str):
    clock = FakeClock(time.time())
    minted = []

    def provider() -> str:
        minted.append(1)
        return refresh_token

    client = sim.client(provider, clock=clock)
    client.get_inventory_summaries(marketplace_id=sim.marketplace_ids[0])
    clock.now += 3600 - 61
    client.get_inventory_summaries(marketplace_id=sim.marketplace_ids[0])
    assert len(minted) == 1
    clock.now += 2  # inside the 60 s margin: refresh before Amazon would refuse it
    client.get_inventory_summaries(marketplace_id=sim.marketplace_ids[0])
    assert len(minted) == 2


def test_a_token_amazon_considers_expired_is_replaced_once(fresh_sim: Sim):
    refresh = fresh_sim.refresh_token()
    minted = []

    def provider() -> str:
        minted.append(1)
        return refresh

    client = fresh_sim.client(provider)
    client.get_inventory_summaries(marketplace_id=fresh_sim.marketplace_ids[0])
    # Amazon's clock passes the token's hour while ours (the cache) still thinks it fresh.
    fresh_sim.control.post("/_sim/clock", json={"advance_seconds": 3700}).raise_for_status()

    client.get_inventory_summaries(marketplace_id=fresh_sim.marketplace_ids[0])

    assert len(minted) == 2
    assert fresh_sim.stats("getInventorySummaries").get("403") == 1


def test_revoked_authorization_surfaces_as_its_own_error(fresh_sim: Sim):
    refresh = fresh_sim.refresh_token()
    client = fresh_sim.client(lambda: refresh)
    client.get_inventory_summaries(marketplace_id=fresh_sim.marketplace_ids[0])

    fresh_sim.control.post(
        "/_sim/revoke", json={"selling_partner_id": fresh_sim.seller_id}
    ).raise_for_status()

    # The cached access token is refused (403), the client mints a new one, LWA says
    # invalid_grant: the seller must authorize again.
    with pytest.raises(AuthorizationRevoked) as raised:
        client.get_inventory_summaries(marketplace_id=fresh_sim.marketplace_ids[0])
    assert raised.value.code == "invalid_grant"
    assert refresh not in str(raised.value)

    with pytest.raises(AuthorizationRevoked):
        fresh_sim.lwa().refresh(refresh)


def test_the_consent_url_opens_the_consent_page(sim: Sim):
    url = consent_url(
        sim.base_url,
        application_id=sim.info["application_id"],
        state="csrf-state-1",
        redirect_uri=sim.info["redirect_uris"][0],
    )

    page = sim.control.get(url.removeprefix(sim.base_url))

    assert page.status_code == 200
    assert "error-code" not in page.text


# --- usage plans, retries, timeouts -------------------------------------------------------------


def _hammer(
    clients: list[SpApiClient], calls_per_thread: int, marketplace_id: str
) -> list[BaseException]:
    errors: list[BaseException] = []

    def work(client: SpApiClient) -> None:
        for _ in range(calls_per_thread):
            try:
                client.get_inventory_summaries(marketplace_id=marketplace_id)
            except BaseException as exc:  # collected and asserted on below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_a_shared_limiter_stays_within_the_usage_plan(fresh_sim: Sim):
    # getInventorySummaries: 2 rps, burst 2; scaled by 4 on both sides to keep the test short.
    fresh_sim.control.post("/_sim/rate_scale", json={"rate_scale": 4}).raise_for_status()
    refresh = fresh_sim.refresh_token()
    limiter = MemoryLimiter(rate_scale=4)
    client = fresh_sim.client(lambda: refresh, limiter=limiter)
    fresh_sim.reset_stats()
    started = time.monotonic()

    errors = _hammer([client] * 4, 6, fresh_sim.marketplace_ids[0])

    elapsed = time.monotonic() - started
    stats = fresh_sim.stats("getInventorySummaries")
    assert errors == []
    assert stats["200"] == 24
    # Within a request of the bucket arithmetic: Amazon's bucket counts arrivals, the limiter
    # counts departures, and on a loaded machine one request can arrive early. Its retry absorbs it.
    assert stats["throttled"] <= 1
    # 24 calls at 8 rps with a burst of 8 take at least (24 - 8) / 8 = 2 s.
    assert elapsed >= 1.9


def test_a_429_storm_is_absorbed_by_backoff_and_the_bucket(fresh_sim: Sim):
    # Two "processes" that do not share a limiter, each believing it has the whole plan:
    # together they overrun Amazon's bucket and collect 429s, which they must absorb.
    fresh_sim.control.post("/_sim/rate_scale", json={"rate_scale": 4}).raise_for_status()
    refresh = fresh_sim.refresh_token()
    retry = RetryPolicy(max_attempts=10, base_delay=0.1, max_delay=1.0)
    first = fresh_sim.client(lambda: refresh, limiter=MemoryLimiter(rate_scale=4), retry=retry)
    second = fresh_sim.client(lambda: refresh, limiter=MemoryLimiter(rate_scale=4), retry=retry)
    fresh_sim.reset_stats()

    errors = _hammer([first, first, second, second], 5, fresh_sim.marketplace_ids[0])

    stats = fresh_sim.stats("getInventorySummaries")
    assert errors == []
    assert stats["throttled"] > 0
    assert stats["200"] == 20
    # Each 429 cost one retry, not a hot loop: throttled requests stay a fraction of the total.
    assert stats["throttled"] <= stats["200"]


def test_5xx_is_retried(sim: Sim, client: SpApiClient):
    sim.faults(
        next=[
            {"operation": "getInventorySummaries", "status": 503, "count": 1},
            {"operation": "getInventorySummaries", "status": 500, "count": 1},
        ]
    )
    sim.reset_stats()

    client.get_inventory_summaries(marketplace_id=sim.marketplace_ids[0])

    stats = sim.stats("getInventorySummaries")
    assert stats.get("503") == 1
    assert stats.get("500") == 1
    assert stats.get("200") == 1


def test_5xx_gives_up_after_the_retry_budget(sim: Sim, refresh_token: str):
    client = sim.client(lambda: refresh_token, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    sim.faults(next=[{"operation": "getInventorySummaries", "status": 503, "count": 2}])
    try:
        with pytest.raises(ServerError) as raised:
            client.get_inventory_summaries(marketplace_id=sim.marketplace_ids[0])
        assert raised.value.code == "ServiceUnavailable"
        assert raised.value.request_id
    finally:
        sim.clear_faults()


def test_a_timeout_is_retried_and_then_raised(sim: Sim, refresh_token: str):
    client = sim.client(
        lambda: refresh_token, timeout=0.3, retry=RetryPolicy(max_attempts=2, base_delay=0.01)
    )
    try:
        sim.faults(
            timeout_seconds=1.0,
            next=[{"operation": "getInventorySummaries", "kind": "timeout", "count": 1}],
        )
        client.get_inventory_summaries(
            marketplace_id=sim.marketplace_ids[0]
        )  # second attempt succeeds

        sim.faults(next=[{"operation": "getInventorySummaries", "kind": "timeout", "count": 2}])
        with pytest.raises(RequestTimeout):
            client.get_inventory_summaries(marketplace_id=sim.marketplace_ids[0])
    finally:
        sim.clear_faults()


# --- pagination ---------------------------------------------------------------------------------


def test_search_orders_pages_through_the_history(sim: Sim, client: SpApiClient):
    since = datetime.now(UTC) - timedelta(days=10)

    pages = list(
        client.iter_pages(
            client.search_orders,
            marketplace_ids=sim.marketplace_ids,
            created_after=since,
            max_results_per_page=20,
        )
    )

    ids = [order["orderId"] for page in pages for order in page.get("orders", [])]
    assert len(pages) > 1
    assert len(ids) == len(set(ids))
    assert all(len(page.get("orders", [])) <= 20 for page in pages)


def test_listings_and_inventory_page_through_every_sku(sim: Sim, client: SpApiClient):
    listings = list(
        client.iter_pages(
            client.search_listings_items, marketplace_ids=sim.marketplace_ids[:1], page_size=20
        )
    )
    skus = [item["sku"] for page in listings for item in page.get("items", [])]
    assert len(listings) >= 3
    assert len(skus) == len(set(skus)) == 50

    inventory = list(
        client.iter_pages(client.get_inventory_summaries, marketplace_id=sim.marketplace_ids[0])
    )
    summaries = [s for page in inventory for s in page["payload"]["inventorySummaries"]]
    assert len({s["sellerSku"] for s in summaries}) == len(summaries)


# --- reports ------------------------------------------------------------------------------------

ORDERS_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"


def _orders_report(client: SpApiClient, sim: Sim) -> dict[str, Any]:
    return request_report(
        client,
        ORDERS_REPORT,
        marketplace_ids=sim.marketplace_ids[:1],
        data_start_time=datetime.now(UTC) - timedelta(days=7),
        poll_interval=0.05,
        max_poll_interval=0.5,
        timeout=60,
        sleep=time.sleep,
    )


def test_a_report_end_to_end(sim: Sim, client: SpApiClient):
    done = _orders_report(client, sim)

    rows = list(iter_report_rows(client, done["reportDocumentId"]))

    assert rows
    assert {"amazon-order-id", "sku", "quantity", "item-price", "currency"} <= set(rows[0])
    assert all(row["amazon-order-id"] for row in rows)


def test_a_truncated_document_is_detected(sim: Sim, client: SpApiClient):
    done = _orders_report(client, sim)
    sim.faults(next=[{"kind": "truncated_document", "count": 1}])

    with pytest.raises(DocumentTruncated):
        list(iter_report_rows(client, done["reportDocumentId"]))


def test_an_expired_document_url_is_fetched_again(sim: Sim, client: SpApiClient):
    done = _orders_report(client, sim)
    sim.faults(next=[{"kind": "expired_url", "count": 1}])
    sim.reset_stats()

    rows = list(iter_report_rows(client, done["reportDocumentId"]))

    assert rows
    assert sim.stats("getReportDocument")["requests"] == 2


@pytest.mark.parametrize(
    ("fault", "status"), [("report_fatal", "FATAL"), ("report_cancelled", "CANCELLED")]
)
def test_a_failed_report_is_report_failed(sim: Sim, client: SpApiClient, fault: str, status: str):
    sim.faults(next=[{"kind": fault, "count": 1}])

    with pytest.raises(ReportFailed) as raised:
        _orders_report(client, sim)

    assert raised.value.processing_status == status


def test_settlement_reports_are_listed_and_add_up(sim: Sim, client: SpApiClient):
    listed = [
        report
        for page in client.iter_pages(
            client.get_reports,
            report_types=["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"],
            created_since=datetime.now(UTC) - timedelta(days=89),
        )
        for report in page["reports"]
    ]
    assert listed

    rows = list(iter_report_rows(client, listed[0]["reportDocumentId"]))

    total = Decimal(rows[0]["total-amount"].strip())
    assert (
        sum((Decimal(r["amount"].strip()) for r in rows[1:] if r["amount"].strip()), Decimal(0))
        == total
    )


# --- every typed method -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ids(sim: Sim, refresh_token: str) -> dict[str, str]:
    """Real identifiers from the simulated seller, for the calls that need one."""
    client = sim.client(lambda: refresh_token)
    listing = client.search_listings_items(
        marketplace_ids=sim.marketplace_ids[:1], included_data=["summaries"], page_size=1
    )["items"][0]
    orders = client.search_orders(
        marketplace_ids=sim.marketplace_ids[:1],
        created_after=datetime.now(UTC) - timedelta(days=29),
    )
    return {
        "sku": listing["sku"],
        "asin": listing["summaries"][0]["asin"],
        "order_id": orders["orders"][0]["orderId"],
        "marketplace_id": sim.marketplace_ids[0],
        "currency": sim.info["sellers"][0]["marketplaces"][0]["currency"],
    }


TYPED_CALLS: dict[str, Callable[[SpApiClient, dict[str, str]], Any]] = {
    "get_marketplace_participations": lambda c, i: c.get_marketplace_participations(),
    "get_order": lambda c, i: c.get_order(i["order_id"]),
    "get_orders": lambda c, i: c.get_orders(
        marketplace_ids=[i["marketplace_id"]], created_after=datetime.now(UTC) - timedelta(days=5)
    ),
    "get_order_items": lambda c, i: c.get_order_items(i["order_id"]),
    "get_listings_item": lambda c, i: c.get_listings_item(
        i["sku"], marketplace_ids=[i["marketplace_id"]]
    ),
    "search_catalog_items": lambda c, i: c.search_catalog_items(
        marketplace_ids=[i["marketplace_id"]], identifiers=[i["asin"]], identifiers_type="ASIN"
    ),
    "get_catalog_item": lambda c, i: c.get_catalog_item(
        i["asin"], marketplace_ids=[i["marketplace_id"]]
    ),
    "get_pricing": lambda c, i: c.get_pricing(marketplace_id=i["marketplace_id"], skus=[i["sku"]]),
    "get_competitive_pricing": lambda c, i: c.get_competitive_pricing(
        marketplace_id=i["marketplace_id"], asins=[i["asin"]]
    ),
    "get_listing_offers": lambda c, i: c.get_listing_offers(
        i["sku"], marketplace_id=i["marketplace_id"]
    ),
    "get_item_offers": lambda c, i: c.get_item_offers(
        i["asin"], marketplace_id=i["marketplace_id"]
    ),
    "get_my_fees_estimate_for_sku": lambda c, i: c.get_my_fees_estimate_for_sku(
        i["sku"],
        fees_estimate_request(
            marketplace_id=i["marketplace_id"],
            price="20.00",
            currency=i["currency"],
            identifier="t-1",
        ),
    ),
    "get_my_fees_estimates": lambda c, i: c.get_my_fees_estimates(
        [
            (
                "SellerSKU",
                i["sku"],
                fees_estimate_request(
                    marketplace_id=i["marketplace_id"],
                    price="20.00",
                    currency=i["currency"],
                    identifier="t-2",
                ),
            )
        ]
    ),
    "list_financial_event_groups": lambda c, i: c.list_financial_event_groups(
        started_after=datetime.now(UTC) - timedelta(days=29)
    ),
    "list_financial_events": lambda c, i: c.list_financial_events(
        posted_after=datetime.now(UTC) - timedelta(days=3)
    ),
    "list_financial_events_by_order_id": lambda c, i: c.list_financial_events_by_order_id(
        i["order_id"]
    ),
    "list_transactions": lambda c, i: c.list_transactions(
        posted_after=datetime.now(UTC) - timedelta(days=3)
    ),
}


@pytest.mark.parametrize("name", sorted(TYPED_CALLS))
def test_every_typed_method_is_understood_by_the_simulator(
    sim: Sim, client: SpApiClient, ids: dict[str, str], name: str
):
    body = TYPED_CALLS[name](client, ids)

    assert body is not None
    assert not (isinstance(body, dict) and body.get("errors"))
