"""Disconnect (token gone at once, work cancelled) and the purge after the grace period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.db import connection as db
from django.test import Client
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob
from psycopg import sql

from ams.amazon import purge, services, vault
from ams.amazon.models import ConnectionStatus, DeletionRecord, SellerConnection
from ams.amazon.signals import connection_disconnected
from ams.amazon.tasks import purge_connection, purge_due_connections
from ams.core import purge as core_purge
from ams.core.db_roles import connected_as, role_name
from ams.core.models import AuditEntry, UsageEvent
from ams.core.purge import count_rows
from ams.core.tenancy import rls_statements, team_scope
from ams.teams.models import Membership
from tests.amazon.factories import make_connection
from tests.catalogue import columns_holding
from tests.factories import Personas, make_personas


def _membership(p: Personas, user) -> Membership:
    with team_scope(p.team.id):
        return Membership.objects.get(team=p.team, user=user)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _secret_kinds(team_id: int, connection_id: int) -> list[str]:
    with team_scope(team_id), db.cursor() as cursor:
        cursor.execute(
            "SELECT kind FROM vault.spapi_credential WHERE connection_id = %s ORDER BY kind",
            [connection_id],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_disconnect_deletes_the_token_at_once_cancels_work_and_tells_the_user_about_seller_central(
    personas, django_capture_on_commit_callbacks
):
    conn = make_connection(personas.team)
    other = make_connection(personas.team)
    for c in (conn, other):
        vault.refresh_token_store(
            team_id=personas.team.id, connection_id=c.id, refresh_token="Atzr|IwEBI-x"
        )
    queued = purge_connection.defer(team_id=personas.team.id, connection_id=conn.id)
    untouched = purge_connection.defer(team_id=personas.team.id, connection_id=other.id)
    seen: list[tuple[str, list[str]]] = []

    def receiver(sender, connection, **kwargs):
        # Inside the transaction: the token is already gone and the status already says so.
        seen.append((connection.status, _secret_kinds(connection.team_id, connection.id)))

    connection_disconnected.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = _client(personas.admin).post(
                f"/t/{personas.team.slug}/amazon/{conn.id}/disconnect/", follow=True
            )
    finally:
        connection_disconnected.disconnect(receiver)
    page = response.content.decode()
    assert "Manage Your Apps" in page
    assert "refresh token deleted" in page
    assert seen == [(ConnectionStatus.DISCONNECTED, [])]
    assert _secret_kinds(personas.team.id, conn.id) == []
    assert _secret_kinds(personas.team.id, other.id) == ["refresh"]
    with team_scope(personas.team.id):
        conn.refresh_from_db()
        record = DeletionRecord.objects.get(team=personas.team, connection_ref=conn.id)
        assert (
            UsageEvent.objects.filter(
                kind="amazon.disconnected", data__connection_id=conn.id
            ).count()
            == 1
        )
        # And in the security audit trail, with who did it.
        (audited,) = AuditEntry.objects.filter(kind="amazon.disconnected")
        assert (audited.actor_id, audited.data) == (personas.admin.id, {"connection_id": conn.id})
    assert conn.status == ConnectionStatus.DISCONNECTED
    # The team sees who disconnected it, by name.
    assert conn.status_reason == f"Disconnected by {personas.admin.name}."
    listed = _client(personas.viewer).get(f"/t/{personas.team.slug}/amazon/").content.decode()
    assert (
        f"Disconnected by {personas.admin.name}." in listed.split(f'id="connection-{conn.id}"')[1]
    )
    assert conn.disconnected_at is not None
    assert conn.purge_due_at == conn.disconnected_at + timedelta(days=3)
    assert record.due_at == conn.purge_due_at
    assert record.verified is False
    assert ProcrastinateJob.objects.get(id=queued).status == "cancelled"
    assert ProcrastinateJob.objects.get(id=untouched).status == "todo"
    # The purge is scheduled for the end of the grace period.
    scheduled = ProcrastinateJob.objects.filter(
        task_name__endswith="purge_connection", status="todo", args__connection_id=conn.id
    )
    assert [j.scheduled_at for j in scheduled] == [conn.purge_due_at]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_members_and_viewers_cannot_disconnect(personas, persona):
    conn = make_connection(personas.team)
    response = _client(getattr(personas, persona)).post(
        f"/t/{personas.team.slug}/amazon/{conn.id}/disconnect/"
    )
    assert response.status_code == 403
    with team_scope(personas.team.id):
        conn.refresh_from_db()
    assert conn.is_live


@pytest.mark.django_db
def test_the_grace_period_is_configurable(personas, settings):
    settings.AMAZON_PURGE_GRACE_DAYS = 0
    conn = make_connection(personas.team)
    services.connection_disconnect(connection=conn, actor=_membership(personas, personas.owner))
    with team_scope(personas.team.id):
        conn.refresh_from_db()
    assert conn.purge_due_at == conn.disconnected_at


@pytest.mark.django_db
def test_a_live_connection_is_never_purged(personas):
    conn = make_connection(personas.team)
    with pytest.raises(purge.PurgeRefused):
        purge.connection_purge(connection=conn)


# --- the purge, as the worker runs it ---------------------------------------------------------------

PARENT = "amazon_test_purge_rows"
CHILD = "amazon_test_purge_children"


@pytest.fixture
def extra_tables(empty_vault) -> Iterator[None]:
    """Two throwaway tenant tables with a connection key (the child references the parent),
    created as the owner with forced RLS, as a migration would."""
    app = sql.Identifier(role_name("app"))
    with connected_as("owner"), db.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {PARENT} (id bigserial PRIMARY KEY, team_id bigint NOT NULL, "
            "connection_id bigint NOT NULL, payload text NOT NULL)"
        )
        cursor.execute(
            f"CREATE TABLE {CHILD} (id bigserial PRIMARY KEY, team_id bigint NOT NULL, "
            f"connection_id bigint NOT NULL, parent_id bigint NOT NULL REFERENCES {PARENT}(id))"
        )
        for table in (PARENT, CHILD):
            cursor.execute(f"CREATE INDEX {table}_team ON {table} (team_id, connection_id)")
            for statement in rls_statements(table):
                cursor.execute(statement)
            grant = sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
                sql.Identifier(table), app
            )
            cursor.execute(grant.as_string(cursor.connection))
            seq = sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                sql.Identifier(f"{table}_id_seq"), app
            )
            cursor.execute(seq.as_string(cursor.connection))
    try:
        yield
    finally:
        with connected_as("owner"), db.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {CHILD}, {PARENT}")


def _add_rows(team_id: int, connection_id: int, parents: int, children: int) -> None:
    with team_scope(team_id), db.cursor() as cursor:
        ids = []
        for n in range(parents):
            cursor.execute(
                f"INSERT INTO {PARENT} (team_id, connection_id, payload) VALUES (%s, %s, %s) RETURNING id",  # noqa: S608
                [team_id, connection_id, f"row {n}"],
            )
            ids.append(cursor.fetchone()[0])
        for n in range(children):
            cursor.execute(
                f"INSERT INTO {CHILD} (team_id, connection_id, parent_id) VALUES (%s, %s, %s)",  # noqa: S608
                [team_id, connection_id, ids[n % len(ids)]],
            )


def _counts(team_id: int, connection_id: int) -> dict[str, int]:
    with team_scope(team_id):
        match = {"team_id": team_id, "connection_id": connection_id}
        return {t.label: count_rows(t, match) for t in purge.connection_tables()}


def _world() -> tuple[Personas, SellerConnection, SellerConnection, SellerConnection]:
    p = make_personas("purge")
    gone, kept = make_connection(p.team), make_connection(p.team)
    elsewhere = make_connection(p.outsider_team)
    for c in (gone, kept, elsewhere):
        vault.refresh_token_store(
            team_id=c.team_id, connection_id=c.id, refresh_token=f"Atzr|IwEBI-{c.id}"
        )
    _add_rows(p.team.id, gone.id, parents=3, children=2)
    _add_rows(p.team.id, kept.id, parents=2, children=1)
    _add_rows(p.outsider_team.id, elsewhere.id, parents=2, children=2)
    return p, gone, kept, elsewhere


def test_after_the_grace_period_every_table_has_zero_rows_of_the_connection(extra_tables):
    p, gone, kept, elsewhere = _world()
    kept_before, elsewhere_before = (
        _counts(p.team.id, kept.id),
        _counts(p.outsider_team.id, elsewhere.id),
    )
    assert f"public.{PARENT}" in kept_before
    assert "vault.spapi_credential" in kept_before
    assert "public.amazon_connectionmarketplace" in kept_before
    services.connection_disconnect(connection=gone, actor=_membership(p, p.owner))

    with connected_as("worker"):
        purge_due_connections(timestamp=0)  # not due yet: nothing happens
    assert _counts(p.team.id, gone.id)[f"public.{PARENT}"] == 3

    with (
        time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=False),
        connected_as("worker"),
    ):
        purge_due_connections(timestamp=0)

    after = _counts(p.team.id, gone.id)
    assert after
    assert set(after.values()) == {0}, after
    assert _counts(p.team.id, kept.id) == kept_before
    assert _counts(p.outsider_team.id, elsewhere.id) == elsewhere_before
    with team_scope(p.team.id):
        record = DeletionRecord.objects.get(team=p.team, connection_ref=gone.id)
        tombstone = SellerConnection.objects.get(id=gone.id)
    assert record.verified is True
    assert record.completed_at is not None
    assert record.rows_remaining == after
    assert set(record.rows_deleted) == set(after)
    assert record.rows_deleted[f"public.{PARENT}"] == 3
    assert record.rows_deleted[f"public.{CHILD}"] == 2
    assert record.rows_deleted["public.amazon_connectionmarketplace"] == 1
    # The refresh token went at disconnect, before the purge.
    assert record.rows_deleted["vault.spapi_credential"] == 0
    assert tombstone.purged_at is not None
    assert tombstone.selling_partner_id == ""
    with connected_as("worker"):
        assert (
            vault.refresh_token_read(team_id=p.team.id, connection_id=kept.id)
            == f"Atzr|IwEBI-{kept.id}"
        )
        assert (
            vault.refresh_token_read(team_id=p.outsider_team.id, connection_id=elsewhere.id)
            == f"Atzr|IwEBI-{elsewhere.id}"
        )

    # The owner sees the record.
    page = _client(p.owner).get(f"/t/{p.team.slug}/amazon/").content.decode()
    assert f"deletion-{record.id}" in page
    assert "yes, 0 rows remain" in page

    # Idempotent: a second run finds nothing and verifies again.
    with connected_as("worker"):
        again = purge.connection_purge(connection=tombstone)
    assert again.id == record.id
    assert again.verified is True
    assert again.rows_deleted == record.rows_deleted


def test_a_purge_killed_half_way_resumes_and_counts_every_row(extra_tables, monkeypatch):
    p, gone, _kept, _elsewhere = _world()
    services.connection_disconnect(connection=gone, actor=_membership(p, p.owner))
    monkeypatch.setattr(purge, "BATCH_SIZE", 1)
    real = core_purge.delete_batch
    calls = {"n": 0}

    def dying(table, match, *, size):
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("worker killed")
        return real(table, match, size=size)

    monkeypatch.setattr(core_purge, "delete_batch", dying)
    with connected_as("worker"), pytest.raises(RuntimeError):
        purge.connection_purge(connection=gone)
    monkeypatch.setattr(core_purge, "delete_batch", real)
    with connected_as("worker"):
        record = purge.connection_purge(connection=gone)
    assert record.verified is True
    assert record.rows_deleted[f"public.{PARENT}"] == 3
    assert record.rows_deleted[f"public.{CHILD}"] == 2
    assert set(_counts(p.team.id, gone.id).values()) == {0}


def test_tables_are_found_from_the_catalog_children_first(extra_tables):
    labels = [t.label for t in purge.connection_tables()]
    assert labels.index(f"public.{CHILD}") < labels.index(f"public.{PARENT}")
    assert "vault.spapi_credential" in labels
    assert "public.amazon_sellerconnection" not in labels  # the tombstone stays


@pytest.mark.django_db
def test_every_table_with_a_connection_key_has_a_team_key():
    """The purge clears tables by (team_id, connection_id) in the team's scope: a table keyed by
    connection alone would be invisible to it."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_schema || '.' || c.table_name FROM information_schema.columns c "
            "WHERE c.column_name = 'connection_id' AND c.table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND NOT EXISTS (SELECT 1 FROM information_schema.columns t WHERE t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name AND t.column_name = 'team_id')"
        )
        assert cursor.fetchall() == []


