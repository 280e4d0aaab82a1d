"""The embedded server (dev, test, demo) runs with the settings AMS's sync needs."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from ams.core.embedded_postgres import SERVER_SETTINGS

pytestmark = [
    pytest.mark.django_db,
    # Set with the URLs when the test run started the embedded server (no DATABASE_URL of its own).
    pytest.mark.skipif(
        not os.environ.get("EMBEDDED_DATABASE_DIR"), reason="a server of the operator's own"
    ),
]


def test_the_embedded_server_is_configured_for_bulk_writes():
    with connection.cursor() as cursor:
        for name, value in SERVER_SETTINGS.items():
            # In effect, or (the buffers) written and in effect from the next start.
            cursor.execute(
                "SELECT current_setting(name) = %s OR (context = 'postmaster' AND pending_restart) FROM pg_settings"
                " WHERE name = %s",
                [value, name],
            )
            assert cursor.fetchone() == (True,), name
        cursor.execute("SELECT current_setting('max_wal_size')")
        assert cursor.fetchone() == (SERVER_SETTINGS["max_wal_size"],)
