"""``python -m spapi_sim serve|info|bench``."""

from spapi_sim.cli import main

raise SystemExit(main())
