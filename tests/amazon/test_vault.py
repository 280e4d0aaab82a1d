"""The token vault: envelope encryption bound to team and connection, and who may read it."""

from __future__ import annotations

import base64
import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from ams.amazon import vault
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from tests.factories import make_personas

TOKEN = "Atzr|IwEBI-vault-test-token"


def _sealed(team_id: int = 1, connection_id: int = 2) -> vault.Sealed:
    return vault.seal(TOKEN, team_id=team_id, connection_id=connection_id, kind="refresh")


def test_a_sealed_token_round_trips():
    sealed = _sealed()
    assert TOKEN.encode() not in sealed.ciphertext
    assert vault.unseal(sealed, team_id=1, connection_id=2, kind="refresh") == TOKEN


@pytest.mark.parametrize(
    "other",
    [{"team_id": 9}, {"connection_id": 9}, {"kind": "access"}],
    ids=["team", "connection", "purpose"],
)
def test_a_sealed_token_does_not_decrypt_for_another_team_connection_or_purpose(other):
    sealed = _sealed()
    ids = {"team_id": 1, "connection_id": 2, "kind": "refresh", **other}
    with pytest.raises(vault.VaultError):
        vault.unseal(sealed, **ids)


@pytest.mark.parametrize("field", ["wrapped_dek", "dek_nonce", "nonce", "ciphertext"])
def test_a_flipped_bit_anywhere_fails(field):
    sealed = _sealed()
    raw = bytearray(getattr(sealed, field))
    raw[0] ^= 1
    tampered = vault.Sealed(**{**sealed.__dict__, field: bytes(raw)})
    with pytest.raises(vault.VaultError):
        vault.unseal(tampered, team_id=1, connection_id=2, kind="refresh")


def test_every_seal_uses_a_fresh_key_and_nonces():
    a, b = _sealed(), _sealed()
    assert a.nonce != b.nonce
    assert a.dek_nonce != b.dek_nonce
    assert a.wrapped_dek != b.wrapped_dek
    assert a.ciphertext != b.ciphertext


def test_the_repr_of_a_sealed_secret_shows_no_bytes():
    assert "ciphertext=<" in repr(_sealed())


@pytest.mark.django_db
def test_the_web_role_can_store_but_never_read_the_ciphertext():
    p = make_personas("v")
    vault.refresh_token_store(team_id=p.team.id, connection_id=1, refresh_token=TOKEN)
    with team_scope(p.team.id):
        for column in ("ciphertext", "wrapped_dek", "kek_id", "nonce", "*"):
            with (
                pytest.raises(DatabaseError, match="permission denied"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(f"SELECT {column} FROM vault.spapi_credential")  # noqa: S608
    # (team_scope's own clean-up masks the message here, hence no match.)
    with pytest.raises(DatabaseError), transaction.atomic():
        vault.refresh_token_read(team_id=p.team.id, connection_id=1)
    # It can still see that a row exists (the columns its DELETE filters on) and delete it.
    with team_scope(p.team.id), connection.cursor() as cursor:
        cursor.execute("SELECT kind FROM vault.spapi_credential WHERE connection_id = 1")
        assert cursor.fetchall() == [("refresh",)]
    assert vault.secrets_delete(team_id=p.team.id, connection_id=1) == 1


def test_the_worker_reads_what_the_web_role_stored(empty_vault):
    p = make_personas("v")
    vault.refresh_token_store(team_id=p.team.id, connection_id=7, refresh_token=TOKEN)
    with connected_as("worker"):
        assert vault.refresh_token_read(team_id=p.team.id, connection_id=7) == TOKEN
        # Another team's scope sees no row at all (row-level security).
        with pytest.raises(vault.SecretMissing):
            vault.refresh_token_read(team_id=p.outsider_team.id, connection_id=7)


def _copy_row(*, from_team: int, from_connection: int, to_team: int, to_connection: int) -> None:
    columns = "kind, kek_id, wrapped_dek, dek_nonce, nonce, ciphertext"
    with team_scope(from_team), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM vault.spapi_credential WHERE connection_id = %s",  # noqa: S608
            [from_connection],
        )
        row = cursor.fetchone()
    with team_scope(to_team), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO vault.spapi_credential (team_id, connection_id, {columns}) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [to_team, to_connection, *row],
        )


def test_a_row_copied_to_another_connection_or_team_fails_to_decrypt(empty_vault):
    p = make_personas("v")
    vault.refresh_token_store(team_id=p.team.id, connection_id=1, refresh_token=TOKEN)
    with connected_as("worker"):
        _copy_row(from_team=p.team.id, from_connection=1, to_team=p.team.id, to_connection=2)
        _copy_row(
            from_team=p.team.id, from_connection=1, to_team=p.outsider_team.id, to_connection=1
        )
        with pytest.raises(vault.VaultError, match="does not decrypt"):
            vault.refresh_token_read(team_id=p.team.id, connection_id=2)
        with pytest.raises(vault.VaultError, match="does not decrypt"):
            vault.refresh_token_read(team_id=p.outsider_team.id, connection_id=1)
        assert vault.refresh_token_read(team_id=p.team.id, connection_id=1) == TOKEN


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_rotation_re_seals_every_row_under_the_new_key_and_reports_counts(empty_vault):
    old, new = _key(), _key()
    a = make_personas("r")
    with override_settings(VAULT_KEYS={"k1": base64.b64decode(old)}, VAULT_ACTIVE_KEY_ID="k1"):
        vault.refresh_token_store(team_id=a.team.id, connection_id=1, refresh_token=TOKEN)
        vault.refresh_token_store(
            team_id=a.outsider_team.id, connection_id=2, refresh_token=TOKEN + "-b"
        )
    keys = {"k1": base64.b64decode(old), "k2": base64.b64decode(new)}
    with override_settings(VAULT_KEYS=keys, VAULT_ACTIVE_KEY_ID="k2"):
        out = StringIO()
        call_command("vault_rotate", stdout=out)
        report = json.loads(out.getvalue())
        assert report["rotated"] == 2
        assert report["rows_per_key"] == {"k2": 2}
        assert report["rows_on_old_keys"] == {}
        again = StringIO()
        call_command("vault_rotate", stdout=again)
        assert json.loads(again.getvalue())["rotated"] == 0
    # The old key can now be retired: everything decrypts with the new one alone.
    with (
        override_settings(VAULT_KEYS={"k2": base64.b64decode(new)}, VAULT_ACTIVE_KEY_ID="k2"),
        connected_as("worker"),
    ):
        assert vault.refresh_token_read(team_id=a.team.id, connection_id=1) == TOKEN
        assert vault.refresh_token_read(team_id=a.outsider_team.id, connection_id=2) == TOKEN + "-b"


def test_rows_on_a_retired_key_are_reported_not_lost(empty_vault):
    a = make_personas("r")
    keys = {"k1": os.urandom(32), "k2": os.urandom(32)}
    with override_settings(VAULT_KEYS=keys, VAULT_ACTIVE_KEY_ID="k1"):
        vault.refresh_token_store(team_id=a.team.id, connection_id=1, refresh_token=TOKEN)
    with override_settings(VAULT_KEYS=keys, VAULT_ACTIVE_KEY_ID="k1"):
        out = StringIO()
        call_command("vault_rotate", stdout=out)
        assert json.loads(out.getvalue())["rows_per_key"] == {"k1": 1}
