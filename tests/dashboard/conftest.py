# The simulated seller of the sync tests, for checking the pages against the simulator's truth.
from tests.sync.conftest import connection, fast_sync, seller, sim_zones  # noqa: F401
