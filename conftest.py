"""Test set-up shared by every suite.

The test database is created and migrated by the owner role, exactly as in production, and then
every test connects as the app's role, so row-level security is exercised, never bypassed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    from ams.billing import gateway
    from devtools.fake_stripe import default_fake

    # Under tests STRIPE_API_BASE is "inprocess": Stripe's local stand-in answers the SDK's
    # requests in this process, without a socket.
    gateway.use_in_process(default_fake())


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    from django.db import connections

    from ams.core.db_roles import connected_as

    connection = connections["default"]
    original_name = connection.settings_dict["NAME"]
    # One database per test process, so suites run side by side on one server do not collide.
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"test_{original_name}_{os.getpid()}"
    with django_db_blocker.unblock(), connected_as("owner"):
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    yield
    with django_db_blocker.unblock(), connected_as("owner"):
        connection.creation.destroy_test_db(original_name, verbosity=0, keepdb=False)
