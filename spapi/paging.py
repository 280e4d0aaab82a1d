"""Where each paginated operation keeps its page token, and which parameter sends it back.

Amazon is not consistent across APIs (from the models in ``spapi_sim/tests/amazon/models``):

=========================================  ==========================  ===================
operation                                  token in the response       request parameter
=========================================  ==========================  ===================
ordersV0 getOrders, getOrderItems          ``payload.NextToken``       ``NextToken``
orders 2026-01-01 searchOrders             ``pagination.nextToken``    ``paginationToken``
fbaInventory getInventorySummaries         ``pagination.nextToken``    ``nextToken``
listings searchListingsItems               ``pagination.nextToken``    ``pageToken``
catalog searchCatalogItems                 ``pagination.nextToken``    ``pageToken``
finances v0 list*                          ``payload.NextToken``       ``NextToken``
finances 2024-06-19 listTransactions       ``payload.nextToken``       ``nextToken``
reports getReports                         ``nextToken``               ``nextToken`` (alone)
fulfillmentInbound 2024-03-20 list*        ``pagination.nextToken``    ``paginationToken``
=========================================  ==========================  ===================

Two tokens expire quickly: the FBA inventory ``nextToken`` after 30 seconds and the orders
2026 ``paginationToken`` after 24 hours, so fetch pages back to back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from spapi.errors import BadResponse


@dataclass(frozen=True, slots=True)
class PageSpec:
    token_path: tuple[str, ...]
    request_param: str
    # getReports rejects a request that repeats its filters next to nextToken.
    token_replaces_filters: bool = False


PAGE_SPECS: dict[str, PageSpec] = {
    "ordersV0.getOrders": PageSpec(("payload", "NextToken"), "NextToken"),
    "ordersV0.getOrderItems": PageSpec(("payload", "NextToken"), "NextToken"),
    "orders_2026-01-01.searchOrders": PageSpec(("pagination", "nextToken"), "paginationToken"),
    "fbaInventory.getInventorySummaries": PageSpec(("pagination", "nextToken"), "nextToken"),
    "listingsItems_2021-08-01.searchListingsItems": PageSpec(
        ("pagination", "nextToken"), "pageToken"
    ),
    "catalogItems_2022-04-01.searchCatalogItems": PageSpec(
        ("pagination", "nextToken"), "pageToken"
    ),
    "financesV0.listFinancialEventGroups": PageSpec(("payload", "NextToken"), "NextToken"),
    "financesV0.listFinancialEventsByGroupId": PageSpec(("payload", "NextToken"), "NextToken"),
    "financesV0.listFinancialEventsByOrderId": PageSpec(("payload", "NextToken"), "NextToken"),
    "financesV0.listFinancialEvents": PageSpec(("payload", "NextToken"), "NextToken"),
    "finances_2024-06-19.listTransactions": PageSpec(("payload", "nextToken"), "nextToken"),
    "reports_2021-06-30.getReports": PageSpec(
        ("nextToken",), "nextToken", token_replaces_filters=True
    ),
    **{
        f"fulfillmentInbound_2024-03-20.{name}": PageSpec(
            ("pagination", "nextToken"), "paginationToken"
        )
        for name in (
            "listInboundPlans",
            "listInboundPlanItems",
            "listInboundPlanBoxes",
            "listPackingOptions",
            "listPackingGroupItems",
            "listPlacementOptions",
            "listTransportationOptions",
            "listShipmentItems",
            "listShipmentBoxes",
        )
    },
}


def page_spec(operation: str) -> PageSpec:
    try:
        return PAGE_SPECS[operation]
    except KeyError:
        raise KeyError(f"{operation} is not a paginated operation") from None


def next_token(operation: str, page: Any) -> str | None:
    """The token for the page after ``page``, or ``None`` on the last page."""
    node: Any = page
    for key in page_spec(operation).token_path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    # Amazon sometimes sends an empty string on the last page.
    return node if isinstance(node, str) and node else None


def with_token(operation: str, params: Mapping[str, str], token: str | None) -> dict[str, str]:
    """The query parameters for the page that ``token`` points at."""
    spec = page_spec(operation)
    if token is None:
        return dict(params)
    if spec.token_replaces_filters:
        return {spec.request_param: token}
    return {**params, spec.request_param: token}


def iterate(
    operation: str,
    fetch: Callable[[str | None], Any],
    *,
    max_pages: int | None = None,
) -> Iterator[Any]:
    """Yield pages from ``fetch(token)`` until the last one.

    A repeated token stops the loop with an error rather than spinning forever on a server
    that hands back the same page.
    """
    token: str | None = None
    seen: set[str] = set()
    pages = 0
    while True:
        page = fetch(token)
        yield page
        pages += 1
        token = next_token(operation, page)
        if token is None or (max_pages is not None and pages >= max_pages):
            return
        if token in seen:
            raise BadResponse("the server repeated a page token", operation=operation)
        seen.add(token)
