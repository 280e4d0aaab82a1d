from __future__ import annotations

import pytest

from tests.factories import Personas, make_personas


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


# The ECB's file as it publishes it (newest first, a trailing comma, N/A for no rate): Thursday
# 5 March 2026 to Monday 9 March, a weekend in between.
ECB_CSV = """Date,USD,JPY,CAD,MXN,GBP,RUB,
2026-03-09,1.0800,160.10,1.4700,19.1000,0.8500,N/A,
2026-03-06,1.1000,161.20,1.5000,19.8000,0.8600,N/A,
2026-03-05,1.0900,160.00,1.4800,19.5000,0.8550,N/A,
"""


@pytest.fixture
def ecb_rates(db: None, tmp_path) -> None:
    """The rates of ECB_CSV, stored through 10 March 2026 (ams.core.exchange_rates)."""
    from datetime import date

    from ams.core.exchange_rates import rates_load

    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_CSV)
    rates_load(path, through=date(2026, 3, 10))
