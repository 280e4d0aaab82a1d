"""The SP-API client: one seller, one region, typed methods for the operations AMS uses.

Each call: wait for the (seller, operation) rate limiter → take a cached access token (or
mint one from the seller's refresh token) → send → learn the rate from
``x-amzn-RateLimit-Limit`` → return the JSON body as plain dicts, or raise a typed error.
429, 5xx and transport failures are retried with backoff; a 403 on a cached token is retried
once with a fresh token.  Responses are not validated against the models: Amazon's own data
breaks "required" fields often enough that strict parsing would lose real records.
"""

from __future__ import annotations

import platform
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from spapi import paging
from spapi.errors import (
    BadResponse,
    ClientError,
    InvalidInput,
    NotFound,
    ServerError,
    SpApiError,
    Throttled,
    Unauthorized,
)
from spapi.http import HttpClient, HttpResponse, RetryPolicy, Timeout, call_with_retries
from spapi.lwa import LwaClient
from spapi.operations import get_operation
from spapi.ratelimit import Limiter, MemoryLimiter
from spapi.redact import get_logger, register_secret
from spapi.tokens import (
    AccessToken,
    MemoryTokenCache,
    TokenCache,
    cached_token,
    invalidate_if_current,
)

logger = get_logger(__name__)

JsonDict = dict[str, Any]
ParamValue = str | int | float | bool | Decimal | datetime | date | Sequence[str] | None

INBOUND = "fulfillmentInbound_2024-03-20"
DEFAULT_RETRY = RetryPolicy()

DEFAULT_USER_AGENT = (
    f"AMS-spapi/0.1 (Language=Python/{sys.version_info.major}.{sys.version_info.minor}; "
    f"Platform={platform.system()})"
)