@pytest.mark.django_db
def test_the_web_role_can_run_the_purge_too(personas):
    """Team or account deletion may start from a request: the purge needs no vault read."""
    conn = make_connection(personas.team)
    services.connection_disconnect(connection=conn, actor=_membership(personas, personas.owner))
    # A vault row the disconnect did not see is purged with the rest.
    vault.refresh_token_store(
        team_id=personas.team.id, connection_id=conn.id, refresh_token="Atzr|IwEBI-late"
    )
    record = purge.connection_purge(connection=conn)
    assert record.verified is True
    assert record.rows_deleted["vault.spapi_credential"] == 1
    assert record.rows_deleted["public.amazon_connectionmarketplace"] == 1


@pytest.mark.django_db
def test_a_failing_disconnect_receiver_rolls_the_whole_disconnect_back(personas):
    conn = make_connection(personas.team)
    vault.refresh_token_store(
        team_id=personas.team.id, connection_id=conn.id, refresh_token="Atzr|IwEBI-x"
    )

    def broken(sender, connection, **kwargs):
        raise RuntimeError("could not cancel the jobs")

    connection_disconnected.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            services.connection_disconnect(
                connection=conn, actor=_membership(personas, personas.owner)
            )
    finally:
        connection_disconnected.disconnect(broken)
    with team_scope(personas.team.id):
        conn.refresh_from_db()
        assert not DeletionRecord.objects.filter(connection_ref=conn.id).exists()
    assert conn.is_live
    assert _secret_kinds(personas.team.id, conn.id) == ["refresh"]


