"""Parsing of the vault's key-encryption keys (KEKs) from the environment.

Imported by the settings module, so it imports nothing from Django.
"""

from __future__ import annotations

import base64
import binascii
import json

# A fixed, public key for dev, test and the demo: it protects nothing and says so in its id.
# Production refuses to start without VAULT_KEYS (config/env.py).
DEVELOPMENT_KEY_ID = "dev-not-secret"
DEVELOPMENT_KEY = b"ams-development-vault-key-000000"
KEY_BYTES = 32


def parse_vault_keys(raw: str | None, active_id: str | None) -> tuple[dict[str, bytes], str]:
    """``VAULT_KEYS`` (JSON: key id -> base64 of 32 bytes) and ``VAULT_ACTIVE_KEY_ID``."""
    if raw is None:
        if active_id and active_id != DEVELOPMENT_KEY_ID:
            raise ValueError("VAULT_ACTIVE_KEY_ID is set but VAULT_KEYS is not")
        return {DEVELOPMENT_KEY_ID: DEVELOPMENT_KEY}, DEVELOPMENT_KEY_ID
    try:
        encoded = json.loads(raw)
    except ValueError:
        raise ValueError("VAULT_KEYS must be a JSON object of key id -> base64 key") from None
    if not isinstance(encoded, dict) or not encoded:
        raise ValueError("VAULT_KEYS must be a non-empty JSON object of key id -> base64 key")
    keys: dict[str, bytes] = {}
    for key_id, value in encoded.items():
        if not isinstance(key_id, str) or not key_id or len(key_id) > 32:
            raise ValueError("VAULT_KEYS ids must be non-empty strings of at most 32 characters")
        try:
            key = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"VAULT_KEYS[{key_id!r}] is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"VAULT_KEYS[{key_id!r}] must decode to {KEY_BYTES} bytes")
        keys[key_id] = key
    if not active_id:
        raise ValueError("VAULT_ACTIVE_KEY_ID is required when VAULT_KEYS is set")
    if active_id not in keys:
        raise ValueError("VAULT_ACTIVE_KEY_ID names no key in VAULT_KEYS")
    return keys, active_id
