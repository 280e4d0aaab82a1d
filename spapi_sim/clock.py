"""The simulated clock: starts at ``clock_start`` and runs at ``speed`` times real time.

With a ``ceiling`` (the real time, for the demo) it never runs ahead of it: a clock started in
the past runs at ``speed`` until it reaches the ceiling, then follows it one for one, so no order
is ever dated after the real now.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable


class SimClock:
    def __init__(
        self,
        start: dt.datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        ceiling: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._monotonic = monotonic
        # The simulated time at the real instant _base_real; re-based on every speed change so
        # a new speed never rewrites the past.
        self._base_sim = start
        self._base_real = monotonic()
        self._speed = speed
        self._ceiling = ceiling
        self.start = start

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> dt.datetime:
        running = self._running()
        if self._ceiling is None:
            return running
        return min(running, self._ceiling())

    def caught_up(self) -> bool:
        """True once a clock with a ceiling has reached it (and so runs at real time)."""
        return self._ceiling is not None and self._running() >= self._ceiling()

    def _running(self) -> dt.datetime:
        with self._lock:
            elapsed = (self._monotonic() - self._base_real) * self._speed
            return self._base_sim + dt.timedelta(seconds=elapsed)

    def wall_ms(self, seconds: float) -> int:
        """Simulated milliseconds that pass in ``seconds`` of real time.

        Amazon's expiries (page tokens, access tokens, authorization codes, presigned URLs) are
        wall-clock durations: under a clock running ten times faster they must span ten times as
        many simulated milliseconds, or a client would see a 30-second token die in three.
        A frozen clock never reaches an expiry, so it counts one for one, and so does one held
        at its ceiling (it runs at real time there).
        """
        speed = self._speed if self._speed > 0 and not self.caught_up() else 1.0
        return int(seconds * 1000 * speed)

    def advance(self, seconds: float) -> dt.datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base_sim += dt.timedelta(seconds=seconds)
        return self.now()

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must not be negative")
        current = self.now()
        with self._lock:
            self._base_sim = current
            self._base_real = self._monotonic()
            self._speed = speed


def iso(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z, seconds precision, as SP-API writes timestamps."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> dt.datetime:
    """Parse the ISO 8601 forms clients send (Z or offset, with or without fraction)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
