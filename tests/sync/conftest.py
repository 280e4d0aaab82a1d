from __future__ import annotations

from collections.abc import Iterator

import pytest

from ams.amazon.models import SellerConnection
from ams.core import marketplaces as timezones
from ams.sync import clients
from ams.sync.syncers import orders as orders_syncer
from tests.factories import Personas
from tests.sync.harness import SimSeller, connect, small_config

# The simulator splits days at each marketplace's standard-time offset (no daylight saving);
# the comparison with its truth uses the same zones.
SIM_ZONES = {
    "ATVPDKIKX0DER": "Etc/GMT+8",
    "A2EUQ1WTGCTBG2": "Etc/GMT+5",
    "A1AM78C64UM0Y8": "Etc/GMT+6",
}


@pytest.fixture
def sim_zones(monkeypatch: pytest.MonkeyPatch) -> None:
    for marketplace_id, zone in SIM_ZONES.items():
        monkeypatch.setitem(timezones.TIME_ZONES, marketplace_id, zone)


@pytest.fixture
def fast_sync(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.SYNC_REPORT_POLL_SECONDS = 0.01
    # The simulated history is 60 days; two years of empty windows would only cost time.
    monkeypatch.setattr(orders_syncer, "BACKFILL_DAYS", 70)


@pytest.fixture
def seller() -> Iterator[SimSeller]:
    running = SimSeller.start(small_config())
    yield running
    running.stop()


@pytest.fixture
def connection(
    personas: Personas, seller: SimSeller, monkeypatch: pytest.MonkeyPatch
) -> SellerConnection:
    conn = connect(personas.team, seller)
    monkeypatch.setattr(clients, "client_for", lambda _connection: seller.client())
    return conn
