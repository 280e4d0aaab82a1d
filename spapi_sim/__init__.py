"""spapi_sim: a local Amazon (SP-API, Login with Amazon and Seller Central consent) for AMS.

    from spapi_sim import SimConfig, start_server

    with start_server(SimConfig(seed=42, sellers=1, skus_per_seller=50, history_days=60)) as sim:
        sim.base_url   # SP-API paths, /auth/o2/token, /apps/authorize/consent, /_sim/...
        sim.info()     # application id, LWA client id/secret, sellers

No Django import, stdlib only. See README.md in this folder.
"""

from spapi_sim.config import FaultConfig, SimConfig
from spapi_sim.server import SimServer, start_server

__all__ = ["FaultConfig", "SimConfig", "SimServer", "start_server"]
