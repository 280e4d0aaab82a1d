"""Test set-up shared by every suite, and the test run's entry point.

The settings only read the environment, so this file does what manage.py does for the other
commands: unless DATABASE_URL names a server, it starts (or attaches to) the embedded PostgreSQL
under .devdb/ and puts its URLs in the environment, and only then loads the settings. That is
also why DJANGO_SETTINGS_MODULE is set here and not in pytest's configuration: pytest-django
would load the settings from there before any conftest runs. Django is set up before the suites'
conftests, which import models.

The test database is created and migrated by the owner role, exactly as in production, and then
every test connects as the app's role, so row-level security is exercised, never bypassed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest

from ams.core import embedded_postgres
from config import local_secret

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
embedded_postgres.environ_ensure(Path(__file__).resolve().parent / ".devdb")
local_secret.environ_ensure(Path(__file__).resolve().parent / ".devdb")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()


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
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=False, serialize=False
        )
    yield
    with django_db_blocker.unblock(), connected_as("owner"):
        connection.creation.destroy_test_db(original_name, verbosity=0, keepdb=False)
