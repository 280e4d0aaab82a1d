"""The token vault: envelope encryption bound to team and connection, and who may read it."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import pprint
import secrets
import sys
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone
from django.views.debug import ExceptionReporter

from ams.amazon import vault
from ams.core.db_roles import connected_as
from ams.core.models import AuditEntry
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
    # Each team's audit trail says its secrets were re-sealed, and under which key; no secret.
    for team_id in (a.team.id, a.outsider_team.id):
        with team_scope(team_id):
            rotated = AuditEntry.objects.filter(team_id=team_id, kind="vault.key_rotated")
            assert [e.data for e in rotated] == [{"secrets": 1, "key_id": "k2"}]
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


# --- The stored format: a known answer --------------------------------------------------------

# A row sealed once with a fixed key-encryption key, data key and nonces (bytes(range(...)) below),
# kept as bytes. Every stored token in every database was sealed the same way: if the associated
# data or the envelope layout changes, this row stops decrypting, and so would they after a deploy.
KAT_KEK = bytes(range(32))
KAT_WRAPPED_DEK = bytes.fromhex(
    "3293cefc8d5ee698815e70d039fc9f81b876ef0bd3a0d20d85f375c36b7fdbb844890987db8ceb80b20e16b8e93743df"
)
KAT_DEK_NONCE = bytes(range(76, 88))
KAT_NONCE = bytes(range(64, 76))
KAT_CIPHERTEXT = bytes.fromhex(
    "8320c7f32c3fb24e107b7d43eb25261c3eeff3f08225d54ccaa798170e3ae09cfb728f3300000e"
)


def test_a_row_sealed_by_an_earlier_release_still_decrypts():
    sealed = vault.Sealed("kat-2026", KAT_WRAPPED_DEK, KAT_DEK_NONCE, KAT_NONCE, KAT_CIPHERTEXT)
    with override_settings(VAULT_KEYS={"kat-2026": KAT_KEK}):
        assert (
            vault.unseal(sealed, team_id=41, connection_id=7, kind="refresh")
            == "Atzr|IwEBI-known-answer"
        )
        # The same row under another team (an outsider holding a copy) does not decrypt.
        with pytest.raises(vault.VaultError):
            vault.unseal(sealed, team_id=42, connection_id=7, kind="refresh")


def test_the_associated_data_layout_is_fixed():
    assert vault.associated_data(
        team_id=41, connection_id=7, kind="refresh", kek_id="kat-2026"
    ) == (b'{"connection_id":7,"kek_id":"kat-2026","purpose":"spapi_refresh_token","team_id":41}')
    assert vault.associated_data(team_id=41, connection_id=7, kind="access", kek_id="kat-2026") == (
        b'{"connection_id":7,"kek_id":"kat-2026","purpose":"spapi_access_token","team_id":41}'
    )


# --- Error reports never show a secret ---------------------------------------------------------


def _error_report() -> str:
    """Django's technical 500 page for the exception being handled, as mailed to the admins with
    DEBUG off (the HTML one lists every frame's local variables), from the vault's frames on: the
    test's own frame holds the token too."""
    exc_type, exc_value, tb = sys.exc_info()
    assert tb is not None
    assert tb.tb_next is not None
    return ExceptionReporter(None, exc_type, exc_value, tb.tb_next).get_traceback_html()


def test_an_error_while_sealing_does_not_put_the_token_in_the_error_report():
    token = f"Atzr|IwEBI-{secrets.token_hex(8)}"  # made here, so no source line shown in the report holds it
    with override_settings(VAULT_ACTIVE_KEY_ID="not-configured"):
        try:
            vault.seal(token, team_id=1, connection_id=2, kind="refresh")
        except vault.VaultError:
            report = _error_report()
        else:
            pytest.fail("sealing under a missing key must fail")
    assert (
        "in seal" in report or ">seal<" in report
    )  # the frame is in the report, its locals are not
    assert token not in report


def test_an_error_while_unsealing_does_not_put_the_data_key_in_the_error_report():
    sealed = _sealed()
    aad = vault.associated_data(team_id=1, connection_id=2, kind="refresh", kek_id=sealed.kek_id)
    dek = AESGCM(bytes(settings.VAULT_KEYS[sealed.kek_id])).decrypt(
        sealed.dek_nonce, sealed.wrapped_dek, aad
    )
    # The data key unwraps, then the ciphertext fails its tag: the data key is a live local.
    tampered = vault.Sealed(
        **{
            **sealed.__dict__,
            "ciphertext": bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:],
        }
    )
    try:
        vault.unseal(tampered, team_id=1, connection_id=2, kind="refresh")
    except vault.VaultError:
        exc_type, exc_value, tb = sys.exc_info()
        frames = ExceptionReporter(None, exc_type, exc_value, tb).get_traceback_data()["frames"]
    else:
        pytest.fail("a tampered ciphertext must not decrypt")
    # The page prints each frame's variables as formatted here; bytes may wrap over lines in it,
    # so the unseal frame's variables are compared before they are escaped into HTML.
    (unseal_vars,) = [dict(frame["vars"]) for frame in frames if frame["function"] == "unseal"]
    assert "dek" in unseal_vars
    assert pprint.pformat(dek) not in unseal_vars.values()
    assert all(value == "'********************'" for value in unseal_vars.values())


