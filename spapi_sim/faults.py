"""Faults on demand: random (error_rate, kinds) or one-shot rules queued under ``next``."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

from spapi_sim.config import FaultConfig

REQUEST_KINDS = ("500", "503", "slow", "timeout")


@dataclass(frozen=True)
class Fault:
    kind: str  # one of config.FAULT_KINDS
    status: int | None = None


class FaultInjector:
    def __init__(self, config: FaultConfig, seed: int) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed ^ 0xFA17)
        self.config = config
        self.fired: dict[str, int] = {}

    def update(self, data: dict[str, Any]) -> FaultConfig:
        """Replace the random part and append one-shot rules; ``{"clear": true}`` resets all."""
        with self._lock:
            if data.get("clear"):
                self.config = FaultConfig()
            rest = {k: v for k, v in data.items() if k != "clear"}
            rules = list(rest.pop("next", []))
            merged = {
                "error_rate": self.config.error_rate,
                "kinds": list(self.config.kinds),
                "slow_seconds": self.config.slow_seconds,
                "timeout_seconds": self.config.timeout_seconds,
                "next": list(self.config.next),
                **rest,
            }
            merged["next"].extend(rules)
            self.config = FaultConfig.from_dict(merged)
            return self.config

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            c = self.config
            return {
                "error_rate": c.error_rate,
                "kinds": list(c.kinds),
                "slow_seconds": c.slow_seconds,
                "timeout_seconds": c.timeout_seconds,
                "next": [dict(r) for r in c.next],
                "fired": dict(self.fired),
            }

    def draw(self, operation: str, kinds: tuple[str, ...]) -> Fault | None:
        """The fault to apply now, if any; ``kinds`` are those that make sense at the call site."""
        with self._lock:
            for rule in self.config.next:
                if rule["kind"] not in kinds:
                    continue
                if rule["operation"] not in ("*", operation):
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.config.next.remove(rule)
                return self._fire(Fault(rule["kind"], rule.get("status")))
            enabled = [k for k in self.config.kinds if k in kinds]
            if (
                enabled
                and self.config.error_rate > 0
                and self._random.random() < self.config.error_rate
            ):
                kind = enabled[self._random.randrange(len(enabled))]
                return self._fire(Fault(kind))
        return None

    def _fire(self, fault: Fault) -> Fault:
        self.fired[fault.kind] = self.fired.get(fault.kind, 0) + 1
        return fault
