"""Configuration of a simulated Amazon: the world's size and shape, its clock, usage plans and faults."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# Request-level faults fire on SP-API calls; the others fire where they make sense (document
# download, report processing, LWA).
FAULT_KINDS: tuple[str, ...] = (
    "500",
    "503",
    "slow",
    "timeout",
    "truncated_document",
    "expired_url",
    "report_fatal",
    "report_cancelled",
    # Fulfillment Inbound (api/inbound.py): an operation FAILED inside Amazon, placement or
    # transportation options generated empty, a shipment received short or with damaged units.
    "inbound_operation_failed",
    "placement_empty",
    "transportation_empty",
    "inbound_short",
    "inbound_damaged",
)


REGION_MARKETPLACES: dict[str, tuple[str, ...]] = {
    "NA": ("US", "CA", "MX"),
    "EU": ("UK", "DE", "FR", "IT", "ES"),
    "FE": ("JP", "AU"),
}


def default_anchor() -> dt.datetime:
    """Today's UTC midnight: the moment the simulated history ends and the live clock starts."""
    today = dt.datetime.now(dt.UTC).date()
    return dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)


@dataclass
class FaultConfig:
    """Faults that fire at random (``error_rate``) or on demand (``next``).

    ``error_rate`` is the probability that each enabled kind fires at its hook: every SP-API
    request for 500/503/slow/timeout, every document download for truncated_document, every
    getReportDocument for expired_url, every createReport for report_fatal/report_cancelled.
    ``next`` holds one-shot rules, e.g. ``{"operation": "getOrders", "status": 503, "count": 3}``
    or ``{"operation": "*", "kind": "timeout", "count": 1}``.
    """

    error_rate: float = 0.0
    kinds: list[str] = field(default_factory=list)
    slow_seconds: float = 2.0
    timeout_seconds: float = 30.0
    next: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault options: {sorted(unknown)}")
        config = cls(**data)
        config.validate()
        return config

    def __post_init__(self) -> None:
        self.next = [normalise_rule(rule) for rule in self.next]

    def validate(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        bad = [k for k in self.kinds if k not in FAULT_KINDS]
        if bad:
            raise ValueError(f"unknown fault kinds {bad}; known: {list(FAULT_KINDS)}")


def normalise_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Accept {"operation", "status": 503} or {"operation", "kind": "timeout"}, with a count."""
    if not isinstance(rule, dict):
        raise ValueError("each 'next' rule must be an object")
    kind = rule.get("kind")
    status = rule.get("status")
    if kind is None:
        if status is None:
            raise ValueError("a 'next' rule needs a 'kind' or a 'status'")
        kind = str(status)
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}")
    if kind in ("500", "503"):
        status = int(kind)
    count = int(rule.get("count", 1))
    if count < 1:
        raise ValueError("count must be at least 1")
    return {
        "operation": str(rule.get("operation", "*")),
        "kind": kind,
        "status": status,
        "count": count,
    }


@dataclass
class SimConfig:
    """Everything that shapes a simulated Amazon. Same values, same world (byte for byte).

    ``anchor`` is where the generated history ends; it defaults to today's UTC midnight, so pass
    a fixed value when a test needs the exact same world on another day. ``clock_start`` is the
    simulated instant the clock starts at: by default the real current time when the anchor is
    today's midnight (so the simulator's clock agrees with the caller's, as Amazon's does), else
    the anchor itself. The world is the same either way; the clock only decides how much of it
    is visible. ``clock_speed`` is simulated seconds per real second (0 freezes the clock). ``rate_scale`` multiplies both the refill rate and the burst of every usage plan
    (burst rounded down, at least 1); 0 switches rate limiting off.
    """

    seed: int = 42
    sellers: int = 2
    skus_per_seller: int = 300
    marketplaces: tuple[str, ...] = ("US", "CA", "MX")
    history_days: int = 400
    # Multiplies every SKU's rate of sale: 0.122 gives 5,000 SKUs about 100,000 orders over two
    # years instead of over 110 days. 1.0 is the world every test knows.
    demand_scale: float = 1.0
    anchor: dt.datetime = field(default_factory=default_anchor)
    clock_start: dt.datetime | None = None
    clock_speed: float = 1.0
    # The demo's clock: never ahead of the real time. Unless clock_start says otherwise it starts
    # at the anchor, runs at clock_speed until it reaches the real now (the day so far arrives
    # fast), then follows the real time, so no order is dated in the future.
    clock_never_ahead: bool = False
    rate_scale: float = 1.0
    # A FaultConfig or the same fields as a dict (the shape POST /_sim/faults takes).
    faults: FaultConfig | dict[str, Any] = field(default_factory=FaultConfig)
    # The simulated application, as registered in Seller Central's Developer Console.
    redirect_uris: tuple[str, ...] = (
        "http://127.0.0.1:8000/amazon/callback/",
        "http://localhost:8000/amazon/callback/",
    )
    # Accept any http://127.0.0.1… or http://localhost… redirect URI, so a dev server on any
    # port can connect. Amazon itself only accepts registered https URIs.
    allow_loopback_redirects: bool = True
    # A draft app needs version=beta on the consent URL (error MD1000 otherwise).
    app_is_draft: bool = False
    # Report processing, in simulated seconds from createReport to the final status: a base
    # plus a part that grows with the rows the report covers (reports/store.py). It runs on the
    # simulated clock, so --clock-speed 60 builds a one-minute report in one real second.
    report_seconds: float = 20.0
    report_seconds_per_1000_rows: float = 2.0
    # For tests with a frozen clock: when above 0, every getReport call also moves a report one
    # step (IN_QUEUE → IN_PROGRESS → … → final) and it is final after that many calls,
    # whatever the clock says. 0: only time builds a report, as on Amazon.
    report_polls: int = 0
    # Usage plans on the simulated clock instead of real time: with clock_speed 10, createReport's
    # one a minute comes every six real seconds, so a run at Amazon's real plans and report times
    # takes a tenth of the real time and every duration on the simulated clock is Amazon's.
    plans_on_clock: bool = False
    # Country codes whose FBA inventory getInventorySummaries does not serve (400 InvalidInput):
    # a client then reads the FBA buckets from the GET_FBA_MYI_UNSUPPRESSED_INVENTORY_DATA report.
    inventory_api_unavailable: tuple[str, ...] = ()
    # Fulfillment Inbound: simulated seconds from a write to its operation's final status; on a
    # frozen clock, inbound_polls > 0 finishes an operation after that many status polls. Each
    # shipment is received short / with damaged units with these probabilities (seeded).
    inbound_operation_seconds: float = 10.0
    inbound_polls: int = 0
    inbound_short_rate: float = 0.2
    inbound_damaged_rate: float = 0.1

    @property
    def fault_config(self) -> FaultConfig:
        assert isinstance(self.faults, FaultConfig)  # converted in __post_init__
        return self.faults

    def __post_init__(self) -> None:
        if isinstance(self.faults, dict):
            self.faults = FaultConfig.from_dict(self.faults)
        self.faults.validate()
        # Region names stand for their main marketplaces: ("NA", "EU") = US, CA, MX, UK, DE, ….
        expanded: list[str] = []
        for code in (m.upper() for m in self.marketplaces):
            for country in REGION_MARKETPLACES.get(code, (code,)):
                if country not in expanded:
                    expanded.append(country)
        self.marketplaces = tuple(expanded)
        if self.anchor.tzinfo is None:
            raise ValueError("anchor must be timezone-aware (UTC)")
        if self.clock_start is None:
            if self.clock_never_ahead:
                self.clock_start = self.anchor
            elif self.anchor == default_anchor():
                self.clock_start = dt.datetime.now(dt.UTC).replace(microsecond=0)
            else:
                self.clock_start = self.anchor
        if self.clock_start.tzinfo is None or self.clock_start < self.anchor:
            raise ValueError("clock_start must be timezone-aware and not before the anchor")
        if self.sellers < 1 or self.skus_per_seller < 1 or self.history_days < 1:
            raise ValueError("sellers, skus_per_seller and history_days must be positive")
        if self.demand_scale <= 0:
            raise ValueError("demand_scale must be positive")
        if self.clock_speed < 0 or self.rate_scale < 0:
            raise ValueError("clock_speed and rate_scale must not be negative")
        if (
            self.report_seconds < 0
            or self.report_seconds_per_1000_rows < 0
            or self.report_polls < 0
        ):
            raise ValueError(
                "report_seconds, report_seconds_per_1000_rows and report_polls must not be negative"
            )
        if self.inbound_operation_seconds < 0 or self.inbound_polls < 0:
            raise ValueError("inbound_operation_seconds and inbound_polls must not be negative")
        if not (0 <= self.inbound_short_rate <= 1 and 0 <= self.inbound_damaged_rate <= 1):
            raise ValueError("inbound_short_rate and inbound_damaged_rate must be between 0 and 1")
