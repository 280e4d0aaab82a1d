"""The token vault: SP-API refresh tokens and cached access tokens, sealed with envelope encryption.

Each secret gets a fresh 256-bit data key (DEK); the secret is sealed with AES-256-GCM under the
DEK, and the DEK is wrapped with AES-256-GCM under a key-encryption key (KEK) from the environment.
Both seals carry the same associated data: the team, the connection, the purpose and the KEK id.
A row copied to another team or connection (or relabelled with another key id) therefore never
decrypts: the tag check fails.

The table sits in its own schema. The web role may insert and delete rows but not read the key or
the ciphertext (the grants are in migration 0002); reads run as the worker role, in the sync worker
or inside ``connected_as("worker")``. Every function here works inside ``team_scope`` of the team
it names (row-level security is forced on the table too). Functions that hold a plaintext secret
are marked ``sensitive_variables`` so Django's error reports never print their locals.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection
from django.views.decorators.debug import sensitive_variables

from ams.core.audit_log import audit_record
from ams.core.tenancy import team_scope

Kind = Literal["refresh", "access"]
PURPOSES: dict[str, str] = {"refresh": "spapi_refresh_token", "access": "spapi_access_token"}
NONCE_BYTES = 12
TABLE = "vault.spapi_credential"


class VaultError(Exception):
    """A secret is missing or does not decrypt. The message never contains key material."""


class SecretMissing(VaultError):
    pass


@dataclass(frozen=True)
class Sealed:
    kek_id: str
    wrapped_dek: bytes
    dek_nonce: bytes
    nonce: bytes
    ciphertext: bytes

    def __repr__(self) -> str:
        return f"Sealed(kek_id={self.kek_id!r}, ciphertext=<{len(self.ciphertext)} bytes>)"


def associated_data(*, team_id: int, connection_id: int, kind: Kind, kek_id: str) -> bytes:
    """Canonical JSON: the same ids always give the same bytes, whatever the caller's dict order."""
    return json.dumps(
        {
            "team_id": team_id,
            "connection_id": connection_id,
            "purpose": PURPOSES[kind],
            "kek_id": kek_id,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def _kek(kek_id: str) -> bytes:
    try:
        return bytes(settings.VAULT_KEYS[kek_id])
    except KeyError:
        raise VaultError(f"the vault key {kek_id!r} is not configured (VAULT_KEYS)") from None


@sensitive_variables()
def seal(
    plaintext: str, *, team_id: int, connection_id: int, kind: Kind, kek_id: str | None = None
) -> Sealed:
    kek_id = kek_id or settings.VAULT_ACTIVE_KEY_ID
    aad = associated_data(team_id=team_id, connection_id=connection_id, kind=kind, kek_id=kek_id)
    dek = AESGCM.generate_key(bit_length=256)
    nonce, dek_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(dek).encrypt(nonce, plaintext.encode(), aad)
    wrapped_dek = AESGCM(_kek(kek_id)).encrypt(dek_nonce, dek, aad)
    return Sealed(kek_id, wrapped_dek, dek_nonce, nonce, ciphertext)


@sensitive_variables()
def unseal(sealed: Sealed, *, team_id: int, connection_id: int, kind: Kind) -> str:
    aad = associated_data(
        team_id=team_id, connection_id=connection_id, kind=kind, kek_id=sealed.kek_id
    )
    try:
        dek = AESGCM(_kek(sealed.kek_id)).decrypt(sealed.dek_nonce, sealed.wrapped_dek, aad)
        return AESGCM(dek).decrypt(sealed.nonce, sealed.ciphertext, aad).decode()
    except InvalidTag:
        # Wrong team, connection, purpose or key: a copied or tampered row.
        raise VaultError("the stored secret does not decrypt for this connection") from None


# --- storage --------------------------------------------------------------------------------------


@sensitive_variables()
def _insert(
    *, team_id: int, connection_id: int, kind: Kind, secret: str, expires_at: datetime | None
) -> None:
    sealed = seal(secret, team_id=team_id, connection_id=connection_id, kind=kind)
    with connection.cursor() as cursor:
        # The web role may not SELECT the row back, so no RETURNING of secret columns here.
        cursor.execute(
            f"DELETE FROM {TABLE} WHERE team_id = %s AND connection_id = %s AND kind = %s",  # noqa: S608
            [team_id, connection_id, kind],
        )
        cursor.execute(
            f"INSERT INTO {TABLE} (team_id, connection_id, kind, kek_id, wrapped_dek, dek_nonce, nonce, "  # noqa: S608
            "ciphertext, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                team_id,
                connection_id,
                kind,
                sealed.kek_id,
                sealed.wrapped_dek,
                sealed.dek_nonce,
                sealed.nonce,
                sealed.ciphertext,
                expires_at,
            ],
        )


@sensitive_variables()
def _read(*, team_id: int, connection_id: int, kind: Kind) -> tuple[str, datetime | None]:
    with team_scope(team_id), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT kek_id, wrapped_dek, dek_nonce, nonce, ciphertext, expires_at FROM {TABLE} "  # noqa: S608
            "WHERE team_id = %s AND connection_id = %s AND kind = %s",
            [team_id, connection_id, kind],
        )
        row = cursor.fetchone()
    if row is None:
        raise SecretMissing(f"no {kind} token in the vault for connection {connection_id}")
    kek_id, wrapped_dek, dek_nonce, nonce, ciphertext, expires_at = row
    sealed = Sealed(kek_id, bytes(wrapped_dek), bytes(dek_nonce), bytes(nonce), bytes(ciphertext))
    return unseal(sealed, team_id=team_id, connection_id=connection_id, kind=kind), expires_at


