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
