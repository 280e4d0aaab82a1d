"""A refresh token planted through the real flow never shows up outside the vault.

The token the simulator issued is read back from the vault (as the worker), then searched for in
every page of the team, every log record, every text, JSON and binary column of every table
outside the vault schema (found from the catalog), every session and every email.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection as db
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from ams.amazon import vault
from ams.amazon.clients import spapi_client_for
from ams.amazon.models import SellerConnection
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from ams.teams.models import Team
from tests.amazon.conftest import Amazon, start_connect
from tests.factories import Personas, make_personas
from tests.test_route_probe import OWN_ROUTES, TEAM_ROUTES, _fill, _team_objects

ANY_LWA_TOKEN = re.compile(r"Atz[ar]\|")
_COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, NULL)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'vault') AND n.nspname NOT LIKE 'pg_toast%%'
  AND format_type(a.atttypid, NULL) IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
ORDER BY 1, 2, 3
"""


def _columns() -> dict[tuple[str, str], list[tuple[str, str]]]:
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    with db.cursor() as cursor:
        cursor.execute(_COLUMNS)
        for schema, table, column, kind in cursor.fetchall():
            tables.setdefault((schema, table), []).append((column, kind))
    return tables


def _database_hits(secrets: list[str]) -> list[str]:
    """Rows outside the vault holding any of the secrets, searched in every team's scope."""
    hits: list[str] = []
    tables = _columns()
    assert ("public", "amazon_sellerconnection") in tables
    scopes: list[int | None] = [None, *Team.objects.values_list("id", flat=True)]
    for (schema, table), columns in tables.items():
        for secret in secrets:
            tests = [
                f"position(convert_to(%s, 'UTF8') in \"{column}\") > 0"
                if kind == "bytea"
                else f'"{column}"::text LIKE %s'
                for column, kind in columns
            ]
            params = [secret if kind == "bytea" else f"%{secret}%" for _column, kind in columns]
            query = f'SELECT count(*) FROM "{schema}"."{table}" WHERE ' + " OR ".join(tests)  # noqa: S608
            for scope in scopes:
                with transaction.atomic():
                    if scope is not None:
                        db.cursor().execute(
                            "SELECT set_config('ams.team_id', %s, true)", [str(scope)]
                        )
                    with db.cursor() as cursor:
                        cursor.execute(query, params)
                        if cursor.fetchone()[0]:
                            hits.append(f"{schema}.{table} (team {scope})")
    return hits


def _body(response: HttpResponseBase) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    return raw.decode(errors="replace") + repr(dict(response.items()))


def _pages(p: Personas, client: Client) -> dict[str, str]:
    """Every team page (the route probe's list, so new pages are scanned too) and every user page."""
    pages: dict[str, str] = {}
    for route in TEAM_ROUTES:
        try:
            url = _fill(route, p, p.team.slug)
        except (AssertionError, LookupError):
            continue  # an object kind the probe's fixtures do not make; the probe itself fails for it
        pages[url] = _body(client.get(url))
    for route in OWN_ROUTES:
        url = reverse(route.name, kwargs=dict.fromkeys(route.kwargs, "not-a-real-token"))
        pages[url] = _body(client.get(url))
    assert f"/t/{p.team.slug}/amazon/" in pages
    return pages


@pytest.mark.slow
def test_a_canary_refresh_token_never_leaves_the_vault(empty_vault, amazon: Amazon, caplog):
    caplog.set_level(logging.DEBUG)
    p = make_personas("canary")
    _team_objects(p)
    owner = Client()
    owner.force_login(p.owner)
    callback = amazon.approve(start_connect(owner, p.team.slug))
    assert owner.get(callback).status_code == 302
    with team_scope(p.team.id):
        conn = SellerConnection.objects.get(team=p.team, selling_partner_id=amazon.sellers[0])

    # The sync worker's path: the client reads the refresh token and caches an access token.
    with connected_as("worker"):
        client = spapi_client_for(conn)
        participations = client.get_marketplace_participations()
        refresh_token = vault.refresh_token_read(team_id=p.team.id, connection_id=conn.id)
        cached = vault.access_token_read(team_id=p.team.id, connection_id=conn.id)
    assert participations["payload"]
    assert refresh_token.startswith("Atzr|")
    assert cached is not None
    access_token = cached[0]
    assert access_token.startswith("Atza|")
    secrets = [refresh_token, access_token]

    for url, body in _pages(p, owner).items():
        for secret in secrets:
            assert secret not in body, url
        assert not ANY_LWA_TOKEN.search(body), url

    with connected_as("worker"):
        assert _database_hits(secrets) == []
    for session in Session.objects.all():
        decoded = repr(session.get_decoded())
        assert not any(s in decoded for s in secrets)

    # Disconnect through the page; the page after it shows no token either.
    response = owner.post(f"/t/{p.team.slug}/amazon/{conn.id}/disconnect/", follow=True)
    assert "Manage Your Apps" in response.content.decode()
    for url, body in _pages(p, owner).items():
        assert not ANY_LWA_TOKEN.search(body), url

    records = caplog.records
    assert records, "no log records were captured"
    for record in records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in secrets:
            assert secret not in text, record.name
    for message in mail.outbox:
        body = message.body + "".join(str(alt[0]) for alt in getattr(message, "alternatives", []))
        assert not any(s in body for s in secrets)


def test_the_scan_finds_a_token_planted_outside_the_vault(empty_vault):
    """The scanner itself works: a token written into an ordinary column is found."""
    p = make_personas("canary")
    secret = "Atzr|CANARY-planted-in-the-wrong-place"
    with team_scope(p.team.id):
        SellerConnection.objects.create(
            team=p.team,
            selling_partner_id="A1",
            region="NA",
            authorized_at="2026-01-01T00:00:00Z",
            status_reason=secret,
        )
    with connected_as("worker"):
        assert _database_hits([secret]) == [f"public.amazon_sellerconnection (team {p.team.id})"]