@sensitive_variables()
def refresh_token_store(*, team_id: int, connection_id: int, refresh_token: str) -> None:
    """Replace the connection's refresh token (and drop its cached access token). Web role may call."""
    with team_scope(team_id):
        _insert(
            team_id=team_id,
            connection_id=connection_id,
            kind="refresh",
            secret=refresh_token,
            expires_at=None,
        )
        secrets_delete(team_id=team_id, connection_id=connection_id, kind="access")


def refresh_token_read(*, team_id: int, connection_id: int) -> str:
    """The connection's refresh token. Worker role only: the web role gets permission denied."""
    return _read(team_id=team_id, connection_id=connection_id, kind="refresh")[0]


@sensitive_variables()
def access_token_store(
    *, team_id: int, connection_id: int, access_token: str, expires_at: datetime
) -> None:
    with team_scope(team_id):
        _insert(
            team_id=team_id,
            connection_id=connection_id,
            kind="access",
            secret=access_token,
            expires_at=expires_at,
        )


def access_token_read(*, team_id: int, connection_id: int) -> tuple[str, datetime | None] | None:
    try:
        return _read(team_id=team_id, connection_id=connection_id, kind="access")
    except SecretMissing:
        return None


def secrets_delete(*, team_id: int, connection_id: int, kind: Kind | None = None) -> int:
    """Delete the connection's secrets (crypto-shredding: the wrapped data key goes with them)."""
    with team_scope(team_id), connection.cursor() as cursor:
        if kind is None:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE team_id = %s AND connection_id = %s",  # noqa: S608
                [team_id, connection_id],
            )
        else:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE team_id = %s AND connection_id = %s AND kind = %s",  # noqa: S608
                [team_id, connection_id, kind],
            )
        return int(cursor.rowcount)


# --- rotation -------------------------------------------------------------------------------------


def rows_per_key(*, team_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for team_id in team_ids:
        with team_scope(team_id), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT kek_id, count(*) FROM {TABLE} WHERE team_id = %s GROUP BY kek_id",  # noqa: S608
                [team_id],
            )
            for kek_id, count in cursor.fetchall():
                counts[kek_id] = counts.get(kek_id, 0) + int(count)
    return counts


@sensitive_variables()
def rotate(*, team_ids: list[int]) -> int:
    """Re-seal every row not under the active key with the active key; returns how many rows.

    One team per transaction, rows locked while they are re-sealed, so a concurrent refresh of the
    same token either waits or is waited for. Worker (or owner) role only.
    """
    active = settings.VAULT_ACTIVE_KEY_ID
    rotated = 0
    for team_id in team_ids:
        team_rotated = 0
        with team_scope(team_id), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, connection_id, kind, kek_id, wrapped_dek, dek_nonce, nonce, ciphertext FROM {TABLE} "  # noqa: S608
                "WHERE team_id = %s AND kek_id <> %s FOR UPDATE",
                [team_id, active],
            )
            for (
                row_id,
                connection_id,
                kind,
                kek_id,
                wrapped_dek,
                dek_nonce,
                nonce,
                ciphertext,
            ) in cursor.fetchall():
                old = Sealed(
                    kek_id, bytes(wrapped_dek), bytes(dek_nonce), bytes(nonce), bytes(ciphertext)
                )
                plaintext = unseal(old, team_id=team_id, connection_id=connection_id, kind=kind)
                new = seal(
                    plaintext,
                    team_id=team_id,
                    connection_id=connection_id,
                    kind=kind,
                    kek_id=active,
                )
                cursor.execute(
                    f"UPDATE {TABLE} SET kek_id = %s, wrapped_dek = %s, dek_nonce = %s, nonce = %s, "  # noqa: S608
                    "ciphertext = %s, rotated_at = now() WHERE id = %s",
                    [new.kek_id, new.wrapped_dek, new.dek_nonce, new.nonce, new.ciphertext, row_id],
                )
                team_rotated += 1
            if team_rotated:
                audit_record(
                    team_id=team_id,
                    actor_id=None,
                    kind="vault.key_rotated",
                    secrets=team_rotated,
                    key_id=active,
                )
        rotated += team_rotated
    return rotated
