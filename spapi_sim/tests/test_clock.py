"""A fast clock speeds up the seller's world, not Amazon's wall-clock expiries."""

from __future__ import annotations

import datetime as dt
import time

from spapi_sim import start_server
from spapi_sim.clock import SimClock
from spapi_sim.tests.conftest import Api, small_config


def test_real_time_spans_grow_with_the_clock_speed():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert SimClock(start, speed=1).wall_ms(30) == 30_000
    assert SimClock(start, speed=60).wall_ms(30) == 1_800_000
    # A frozen clock never reaches an expiry; count one for one.
    assert SimClock(start, speed=0).wall_ms(30) == 30_000


def test_a_page_token_outlives_many_simulated_seconds_under_a_fast_clock():
    # At 200x, a real second is 200 simulated seconds: far past the 30-second token life if that
    # life were counted in simulated time.
    with start_server(
        small_config(sellers=1, skus_per_seller=120, history_days=20, clock_speed=200)
    ) as server:
        api = Api(server)
        marketplace = api.seller["marketplaces"][0]["id"]
        first = api.ok(
            "/fba/inventory/v1/summaries",
            granularityType="Marketplace",
            granularityId=marketplace,
            marketplaceIds=marketplace,
            details="true",
        )
        token = first["pagination"]["nextToken"]
        time.sleep(1.0)
        second = api.get(
            "/fba/inventory/v1/summaries",
            granularityType="Marketplace",
            granularityId=marketplace,
            marketplaceIds=marketplace,
            nextToken=token,
        )
        assert second.status_code == 200, second.text
        # And the access token, good for an hour of real time, still works.
        assert api.get("/sellers/v1/marketplaceParticipations").status_code == 200
        api.http.close()


class _Real:
    """A stand-in for the real time and the monotonic clock, moved by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.seconds = 0.0

    def wait(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)
        self.seconds += seconds


def test_a_clock_with_a_ceiling_runs_fast_until_the_real_time_then_follows_it():
    real = _Real(dt.datetime(2026, 1, 1, 6, 0, tzinfo=dt.UTC))
    midnight = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    clock = SimClock(midnight, speed=10, monotonic=lambda: real.seconds, ceiling=lambda: real.now)
    real.wait(60)
    assert clock.now() == midnight + dt.timedelta(minutes=10)
    assert not clock.caught_up()
    # Six hours of history at 10x take 36 real minutes; then it is the real time, never later.
    for _ in range(60):
        real.wait(60)
        assert clock.now() <= real.now
    assert clock.caught_up()
    assert clock.now() == real.now
    real.wait(5)
    assert clock.now() == real.now
    # At real time an expiry is counted one for one again.
    assert clock.wall_ms(30) == 30_000


def test_the_never_ahead_clock_starts_at_the_end_of_the_history_and_is_never_in_the_future():
    # The history ends half a minute ago: at 1000x the clock reaches the real time at once.
    anchor = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=30)
    config = small_config(sellers=1, anchor=anchor, clock_speed=1000, clock_never_ahead=True)
    assert config.clock_start == anchor
    with start_server(config) as server:
        api = Api(server)
        for _ in range(5):
            clock = api.ok("/_sim/clock")
            assert clock["never_ahead"] is True
            simulated = dt.datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))
            # The simulator writes whole seconds; the real time read after it is never earlier.
            assert simulated <= dt.datetime.now(dt.UTC)
            time.sleep(0.05)
        assert api.ok("/_sim/clock")["caught_up"] is True