@pytest.mark.django_db
def test_an_error_while_storing_an_access_token_does_not_put_it_in_the_error_report():
    p = make_personas("v")
    access_token = f"Atza|IwEBI-{secrets.token_hex(8)}"
    with override_settings(VAULT_ACTIVE_KEY_ID="not-configured"):
        try:
            vault.access_token_store(
                team_id=p.team.id,
                connection_id=1,
                access_token=access_token,
                expires_at=timezone.now(),
            )
        except vault.VaultError:
            report = _error_report()
        else:
            pytest.fail("storing under a missing key must fail")
    assert "in access_token_store" in report or ">access_token_store<" in report
    assert access_token not in report


# --- Replacing the refresh token --------------------------------------------------------------


def test_a_new_refresh_token_drops_the_cached_access_token_of_that_connection_only(empty_vault):
    p = make_personas("v")
    later = timezone.now() + timedelta(hours=1)
    for team_id in (p.team.id, p.outsider_team.id):
        vault.refresh_token_store(team_id=team_id, connection_id=1, refresh_token=TOKEN)
        vault.access_token_store(
            team_id=team_id, connection_id=1, access_token="Atza|old", expires_at=later
        )
    vault.access_token_store(
        team_id=p.team.id, connection_id=2, access_token="Atza|other", expires_at=later
    )

    vault.refresh_token_store(team_id=p.team.id, connection_id=1, refresh_token=TOKEN + "-new")

    with connected_as("worker"):
        # The old access token was minted from the old refresh token: it must not be used again.
        assert vault.access_token_read(team_id=p.team.id, connection_id=1) is None
        assert vault.refresh_token_read(team_id=p.team.id, connection_id=1) == TOKEN + "-new"
        assert vault.access_token_read(team_id=p.team.id, connection_id=2) == ("Atza|other", later)
        assert vault.access_token_read(team_id=p.outsider_team.id, connection_id=1) == (
            "Atza|old",
            later,
        )


@pytest.mark.django_db
def test_an_error_while_storing_a_refresh_token_does_not_put_it_in_the_error_report():
    p = make_personas("v")
    refresh_token = f"Atzr|IwEBI-{secrets.token_hex(8)}"
    with override_settings(VAULT_ACTIVE_KEY_ID="not-configured"):
        try:
            vault.refresh_token_store(
                team_id=p.team.id, connection_id=1, refresh_token=refresh_token
            )
        except vault.VaultError:
            report = _error_report()
        else:
            pytest.fail("storing under a missing key must fail")
    assert "in refresh_token_store" in report or ">refresh_token_store<" in report
    assert refresh_token not in report


def test_an_error_while_rotating_does_not_put_the_token_in_the_error_report(empty_vault):
    p = make_personas("v")
    refresh_token = f"Atzr|IwEBI-{secrets.token_hex(8)}"
    old_key = os.urandom(32)
    with override_settings(VAULT_KEYS={"k1": old_key}, VAULT_ACTIVE_KEY_ID="k1"):
        vault.refresh_token_store(team_id=p.team.id, connection_id=1, refresh_token=refresh_token)
    # The new active key is missing from the settings: the row unseals under the old key, then
    # re-sealing fails with the plaintext in hand.
    with (
        override_settings(VAULT_KEYS={"k1": old_key}, VAULT_ACTIVE_KEY_ID="k2"),
        connected_as("worker"),
    ):
        try:
            vault.rotate(team_ids=[p.team.id])
        except vault.VaultError:
            report = _error_report()
        else:
            pytest.fail("rotating to a missing key must fail")
    assert "in rotate" in report or ">rotate<" in report
    assert refresh_token not in report


def test_seals_use_the_standard_96_bit_gcm_nonce():
    # AES-GCM takes other lengths too, but 96 bits is the one it is specified for (NIST SP 800-38D):
    # any other length is first hashed into the counter block.
    sealed = _sealed()
    assert (len(sealed.nonce), len(sealed.dek_nonce)) == (12, 12)


def test_a_sealed_secret_cannot_be_altered_in_place():
    sealed = _sealed()
    with pytest.raises(dataclasses.FrozenInstanceError):
        sealed.ciphertext = b""  # type: ignore[misc]
