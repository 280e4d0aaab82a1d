"""spapi_client_for: the worker's client, with the vault's tokens and the shared limiter."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test import Client

import spapi
from ams.amazon import services, vault
from ams.amazon.clients import spapi_client_for
from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.core.db_roles import connected_as
from ams.core.tenancy import team_scope
from tests.amazon.conftest import Amazon, start_connect
from tests.factories import Personas, make_personas


def _connect(p: Personas, amazon: Amazon, seller: str) -> SellerConnection:
    client = Client()
    client.force_login(p.owner)
    assert (
        client.get(amazon.approve(start_connect(client, p.team.slug), seller=seller)).status_code
        == 302
    )
    with team_scope(p.team.id):
        return SellerConnection.objects.get(team=p.team, selling_partner_id=seller)


def test_the_worker_client_caches_one_access_token_in_the_vault(empty_vault, amazon: Amazon):
    p = make_personas("c")
    conn = _connect(p, amazon, amazon.sellers[0])
    with connected_as("worker"):
        spapi_client_for(conn).get_marketplace_participations()
        first = vault.access_token_read(team_id=p.team.id, connection_id=conn.id)
        # Another process's client finds the token and does not mint a new one.
        spapi_client_for(conn).get_marketplace_participations()
        second = vault.access_token_read(team_id=p.team.id, connection_id=conn.id)
    assert first is not None
    assert first == second
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tokens, burst FROM amazon_spapi_rate_bucket WHERE seller_id = %s AND operation = %s",
            [conn.selling_partner_id, "sellers.getMarketplaceParticipations"],
        )
        tokens, burst = cursor.fetchone()
    assert tokens < burst  # both calls went through the shared bucket


def test_a_revoked_authorization_raises_and_flags_the_connection(empty_vault, amazon: Amazon):
    p = make_personas("c")
    # The second seller, so other tests' tokens for the first are not revoked.
    conn = _connect(p, amazon, amazon.sellers[1])
    amazon.revoke(amazon.sellers[1])
    with connected_as("worker"), pytest.raises(spapi.AuthorizationRevoked):
        spapi_client_for(conn).get_marketplace_participations()
    services.connection_mark_needs_reauthorization(
        connection=conn, reason="Amazon refused the refresh token."
    )
    with team_scope(p.team.id):
        conn.refresh_from_db()
    assert conn.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    # Re-authorizing issues a new refresh token that works again.
    owner = Client()
    owner.force_login(p.owner)
    consent = owner.post(f"/t/{p.team.slug}/amazon/{conn.id}/reauthorize/")["Location"]
    assert owner.get(amazon.approve(consent, seller=amazon.sellers[1])).status_code == 302
    with connected_as("worker"):
        assert spapi_client_for(conn).get_marketplace_participations()["payload"]


@pytest.mark.django_db
def test_the_web_role_cannot_use_the_worker_client(personas, amazon: Amazon):
    client = Client()
    client.force_login(personas.owner)
    client.get(amazon.approve(start_connect(client, personas.team.slug)))
    with team_scope(personas.team.id):
        conn = SellerConnection.objects.get(team=personas.team)
    with pytest.raises(DatabaseError, match=r"permission denied|current transaction is aborted"):
        spapi_client_for(conn).get_marketplace_participations()


@pytest.mark.django_db
def test_a_limiter_with_a_max_wait_refuses_instead_of_sleeping():
    from ams.amazon.ratelimit import PostgresLimiter

    sleeps: list[float] = []
    limiter = PostgresLimiter(sleep=sleeps.append, max_wait=5)
    operation = "sellers.getMarketplaceParticipations"  # burst 15, one token a minute
    for _ in range(15):
        limiter.acquire("A1WEBSELLER", operation)
    for _ in range(2):
        with pytest.raises(spapi.Throttled):
            limiter.acquire("A1WEBSELLER", operation)
    assert sleeps == []
    # The refused requests took no token: a patient caller queues for the first refill only.
    assert 55 < PostgresLimiter(sleep=sleeps.append).reserve("A1WEBSELLER", operation) < 65
