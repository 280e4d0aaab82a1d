"""Amazon's usage plans: a token bucket per (selling partner, operation).

Tokens refill continuously at ``rate`` per second up to ``burst``; each request takes one; an
empty bucket answers 429. Buckets run on real (monotonic) time, not the simulated clock: a
client's backoff happens in real seconds. ``rate_scale`` multiplies rate and burst. With
``SimConfig.plans_on_clock`` they run on the simulated clock instead (the limiter is given its
seconds), for a client whose own clock runs as fast.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# (rate per second, burst) per operation, from the operation descriptions in the official models
# (see spapi_sim/tests/amazon/models/rate_limits_all_ops.tsv).
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "getMarketplaceParticipations": (0.016, 15),
    "getAccount": (0.016, 15),
    "getOrders": (0.0167, 20),
    "getOrder": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "getOrderAddress": (0.5, 30),
    "getOrderBuyerInfo": (0.5, 30),
    "searchOrders": (0.0056, 20),
    "getOrder2026": (0.5, 30),
    "getInventorySummaries": (2.0, 2),
    "getListingsItem": (5.0, 10),
    "searchListingsItems": (5.0, 5),
    "searchCatalogItems": (2.0, 2),
    "getCatalogItem": (2.0, 2),
    "getPricing": (0.5, 1),
    "getCompetitivePricing": (0.5, 1),
    "getItemOffers": (0.5, 1),
    "getListingOffers": (1.0, 2),
    "getItemOffersBatch": (0.1, 1),
    "getCompetitiveSummary": (0.033, 1),
    "getMyFeesEstimates": (0.5, 1),
    "getMyFeesEstimateForSKU": (1.0, 2),
    "getMyFeesEstimateForASIN": (1.0, 2),
    "listFinancialEventGroups": (0.5, 30),
    "listFinancialEventsByGroupId": (0.5, 30),
    "listFinancialEventsByOrderId": (0.5, 30),
    "listFinancialEvents": (0.5, 30),
    "listTransactions": (0.5, 10),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReports": (0.0222, 10),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    "createRestrictedDataToken": (1.0, 10),
    # Fulfillment Inbound v2024-03-20.
    "createInboundPlan": (2.0, 2),
    "cancelInboundPlan": (2.0, 2),
    "setPackingInformation": (2.0, 2),
    "generatePackingOptions": (2.0, 2),
    "confirmPackingOption": (2.0, 2),
    "generatePlacementOptions": (2.0, 2),
    "confirmPlacementOption": (2.0, 2),
    "generateTransportationOptions": (2.0, 2),
    "confirmTransportationOptions": (2.0, 2),
    "listInboundPlans": (2.0, 6),
    "getInboundPlan": (2.0, 6),
    "listInboundPlanBoxes": (2.0, 6),
    "listInboundPlanItems": (2.0, 6),
    "listPackingOptions": (2.0, 6),
    "listPlacementOptions": (2.0, 6),
    "getShipment": (2.0, 6),
    "listTransportationOptions": (2.0, 6),
    "getInboundOperationStatus": (2.0, 6),
    "listPackingGroupItems": (2.0, 30),
    "listShipmentBoxes": (2.0, 30),
    "listShipmentItems": (2.0, 30),
}


@dataclass(frozen=True)
class Plan:
    rate: float
    burst: int

    @property
    def header_value(self) -> str:
        """x-amzn-RateLimit-Limit as Amazon writes it ("0.0167", "2.0")."""
        text = f"{self.rate:.4f}".rstrip("0")
        return text + "0" if text.endswith(".") else text


def plan_for(operation: str, scale: float) -> Plan | None:
    """The scaled plan, or None when limiting is off (scale 0) or the operation has none."""
    base = USAGE_PLANS.get(operation)
    if base is None or scale == 0:
        return None
    rate, burst = base
    return Plan(rate * scale, max(1, math.floor(burst * scale)))


class RateLimiter:
    def __init__(self, scale: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.scale = scale
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # (key, operation) -> (tokens, last refill time)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def set_scale(self, scale: float) -> None:
        with self._lock:
            self.scale = scale
            self._buckets.clear()

    def take(self, key: str, operation: str) -> tuple[bool, Plan | None]:
        """Take one token; False when the bucket is empty."""
        plan = plan_for(operation, self.scale)
        if plan is None:
            return True, None
        now = self._monotonic()
        with self._lock:
            tokens, last = self._buckets.get((key, operation), (float(plan.burst), now))
            tokens = min(float(plan.burst), tokens + (now - last) * plan.rate)
            if tokens < 1.0:
                self._buckets[(key, operation)] = (tokens, now)
                return False, plan
            self._buckets[(key, operation)] = (tokens - 1.0, now)
            return True, plan
