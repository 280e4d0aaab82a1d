"""The settings mypy's Django plugin loads: AMS's own, with a database URL nobody connects to.

The settings read DATABASE_URL from the environment and refuse to load without it; type checking
only needs their names and types, so it gets a placeholder instead of a running server.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgresql://typecheck@localhost/unused")
os.environ.setdefault("SECRET_KEY", "typecheck-only-" + "x" * 40)

from config.settings import *  # noqa: F403