@pytest.mark.django_db
def test_the_scheduled_purge_job_waits_for_the_due_date(personas):
    conn = make_connection(personas.team)
    services.connection_disconnect(connection=conn, actor=_membership(personas, personas.owner))
    purge_connection(team_id=personas.team.id, connection_id=conn.id)
    with team_scope(personas.team.id):
        conn.refresh_from_db()
    assert conn.purged_at is None
    with time_machine.travel(timezone.now() + timedelta(days=3, seconds=1), tick=False):
        purge_connection(team_id=personas.team.id, connection_id=conn.id)
    with team_scope(personas.team.id):
        conn.refresh_from_db()
        assert DeletionRecord.objects.get(connection_ref=conn.id).verified is True
    assert conn.purged_at is not None


@pytest.mark.django_db(transaction=True)
def test_connection_tables_put_a_referencing_table_first_whatever_the_names_and_survive_a_cycle():
    # Names chosen so that the alphabet alone would give the wrong order: the child sorts last.
    parent, child, ring_a, ring_b = (
        "amazon_test_order_a_parent",
        "amazon_test_order_z_child",
        "amazon_test_ring_a",
        "amazon_test_ring_b",
    )
    columns = "id bigserial PRIMARY KEY, team_id bigint NOT NULL, connection_id bigint NOT NULL"
    with connected_as("owner"), db.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {parent} ({columns})")
        cursor.execute(
            f"CREATE TABLE {child} ({columns}, parent_id bigint REFERENCES {parent}(id))"
        )
        cursor.execute(f"CREATE TABLE {ring_a} ({columns}, b_id bigint)")
        cursor.execute(f"CREATE TABLE {ring_b} ({columns}, a_id bigint REFERENCES {ring_a}(id))")
        cursor.execute(f"ALTER TABLE {ring_a} ADD FOREIGN KEY (b_id) REFERENCES {ring_b}(id)")
    try:
        labels = [t.label for t in purge.connection_tables()]
        assert labels.index(f"public.{child}") < labels.index(f"public.{parent}")
        # Two tables referencing each other: each is listed once, and the listing ends.
        assert labels.count(f"public.{ring_a}") == labels.count(f"public.{ring_b}") == 1
    finally:
        with connected_as("owner"), db.cursor() as cursor:
            cursor.execute(f"DROP TABLE {child}, {parent}, {ring_a}, {ring_b} CASCADE")


