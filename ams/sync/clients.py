"""The SP-API client a sync uses for a connection: the connections app's, with the vault's tokens.

Kept behind this one function so tests can hand the sync a client of their own (built from the
simulator's tokens) without a vault.
"""

from __future__ import annotations

from ams.amazon.models import SellerConnection
from spapi.client import SpApiClient


def client_for(connection: SellerConnection) -> SpApiClient:
    from ams.amazon.clients import spapi_client_for

    return spapi_client_for(connection)
