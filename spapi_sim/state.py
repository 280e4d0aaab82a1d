"""The simulator's state: config, clock, sellers, LWA, usage plans, faults, reports and stats."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from spapi_sim import ids
from spapi_sim.clock import SimClock
from spapi_sim.config import SimConfig
from spapi_sim.faults import FaultInjector
from spapi_sim.http import Request
from spapi_sim.lwa import Lwa, Principal
from spapi_sim.ratelimit import RateLimiter
from spapi_sim.reports.store import ReportStore
from spapi_sim.world.seller import SellerWorld, seller_regions


class Stats:
    """Request, 429 and status counts per operation, for tests and for the bench."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ops: dict[str, dict[str, int]] = {}

    def record(self, operation: str, status: int) -> None:
        with self._lock:
            counts = self._ops.setdefault(operation, {"requests": 0, "throttled": 0})
            counts["requests"] += 1
            if status == 429:
                counts["throttled"] += 1
            key = str(status)
            counts[key] = counts.get(key, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"operations": {op: dict(c) for op, c in sorted(self._ops.items())}}

    def reset(self) -> None:
        with self._lock:
            self._ops.clear()


class SimState:
    def __init__(self, config: SimConfig) -> None:
        self.config = config
        assert config.clock_start is not None
        self.clock = SimClock(
            config.clock_start,
            config.clock_speed,
            ceiling=(lambda: dt.datetime.now(dt.UTC)) if config.clock_never_ahead else None,
        )
        self.application_id = ids.application_id(config.seed)
        self.lwa = Lwa(
            config.seed,
            ids.client_id(config.seed),
            ids.client_secret(config.seed),
            self.application_id,
            wall_ms=lambda seconds: self.clock.wall_ms(seconds),
        )
        self.limiter = (
            RateLimiter(config.rate_scale, monotonic=self._plan_seconds)
            if config.plans_on_clock
            else RateLimiter(config.rate_scale)
        )
        self.faults = FaultInjector(config.fault_config, config.seed)
        self.stats = Stats()
        self.sellers: dict[str, SellerWorld] = {}
        for index in range(config.sellers):
            world = SellerWorld(config, index)
            self.sellers[world.selling_partner_id] = world
        # Set by the server once it listens, for URLs in responses (report documents).
        self.base_url = ""
        self.reports = ReportStore(self)
        # Stores that API modules make on first use (the inbound plans: api/inbound.py).
        self.extensions: dict[str, Any] = {}

    def _plan_seconds(self) -> float:
        """The usage plans' clock when they run on the simulated one: its seconds."""
        return self.clock.now().timestamp()

    def build(self) -> None:
        """Simulate every seller's history up to now, so the first request is not the slow one."""
        now = self.clock.now()
        for world in self.sellers.values():
            world.build(now)

    def now_seconds(self, world: SellerWorld) -> int:
        return world.seconds(self.clock.now())

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def wall_ms(self, seconds: float) -> int:
        """See SimClock.wall_ms: a real-time duration in simulated milliseconds."""
        return self.clock.wall_ms(seconds)

    def info(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id,
            "client_id": self.lwa.client_id,
            "client_secret": self.lwa.client_secret,
            "redirect_uris": list(self.config.redirect_uris),
            "accepts_any_loopback_redirect_uri": self.config.allow_loopback_redirects,
            "regions": [region for region, _ in seller_regions(self.config)],
            "sellers": [
                {
                    "selling_partner_id": w.selling_partner_id,
                    "name": w.name,
                    "region": w.region,
                    "marketplaces": [
                        {"id": m.id, "country_code": m.country_code, "currency": m.currency}
                        for m in w.marketplaces
                    ],
                }
                for w in self.sellers.values()
            ],
        }


@dataclass
class Context:
    """What an SP-API handler gets: the state, the request and the authorised seller."""

    state: SimState
    request: Request
    principal: Principal
    world: SellerWorld | None

    @property
    def seller(self) -> SellerWorld:
        assert self.world is not None
        return self.world

    @property
    def now(self) -> int:
        return self.state.now_seconds(self.seller)
