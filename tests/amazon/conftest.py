from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from ams.core.db_roles import connected_as


@pytest.fixture
def empty_vault(transactional_db: None) -> Iterator[None]:
    """The vault is outside Django's flush (its own schema): empty it around transactional tests."""

    def truncate() -> None:
        with connected_as("owner"), connection.cursor() as cursor:
            # TRUNCATE is not subject to row-level security; only the owner may run it.
            cursor.execute("TRUNCATE vault.spapi_credential")

    truncate()
    yield
    truncate()