def test_a_purge_that_finds_no_deletion_record_makes_one_with_the_connections_dates(personas):
    conn, other = make_connection(personas.team), make_connection(personas.outsider_team)
    disconnected_at = timezone.now() - timedelta(days=5)
    due = disconnected_at + timedelta(days=3)
    # A connection disconnected before deletion records existed: the purge makes its record.
    with team_scope(personas.team.id):
        SellerConnection.objects.filter(id=conn.id).update(
            status=ConnectionStatus.DISCONNECTED, disconnected_at=disconnected_at, purge_due_at=due
        )
        conn.refresh_from_db()
    record = purge.connection_purge(connection=conn)
    assert (record.requested_at, record.due_at) == (disconnected_at, due)
    assert record.verified is True
    with team_scope(personas.outsider_team.id):
        assert not DeletionRecord.objects.filter(connection_ref=other.id).exists()
        assert SellerConnection.objects.get(id=other.id).purged_at is None


def _shared_columns_naming(value: str) -> list[str]:
    """Every column of every table shared by all teams (no team_id) that holds ``value``."""
    return sorted(columns_holding([value], shared_only=True))


@pytest.mark.django_db(transaction=True)
def test_the_purge_leaves_no_shared_row_naming_the_seller_or_the_connections_jobs(personas):
    conn = make_connection(personas.team)
    other = make_connection(personas.outsider_team)
    seller, kept_seller = conn.selling_partner_id, other.selling_partner_id
    with db.cursor() as cursor:
        for key in (seller, f"unproven:team-{personas.team.id}:{seller}", kept_seller):
            cursor.execute(
                "INSERT INTO amazon_spapi_rate_bucket (seller_id, operation, tokens, last, rate, burst) "
                "VALUES (%s, 'getOrders', 1, 0, 0.0167, 20)",
                [key],
            )
    finished = purge_connection.defer(team_id=personas.team.id, connection_id=conn.id)
    kept_job = purge_connection.defer(team_id=personas.outsider_team.id, connection_id=other.id)
    ProcrastinateJob.objects.filter(id__in=[finished, kept_job]).update(status="succeeded")
    assert _shared_columns_naming(seller) == ["public.amazon_spapi_rate_bucket.seller_id"]

    services.connection_disconnect(connection=conn, actor=_membership(personas, personas.owner))
    with connected_as("worker"):
        record = purge.connection_purge(connection=conn)

    assert record.verified is True
    assert _shared_columns_naming(seller) == []
    assert not ProcrastinateJob.objects.filter(id=finished).exists()
    assert ProcrastinateJob.objects.filter(id=kept_job).exists()
    assert _shared_columns_naming(kept_seller) == ["public.amazon_spapi_rate_bucket.seller_id"]


def test_forgetting_the_shared_rows_counts_exactly_what_it_deleted(personas):
    """The count goes to the purge's log line: the buckets naming the seller and the connection's
    finished jobs, nothing else, and nothing the second time."""
    conn = make_connection(personas.team)
    seller = conn.selling_partner_id
    with db.cursor() as cursor:
        for key in (seller, f"unproven:team-{personas.team.id}:{seller}", "A-KEPT-SELLER"):
            cursor.execute(
                "INSERT INTO amazon_spapi_rate_bucket (seller_id, operation, tokens, last, rate, burst) "
                "VALUES (%s, 'getOrders', 1, 0, 0.0167, 20)",
                [key],
            )
    finished = purge_connection.defer(team_id=personas.team.id, connection_id=conn.id)
    ProcrastinateJob.objects.filter(id=finished).update(status="succeeded")
    forget = {"seller_id": seller, "team_id": personas.team.id, "connection_id": conn.id}
    assert purge.shared_rows_forget(**forget) == 3
    assert purge.shared_rows_forget(**forget) == 0
    # Once the purge has verified, the seller id is blank: only the jobs are matched.
    assert purge.shared_rows_forget(**{**forget, "seller_id": ""}) == 0