def format_param(value: ParamValue) -> str:
    """Render a query value the way SP-API expects it.

    Lists become comma-separated (every array parameter AMS uses is ``collectionFormat: csv``);
    datetimes become ISO 8601 in UTC with ``Z``; naive datetimes are refused because Amazon
    would read them as UTC and a local time would silently shift the window.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass an aware datetime (UTC)")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, Sequence):
        return ",".join(str(v) for v in value)
    raise TypeError(f"unsupported query value {type(value).__name__}")


def encode_params(params: Mapping[str, ParamValue] | None) -> dict[str, str]:
    """Drop ``None`` values and format the rest."""
    return {k: format_param(v) for k, v in (params or {}).items() if v is not None}


def money(amount: Decimal | str | float, currency: str) -> JsonDict:
    """A ``MoneyType`` body value.  The models type ``Amount`` as a JSON number."""
    return {"CurrencyCode": currency, "Amount": float(Decimal(str(amount)))}


def fees_estimate_request(
    *,
    marketplace_id: str,
    price: Decimal | str | float,
    currency: str,
    identifier: str,
    is_amazon_fulfilled: bool = True,
    shipping: Decimal | str | float | None = None,
) -> JsonDict:
    """The ``FeesEstimateRequest`` object shared by the three fee-estimate operations."""
    price_to_estimate: JsonDict = {"ListingPrice": money(price, currency)}
    if shipping is not None:
        price_to_estimate["Shipping"] = money(shipping, currency)
    return {
        "MarketplaceId": marketplace_id,
        "IsAmazonFulfilled": is_amazon_fulfilled,
        "PriceToEstimateFees": price_to_estimate,
        "Identifier": identifier,
    }


def error_from_response(operation: str, response: HttpResponse) -> SpApiError:
    """Classify a non-2xx SP-API response.

    The body is ``{"errors": [{"code", "message", "details"}]}``; when it is not (an HTML page
    from a proxy, an empty 503) the status alone decides and the message says what came back.
    """
    code: str | None = None
    message = ""
    details: str | None = None
    try:
        payload = response.json()
    except BadResponse:
        payload = None
    errors = payload.get("errors") if isinstance(payload, Mapping) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        first = errors[0]
        code = str(first.get("code")) if first.get("code") is not None else None
        message = str(first.get("message") or "")
        details = str(first.get("details") or "") or None
    if not message:
        message = response.text()[:200] or "no body"

    status = response.status
    error_class: type[SpApiError]
    if status == 429:
        error_class = Throttled
    elif status >= 500:
        error_class = ServerError
    elif status in (400, 422):
        error_class = InvalidInput
    elif status in (401, 403):
        error_class = Unauthorized
    elif status == 404:
        error_class = NotFound
    elif 400 <= status < 500:
        error_class = ClientError
    else:
        error_class = BadResponse
    return error_class(
        message,
        status=status,
        code=code,
        request_id=response.request_id,
        operation=operation,
        details=details,
    )


class SpApiClient:
    """SP-API for one selling partner.

    ``refresh_token_provider`` is called whenever a new access token is needed, so the refresh
    token is read from its vault just in time and never kept on this object.  Leave it ``None``
    and pass ``grantless_scope`` for grantless operations.  ``limiter`` and ``token_cache``
    default to in-process implementations; production passes shared ones.  ``sleep``,
    ``rng`` and ``clock`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        base_url: str,
        lwa: LwaClient,
        seller_id: str,
        refresh_token_provider: Callable[[], str] | None,
        limiter: Limiter | None = None,
        token_cache: TokenCache | None = None,
        http: HttpClient | None = None,
        timeout: Timeout | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        *,
        grantless_scope: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if refresh_token_provider is None and grantless_scope is None:
            raise ValueError("pass refresh_token_provider, or grantless_scope for grantless calls")
        self.base_url = base_url.rstrip("/")
        self.lwa = lwa
        self.seller_id = seller_id
        self._refresh_token_provider = refresh_token_provider
        self._grantless_scope = grantless_scope
        self.limiter: Limiter = limiter if limiter is not None else MemoryLimiter()
        self.token_cache: TokenCache = (
            token_cache if token_cache is not None else MemoryTokenCache()
        )
        self.http = http or HttpClient()
        self.timeout = timeout
        self.user_agent = user_agent
        self.retry = retry
        self.sleep = sleep
        self.rng = rng
        self.clock = clock

    def __repr__(self) -> str:
        return f"SpApiClient(base_url={self.base_url!r}, seller_id={self.seller_id!r})"

    __str__ = __repr__

    # --- plumbing -----------------------------------------------------------------------------

    @property
    def token_key(self) -> str:
        """The token-cache key: the seller, or the scope for grantless tokens."""
        if self._refresh_token_provider is None:
            return f"grantless:{self._grantless_scope}"
        return self.seller_id

    def _mint_token(self) -> AccessToken:
        if self._refresh_token_provider is None:
            assert self._grantless_scope is not None
            response = self.lwa.client_credentials(self._grantless_scope)
        else:
            refresh_token = self._refresh_token_provider()
            register_secret(refresh_token)
            response = self.lwa.refresh(refresh_token)
        return response.access(self.clock())

    def access_token(self) -> tuple[AccessToken, bool]:
        """A fresh access token and whether this call minted it."""
        return cached_token(self.token_cache, self.token_key, self._mint_token, clock=self.clock)

    def _observe_rate(self, operation: str, response: HttpResponse) -> None:
        raw = response.headers.get("x-amzn-ratelimit-limit")
        if not raw:
            return
        try:
            rate = float(raw)
        except ValueError:
            logger.warning("ignoring unparseable x-amzn-RateLimit-Limit %r", raw[:32])
            return
        if rate > 0:
            self.limiter.update_rate(self.seller_id, operation, rate)

    def call(
        self,
        operation: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, ParamValue] | None = None,
        body: Any = None,
    ) -> Any:
        """Call any operation by name (``"<api>.<operationId>"``) and return the JSON body."""
        op = get_operation(operation)
        url = self.base_url + op.render_path(dict(path_params or {}))
        query = encode_params(params)
        token_retried = False

        def attempt(_: int) -> Any:
            nonlocal token_retried
            while True:
                self.limiter.acquire(self.seller_id, operation)
                token, minted = self.access_token()
                response = self.http.send(
                    op.method,
                    url,
                    params=query,
                    json_body=body,
                    headers={
                        "x-amz-access-token": token.value,
                        "user-agent": self.user_agent,
                        "accept": "application/json",
                    },
                    timeout=self.timeout,
                )
                self._observe_rate(operation, response)
                if response.status == 403 and not minted and not token_retried:
                    # A cached token Amazon no longer accepts (expired early, app secret
                    # rotated): mint a new one and try once more before giving up.
                    logger.info("%s: 403 with a cached token; retrying with a new one", operation)
                    token_retried = True
                    invalidate_if_current(self.token_cache, self.token_key, token)
                    continue
                if 200 <= response.status < 300:
                    return response.json()
                if response.status == 429:
                    # Amazon's bucket is empty whatever ours says; wait for a refill.
                    self.limiter.drain(self.seller_id, operation)
                raise error_from_response(operation, response)

        return call_with_retries(
            attempt, self.retry, sleep=self.sleep, rng=self.rng, what=operation
        )

    def _paged(
        self,
        operation: str,
        params: Mapping[str, ParamValue],
        page_token: str | None,
        path_params: Mapping[str, str] | None = None,
    ) -> JsonDict:
        query = paging.with_token(operation, encode_params(params), page_token)
        result: JsonDict = self.call(operation, path_params=path_params, params=query)
        return result

    def iter_pages(self, method: Callable[..., JsonDict], /, **kwargs: Any) -> Iterator[JsonDict]:
        """Yield every page of a paginated method, e.g.
        ``client.iter_pages(client.search_orders, marketplace_ids=[...], last_updated_after=t)``.
        """
        name = getattr(method, "__name__", "")
        try:
            operation = PAGINATED_METHODS[name]
        except KeyError:
            raise TypeError(f"{name or method!r} is not a paginated SpApiClient method") from None
        kwargs.pop("page_token", None)
        return paging.iterate(operation, lambda token: method(**kwargs, page_token=token))

    # --- sellers ------------------------------------------------------------------------------

    def get_marketplace_participations(self) -> JsonDict:
        result: JsonDict = self.call("sellers.getMarketplaceParticipations")
        return result

    # --- orders -------------------------------------------------------------------------------

    def search_orders(
        self,
        *,
        marketplace_ids: Sequence[str] | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        last_updated_after: datetime | None = None,
        last_updated_before: datetime | None = None,
        fulfillment_statuses: Sequence[str] | None = None,
        fulfilled_by: Sequence[str] | None = None,
        max_results_per_page: int | None = None,
        included_data: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        """Orders API 2026-01-01 ``searchOrders`` (needs created_* or last_updated_*)."""
        params: dict[str, ParamValue] = {
            "marketplaceIds": marketplace_ids,
            "createdAfter": created_after,
            "createdBefore": created_before,
            "lastUpdatedAfter": last_updated_after,
            "lastUpdatedBefore": last_updated_before,
            "fulfillmentStatuses": fulfillment_statuses,
            "fulfilledBy": fulfilled_by,
            "maxResultsPerPage": max_results_per_page,
            "includedData": included_data,
        }
        return self._paged("orders_2026-01-01.searchOrders", params, page_token)

    def get_order(self, order_id: str, *, included_data: Sequence[str] | None = None) -> JsonDict:
        """Orders API 2026-01-01 ``getOrder``."""
        result: JsonDict = self.call(
            "orders_2026-01-01.getOrder",
            path_params={"orderId": order_id},
            params={"includedData": included_data},
        )
        return result

    def get_orders(
        self,
        *,
        marketplace_ids: Sequence[str],
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        last_updated_after: datetime | None = None,
        last_updated_before: datetime | None = None,
        order_statuses: Sequence[str] | None = None,
        fulfillment_channels: Sequence[str] | None = None,
        amazon_order_ids: Sequence[str] | None = None,
        max_results_per_page: int | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        """Orders API v0 ``getOrders`` (deprecated by Amazon; removal 2027-03-27)."""
        params: dict[str, ParamValue] = {
            "MarketplaceIds": marketplace_ids,
            "CreatedAfter": created_after,
            "CreatedBefore": created_before,
            "LastUpdatedAfter": last_updated_after,
            "LastUpdatedBefore": last_updated_before,
            "OrderStatuses": order_statuses,
            "FulfillmentChannels": fulfillment_channels,
            "AmazonOrderIds": amazon_order_ids,
            "MaxResultsPerPage": max_results_per_page,
        }
        return self._paged("ordersV0.getOrders", params, page_token)

    def get_order_items(self, order_id: str, *, page_token: str | None = None) -> JsonDict:
        """Orders API v0 ``getOrderItems``."""
        return self._paged(
            "ordersV0.getOrderItems", {}, page_token, path_params={"orderId": order_id}
        )

    # --- FBA inventory ------------------------------------------------------------------------

    def get_inventory_summaries(
        self,
        *,
        marketplace_id: str,
        details: bool = True,
        granularity_type: str = "Marketplace",
        granularity_id: str | None = None,
        start_date_time: datetime | None = None,
        seller_skus: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        """FBA Inventory ``getInventorySummaries``.  Its page token expires after 30 seconds."""
        params: dict[str, ParamValue] = {
            "details": details,
            "granularityType": granularity_type,
            "granularityId": granularity_id or marketplace_id,
            "marketplaceIds": [marketplace_id],
            "startDateTime": start_date_time,
            "sellerSkus": seller_skus,
        }
        return self._paged("fbaInventory.getInventorySummaries", params, page_token)

    # --- listings -----------------------------------------------------------------------------

    def search_listings_items(
        self,
        *,
        marketplace_ids: Sequence[str],
        included_data: Sequence[str] | None = None,
        identifiers: Sequence[str] | None = None,
        identifiers_type: str | None = None,
        last_updated_after: datetime | None = None,
        with_status: Sequence[str] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        page_size: int | None = 20,
        issue_locale: str | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        """Listings Items ``searchListingsItems`` for this seller (``pageSize`` ≤ 20)."""
        params: dict[str, ParamValue] = {
            "marketplaceIds": marketplace_ids,
            "includedData": included_data,
            "identifiers": identifiers,
            "identifiersType": identifiers_type,
            "lastUpdatedAfter": last_updated_after,
            "withStatus": with_status,
            "sortBy": sort_by,
            "sortOrder": sort_order,
            "pageSize": page_size,
            "issueLocale": issue_locale,
        }
        return self._paged(
            "listingsItems_2021-08-01.searchListingsItems",
            params,
            page_token,
            path_params={"sellerId": self.seller_id},
        )

    def get_listings_item(
        self,
        sku: str,
        *,
        marketplace_ids: Sequence[str],
        included_data: Sequence[str] | None = None,
        issue_locale: str | None = None,
    ) -> JsonDict:
        result: JsonDict = self.call(
            "listingsItems_2021-08-01.getListingsItem",
            path_params={"sellerId": self.seller_id, "sku": sku},
            params={
                "marketplaceIds": marketplace_ids,
                "includedData": included_data,
                "issueLocale": issue_locale,
            },
        )
        return result

    # --- catalog ------------------------------------------------------------------------------

    def search_catalog_items(
        self,
        *,
        marketplace_ids: Sequence[str],
        identifiers: Sequence[str] | None = None,
        identifiers_type: str | None = None,
        keywords: Sequence[str] | None = None,
        included_data: Sequence[str] | None = None,
        locale: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        params: dict[str, ParamValue] = {
            "marketplaceIds": marketplace_ids,
            "identifiers": identifiers,
            "identifiersType": identifiers_type,
            "keywords": keywords,
            "includedData": included_data,
            "locale": locale,
            "pageSize": page_size,
            # Required by Amazon when identifiersType is SKU.
            "sellerId": self.seller_id if identifiers_type == "SKU" else None,
        }
        return self._paged("catalogItems_2022-04-01.searchCatalogItems", params, page_token)

    def get_catalog_item(
        self,
        asin: str,
        *,
        marketplace_ids: Sequence[str],
        included_data: Sequence[str] | None = None,
        locale: str | None = None,
    ) -> JsonDict:
        result: JsonDict = self.call(
            "catalogItems_2022-04-01.getCatalogItem",
            path_params={"asin": asin},
            params={
                "marketplaceIds": marketplace_ids,
                "includedData": included_data,
                "locale": locale,
            },
        )
        return result

    # --- pricing ------------------------------------------------------------------------------

    @staticmethod
    def _items(asins: Sequence[str] | None, skus: Sequence[str] | None) -> dict[str, ParamValue]:
        if bool(asins) == bool(skus):
            raise ValueError("pass either asins or skus (up to 20)")
        if asins:
            return {"ItemType": "Asin", "Asins": asins}
        return {"ItemType": "Sku", "Skus": skus}

    def get_pricing(
        self,
        *,
        marketplace_id: str,
        asins: Sequence[str] | None = None,
        skus: Sequence[str] | None = None,
        item_condition: str | None = None,
        offer_type: str | None = None,
    ) -> JsonDict:
        result: JsonDict = self.call(
            "productPricingV0.getPricing",
            params={
                "MarketplaceId": marketplace_id,
                **self._items(asins, skus),
                "ItemCondition": item_condition,
                "OfferType": offer_type,
            },
        )
        return result

    def get_competitive_pricing(
        self,
        *,
        marketplace_id: str,
        asins: Sequence[str] | None = None,
        skus: Sequence[str] | None = None,
        customer_type: str | None = None,
    ) -> JsonDict:
        result: JsonDict = self.call(
            "productPricingV0.getCompetitivePricing",
            params={
                "MarketplaceId": marketplace_id,
                **self._items(asins, skus),
                "CustomerType": customer_type,
            },
        )
        return result

    def get_listing_offers(
        self,
        sku: str,
        *,
        marketplace_id: str,
        item_condition: str = "New",
        customer_type: str | None = None,
    ) -> JsonDict:
        result: JsonDict = self.call(
            "productPricingV0.getListingOffers",
            path_params={"SellerSKU": sku},
            params={
                "MarketplaceId": marketplace_id,
                "ItemCondition": item_condition,
                "CustomerType": customer_type,
            },
        )
        return result

    def get_item_offers(
        self,
        asin: str,
        *,
        marketplace_id: str,
        item_condition: str = "New",
        customer_type: str | None = None,
    ) -> JsonDict:
        result: JsonDict = self.call(
            "productPricingV0.getItemOffers",
            path_params={"Asin": asin},
            params={
                "MarketplaceId": marketplace_id,
                "ItemCondition": item_condition,
                "CustomerType": customer_type,
            },
        )
        return result

    # --- fees ---------------------------------------------------------------------------------

    def get_my_fees_estimate_for_sku(self, sku: str, request: Mapping[str, Any]) -> JsonDict:
        """``request`` is a FeesEstimateRequest, e.g. from :func:`fees_estimate_request`."""
        result: JsonDict = self.call(
            "productFeesV0.getMyFeesEstimateForSKU",
            path_params={"SellerSKU": sku},
            body={"FeesEstimateRequest": dict(request)},
        )
        return result

    def get_my_fees_estimate_for_asin(self, asin: str, request: Mapping[str, Any]) -> JsonDict:
        result: JsonDict = self.call(
            "productFeesV0.getMyFeesEstimateForASIN",
            path_params={"Asin": asin},
            body={"FeesEstimateRequest": dict(request)},
        )
        return result

    def get_my_fees_estimates(self, requests: Sequence[tuple[str, str, Mapping[str, Any]]]) -> Any:
        """Batch estimate; each item is ``(id_type, id_value, request)`` with id_type
        ``"ASIN"`` or ``"SellerSKU"``.  Returns the response list (up to 20 results)."""
        body = [
            {"IdType": id_type, "IdValue": id_value, "FeesEstimateRequest": dict(request)}
            for id_type, id_value, request in requests
        ]
        return self.call("productFeesV0.getMyFeesEstimates", body=body)

    # --- finances -----------------------------------------------------------------------------

    def list_financial_event_groups(
        self,
        *,
        started_after: datetime | None = None,
        started_before: datetime | None = None,
        max_results_per_page: int | None = 100,
        page_token: str | None = None,
    ) -> JsonDict:
        params: dict[str, ParamValue] = {
            "FinancialEventGroupStartedAfter": started_after,
            "FinancialEventGroupStartedBefore": started_before,
            "MaxResultsPerPage": max_results_per_page,
        }
        return self._paged("financesV0.listFinancialEventGroups", params, page_token)

    def list_financial_events_by_group_id(
        self,
        event_group_id: str,
        *,
        posted_after: datetime | None = None,
        posted_before: datetime | None = None,
        max_results_per_page: int | None = 100,
        page_token: str | None = None,
    ) -> JsonDict:
        params: dict[str, ParamValue] = {
            "PostedAfter": posted_after,
            "PostedBefore": posted_before,
            "MaxResultsPerPage": max_results_per_page,
        }
        return self._paged(
            "financesV0.listFinancialEventsByGroupId",
            params,
            page_token,
            path_params={"eventGroupId": event_group_id},
        )

    def list_financial_events_by_order_id(
        self,
        order_id: str,
        *,
        max_results_per_page: int | None = 100,
        page_token: str | None = None,
    ) -> JsonDict:
        return self._paged(
            "financesV0.listFinancialEventsByOrderId",
            {"MaxResultsPerPage": max_results_per_page},
            page_token,
            path_params={"orderId": order_id},
        )

    def list_financial_events(
        self,
        *,
        posted_after: datetime | None = None,
        posted_before: datetime | None = None,
        max_results_per_page: int | None = 100,
        page_token: str | None = None,
    ) -> JsonDict:
        params: dict[str, ParamValue] = {
            "PostedAfter": posted_after,
            "PostedBefore": posted_before,
            "MaxResultsPerPage": max_results_per_page,
        }
        return self._paged("financesV0.listFinancialEvents", params, page_token)

    def list_transactions(
        self,
        *,
        posted_after: datetime | None = None,
        posted_before: datetime | None = None,
        marketplace_id: str | None = None,
        transaction_status: str | None = None,
        related_identifier_name: str | None = None,
        related_identifier_value: str | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        """Finances 2024-06-19 ``listTransactions``."""
        params: dict[str, ParamValue] = {
            "postedAfter": posted_after,
            "postedBefore": posted_before,
            "marketplaceId": marketplace_id,
            "transactionStatus": transaction_status,
            "relatedIdentifierName": related_identifier_name,
            "relatedIdentifierValue": related_identifier_value,
        }
        return self._paged("finances_2024-06-19.listTransactions", params, page_token)

    # --- reports ------------------------------------------------------------------------------

    def create_report(
        self,
        report_type: str,
        *,
        marketplace_ids: Sequence[str],
        data_start_time: datetime | None = None,
        data_end_time: datetime | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> JsonDict:
        """``createReport``; returns ``{"reportId": …}`` (HTTP 202)."""
        body: JsonDict = {"reportType": report_type, "marketplaceIds": list(marketplace_ids)}
        if data_start_time is not None:
            body["dataStartTime"] = format_param(data_start_time)
        if data_end_time is not None:
            body["dataEndTime"] = format_param(data_end_time)
        if report_options:
            body["reportOptions"] = dict(report_options)
        result: JsonDict = self.call("reports_2021-06-30.createReport", body=body)
        return result

    def get_report(self, report_id: str) -> JsonDict:
        result: JsonDict = self.call(
            "reports_2021-06-30.getReport", path_params={"reportId": report_id}
        )
        return result

    def get_reports(
        self,
        *,
        report_types: Sequence[str] | None = None,
        processing_statuses: Sequence[str] | None = None,
        marketplace_ids: Sequence[str] | None = None,
        page_size: int | None = 100,
        created_since: datetime | None = None,
        created_until: datetime | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        """``getReports`` (last 90 days only).  With a page token the filters are dropped,
        as Amazon requires."""
        params: dict[str, ParamValue] = {
            "reportTypes": report_types,
            "processingStatuses": processing_statuses,
            "marketplaceIds": marketplace_ids,
            "pageSize": page_size,
            "createdSince": created_since,
            "createdUntil": created_until,
        }
        return self._paged("reports_2021-06-30.getReports", params, page_token)

    def get_report_document(
        self, report_document_id: str, *, enable_content_encoding_url_header: bool | None = None
    ) -> JsonDict:
        """``getReportDocument``: a presigned URL valid 5 minutes.  See :mod:`spapi.reports`."""
        result: JsonDict = self.call(
            "reports_2021-06-30.getReportDocument",
            path_params={"reportDocumentId": report_document_id},
            params={"enableContentEncodingUrlHeader": enable_content_encoding_url_header},
        )
        return result

    # Method name → operation, for iter_pages.

    # --- fulfillment inbound 2024-03-20 ------------------------------------------------------
    # Every write answers ``{"operationId": …}`` (createInboundPlan also ``inboundPlanId``):
    # Amazon does the work afterwards; poll it with ``get_inbound_operation_status`` or
    # ``spapi.inbound.wait_for_operation``.

    def create_inbound_plan(
        self,
        *,
        marketplace_id: str,
        items: Sequence[Mapping[str, Any]],
        source_address: Mapping[str, str],
        name: str | None = None,
    ) -> JsonDict:
        """``createInboundPlan``: items are ``{"msku", "quantity", "labelOwner", "prepOwner"}``
        (see ``spapi.inbound.plan_item``); returns ``{"inboundPlanId", "operationId"}``."""
        body: JsonDict = {
            "destinationMarketplaces": [marketplace_id],
            "items": [dict(item) for item in items],
            "sourceAddress": dict(source_address),
        }
        if name is not None:
            body["name"] = name
        return self._inbound("createInboundPlan", body=body)

    def get_inbound_operation_status(self, operation_id: str) -> JsonDict:
        """``getInboundOperationStatus``: ``operationStatus`` IN_PROGRESS, SUCCESS or FAILED
        (with ``operationProblems``)."""
        return self._inbound("getInboundOperationStatus", operationId=operation_id)

    def list_inbound_plans(
        self,
        *,
        status: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        params: dict[str, ParamValue] = {
            "status": status,
            "sortBy": sort_by,
            "sortOrder": sort_order,
            "pageSize": page_size,
        }
        return self._paged(f"{INBOUND}.listInboundPlans", params, page_token)

    def get_inbound_plan(self, inbound_plan_id: str) -> JsonDict:
        return self._inbound("getInboundPlan", inboundPlanId=inbound_plan_id)

    def cancel_inbound_plan(self, inbound_plan_id: str) -> JsonDict:
        return self._inbound("cancelInboundPlan", inboundPlanId=inbound_plan_id)

    def list_inbound_plan_items(
        self, inbound_plan_id: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> JsonDict:
        return self._inbound_page(
            "listInboundPlanItems", page_size, page_token, inboundPlanId=inbound_plan_id
        )

    def list_inbound_plan_boxes(
        self, inbound_plan_id: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> JsonDict:
        return self._inbound_page(
            "listInboundPlanBoxes", page_size, page_token, inboundPlanId=inbound_plan_id
        )

    def generate_packing_options(self, inbound_plan_id: str) -> JsonDict:
        return self._inbound("generatePackingOptions", inboundPlanId=inbound_plan_id)

    def list_packing_options(
        self, inbound_plan_id: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> JsonDict:
        return self._inbound_page(
            "listPackingOptions", page_size, page_token, inboundPlanId=inbound_plan_id
        )

    def list_packing_group_items(
        self,
        inbound_plan_id: str,
        packing_group_id: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        return self._inbound_page(
            "listPackingGroupItems",
            page_size,
            page_token,
            inboundPlanId=inbound_plan_id,
            packingGroupId=packing_group_id,
        )

    def confirm_packing_option(self, inbound_plan_id: str, packing_option_id: str) -> JsonDict:
        return self._inbound(
            "confirmPackingOption",
            inboundPlanId=inbound_plan_id,
            packingOptionId=packing_option_id,
        )

    def set_packing_information(
        self, inbound_plan_id: str, package_groupings: Sequence[Mapping[str, Any]]
    ) -> JsonDict:
        """``setPackingInformation``: boxes (dimensions, weight, contents) per packing group."""
        body: JsonDict = {"packageGroupings": [dict(g) for g in package_groupings]}
        return self._inbound("setPackingInformation", body=body, inboundPlanId=inbound_plan_id)

    def generate_placement_options(
        self,
        inbound_plan_id: str,
        *,
        custom_placement: Sequence[Mapping[str, Any]] | None = None,
    ) -> JsonDict:
        body: JsonDict = {}
        if custom_placement:
            body["customPlacement"] = [dict(c) for c in custom_placement]
        return self._inbound("generatePlacementOptions", body=body, inboundPlanId=inbound_plan_id)

    def list_placement_options(
        self, inbound_plan_id: str, *, page_size: int | None = None, page_token: str | None = None
    ) -> JsonDict:
        """Each option lists its shipments and its ``fees`` (the placement fee, with currency)."""
        return self._inbound_page(
            "listPlacementOptions", page_size, page_token, inboundPlanId=inbound_plan_id
        )

    def confirm_placement_option(self, inbound_plan_id: str, placement_option_id: str) -> JsonDict:
        return self._inbound(
            "confirmPlacementOption",
            inboundPlanId=inbound_plan_id,
            placementOptionId=placement_option_id,
        )

    def generate_transportation_options(
        self,
        inbound_plan_id: str,
        *,
        placement_option_id: str,
        shipment_configurations: Sequence[Mapping[str, Any]],
    ) -> JsonDict:
        """``shipment_configurations``: ``{"shipmentId", "readyToShipWindow": {"start"}}`` each
        (``spapi.inbound.ready_to_ship`` builds one)."""
        body: JsonDict = {
            "placementOptionId": placement_option_id,
            "shipmentTransportationConfigurations": [dict(c) for c in shipment_configurations],
        }
        return self._inbound(
            "generateTransportationOptions", body=body, inboundPlanId=inbound_plan_id
        )

    def list_transportation_options(
        self,
        inbound_plan_id: str,
        *,
        placement_option_id: str | None = None,
        shipment_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        params: dict[str, ParamValue] = {
            "placementOptionId": placement_option_id,
            "shipmentId": shipment_id,
            "pageSize": page_size,
        }
        return self._paged(
            f"{INBOUND}.listTransportationOptions",
            params,
            page_token,
            {"inboundPlanId": inbound_plan_id},
        )

    def confirm_transportation_options(
        self, inbound_plan_id: str, selections: Sequence[Mapping[str, Any]]
    ) -> JsonDict:
        """``selections``: ``{"shipmentId", "transportationOptionId"}`` each."""
        body: JsonDict = {"transportationSelections": [dict(s) for s in selections]}
        return self._inbound(
            "confirmTransportationOptions", body=body, inboundPlanId=inbound_plan_id
        )

    def get_shipment(self, inbound_plan_id: str, shipment_id: str) -> JsonDict:
        """``getShipment``: ``status`` (WORKING, READY_TO_SHIP, SHIPPED, IN_TRANSIT, RECEIVING,
        CLOSED, …), ``shipmentConfirmationId`` (the FBA… id), destination warehouse."""
        return self._inbound("getShipment", inboundPlanId=inbound_plan_id, shipmentId=shipment_id)

    def list_shipment_items(
        self,
        inbound_plan_id: str,
        shipment_id: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        return self._inbound_page(
            "listShipmentItems",
            page_size,
            page_token,
            inboundPlanId=inbound_plan_id,
            shipmentId=shipment_id,
        )

    def list_shipment_boxes(
        self,
        inbound_plan_id: str,
        shipment_id: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JsonDict:
        return self._inbound_page(
            "listShipmentBoxes",
            page_size,
            page_token,
            inboundPlanId=inbound_plan_id,
            shipmentId=shipment_id,
        )

    def _inbound(self, name: str, *, body: Any = None, **path_params: str) -> JsonDict:
        result: JsonDict = self.call(f"{INBOUND}.{name}", path_params=path_params, body=body)
        return result

    def _inbound_page(
        self, name: str, page_size: int | None, page_token: str | None, **path_params: str
    ) -> JsonDict:
        params: dict[str, ParamValue] = {"pageSize": page_size}
        return self._paged(f"{INBOUND}.{name}", params, page_token, path_params)


PAGINATED_METHODS: dict[str, str] = {
    "search_orders": "orders_2026-01-01.searchOrders",
    "get_orders": "ordersV0.getOrders",
    "get_order_items": "ordersV0.getOrderItems",
    "get_inventory_summaries": "fbaInventory.getInventorySummaries",
    "search_listings_items": "listingsItems_2021-08-01.searchListingsItems",
    "search_catalog_items": "catalogItems_2022-04-01.searchCatalogItems",
    "list_financial_event_groups": "financesV0.listFinancialEventGroups",
    "list_financial_events_by_group_id": "financesV0.listFinancialEventsByGroupId",
    "list_financial_events_by_order_id": "financesV0.listFinancialEventsByOrderId",
    "list_financial_events": "financesV0.listFinancialEvents",
    "list_transactions": "finances_2024-06-19.listTransactions",
    "get_reports": "reports_2021-06-30.getReports",
    "list_inbound_plans": "fulfillmentInbound_2024-03-20.listInboundPlans",
    "list_inbound_plan_items": "fulfillmentInbound_2024-03-20.listInboundPlanItems",
    "list_inbound_plan_boxes": "fulfillmentInbound_2024-03-20.listInboundPlanBoxes",
    "list_packing_options": "fulfillmentInbound_2024-03-20.listPackingOptions",
    "list_packing_group_items": "fulfillmentInbound_2024-03-20.listPackingGroupItems",
    "list_placement_options": "fulfillmentInbound_2024-03-20.listPlacementOptions",
    "list_transportation_options": "fulfillmentInbound_2024-03-20.listTransportationOptions",
    "list_shipment_items": "fulfillmentInbound_2024-03-20.listShipmentItems",
    "list_shipment_boxes": "fulfillmentInbound_2024-03-20.listShipmentBoxes",
}
