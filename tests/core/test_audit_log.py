"""The security audit trail: append-only for the app role, hash-chained, pruned after twelve months."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from psycopg import sql

from ams.core.audit_log import (
    GENESIS,
    audit_prune,
    audit_record,
    audit_verify,
    email_fingerprint,
    unknown_account_scope,
)
from ams.core.db_roles import connected_as
from ams.core.models import AuditChainHead, AuditEntry, UserAuditEntry
from ams.core.tenancy import team_scope, user_scope
from tests.factories import make_personas


def _entries(team_id: int) -> list[AuditEntry]:
    with team_scope(team_id):
        return list(AuditEntry.objects.filter(team_id=team_id).order_by("seq"))


def _broken(capsys) -> list[dict[str, Any]]:
    with pytest.raises(CommandError, match="audit chain broken"):
        call_command("audit_verify")
    broken: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["broken"]
    return broken


@pytest.mark.django_db
def test_entries_chain_per_team_and_verify(capsys):
    p = make_personas()
    audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="member.role_changed", to="admin")
    audit_record(team_id=p.team.id, actor_id=p.admin.id, kind="invitation.sent", invitation_id=7)
    audit_record(team_id=p.outsider_team.id, actor_id=p.outsider.id, kind="invitation.sent")

    created, first, second = _entries(p.team.id)
    assert (created.kind, created.seq, created.prev_hash) == ("team.created", 1, GENESIS)
    assert (first.seq, second.seq) == (2, 3)
    assert first.prev_hash == created.hash
    assert second.prev_hash == first.hash
    assert first.data == {"to": "admin"}
    # The other team's chain starts on its own.
    other_created, other = _entries(p.outsider_team.id)
    assert (other_created.seq, other_created.prev_hash) == (1, GENESIS)
    assert (other.seq, other.prev_hash) == (2, other_created.hash)

    call_command("audit_verify")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["entries"] == 5


@pytest.mark.django_db
def test_a_team_sees_none_of_another_teams_entries():
    p = make_personas()
    audit_record(team_id=p.outsider_team.id, actor_id=p.outsider.id, kind="connection.connected")
    with team_scope(p.team.id):
        assert not AuditEntry.objects.filter(team_id=p.outsider_team.id).exists()
    assert not AuditEntry.objects.exists()  # no scope, no rows


@pytest.mark.django_db
def test_a_users_entries_are_readable_only_in_their_own_scope():
    p = make_personas()
    audit_record(team_id=None, actor_id=p.member.id, kind="signin.succeeded", ip="192.0.2.1")
    audit_record(
        team_id=None, actor_id=None, kind="signin.failed", email=email_fingerprint("x@y.z")
    )
    with user_scope(p.member.id):
        assert [e.kind for e in UserAuditEntry.objects.all()] == ["signin.succeeded"]
    with user_scope(p.outsider.id):
        assert not UserAuditEntry.objects.exists()
    assert not UserAuditEntry.objects.exists()
    with unknown_account_scope():
        (unknown,) = UserAuditEntry.objects.all()
    assert unknown.user_id is None
    assert "x@y.z" not in json.dumps(unknown.data)


@pytest.mark.django_db
def test_the_app_role_cannot_update_delete_or_truncate_entries():
    p = make_personas()
    audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="team.updated")
    audit_record(team_id=None, actor_id=p.owner.id, kind="signin.succeeded")
    for table, scope in (
        ("core_auditentry", team_scope(p.team.id)),
        ("core_userauditentry", user_scope(p.owner.id)),
    ):
        with scope:
            for statement in (
                sql.SQL("UPDATE {} SET kind = 'nothing'"),
                sql.SQL("DELETE FROM {}"),
                sql.SQL("TRUNCATE {}"),
            ):
                with (
                    pytest.raises(DatabaseError, match="permission denied"),
                    transaction.atomic(),
                    connection.cursor() as cursor,
                ):
                    cursor.execute(statement.format(sql.Identifier(table)))
    with team_scope(p.team.id):
        assert [e.kind for e in AuditEntry.objects.order_by("seq")] == [
            "team.created",
            "team.updated",
        ]


@pytest.mark.django_db(transaction=True)
def test_tampering_as_the_owner_is_detected(capsys):
    p = make_personas()
    for n in range(4):
        audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="export.downloaded", n=n)
    audit_record(team_id=p.outsider_team.id, actor_id=p.outsider.id, kind="export.downloaded")
    call_command("audit_verify")
    capsys.readouterr()

    with connected_as("owner"), team_scope(p.team.id), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET data = '{\"n\": 9}' WHERE team_id = %s AND seq = 2",
            [p.team.id],
        )
    (broken,) = _broken(capsys)
    assert broken["chain"] == f"team:{p.team.id}"
    assert broken["problems"] == ["entry 2 was changed after it was written"]

    # Put it back, then remove a row in the middle, then one at the end.
    with connected_as("owner"), team_scope(p.team.id), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET data = '{\"n\": 0}' WHERE team_id = %s AND seq = 2",
            [p.team.id],
        )
    call_command("audit_verify")
    capsys.readouterr()
    with connected_as("owner"), team_scope(p.team.id), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE team_id = %s AND seq = 3", [p.team.id])
    (broken,) = _broken(capsys)
    assert "entry 4 follows 2: entries are missing or inserted" in broken["problems"]
    assert "entry 4 does not follow the entry before it" in broken["problems"]

    with connected_as("owner"), team_scope(p.team.id), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE team_id = %s AND seq >= 3", [p.team.id])
    (broken,) = _broken(capsys)
    assert broken["problems"] == [
        "the chain ends at entry 2, its head says 5: entries are missing from the end"
    ]


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_team_never_fork_the_chain():
    p = make_personas()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def append(n: int) -> None:
        try:
            start.wait()
            for i in range(5):
                audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="probe", n=n, i=i)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    entries = _entries(p.team.id)
    assert [e.seq for e in entries] == list(range(1, 22))  # after the team's own creation
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert all(r.ok for r in audit_verify())


@pytest.mark.django_db(transaction=True)
def test_prune_deletes_only_entries_older_than_twelve_months_and_the_rest_still_verify():
    start = timezone.now() - timedelta(days=400)
    with time_machine.travel(start, tick=False):
        p = make_personas()  # the team's creation is its first entry
        audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="old")
        audit_record(team_id=None, actor_id=p.owner.id, kind="signin.succeeded")
    with time_machine.travel(start + timedelta(days=20), tick=False):
        audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="old")
    with time_machine.travel(start + timedelta(days=60), tick=False):
        audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="young")
    with time_machine.travel(start + timedelta(days=10), tick=False):
        # A clock stepped back: older than the cutoff, but after a young entry. It stays.
        audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="late")
    audit_record(team_id=p.team.id, actor_id=p.owner.id, kind="today")

    # Three of the team's, the other team's creation, and the owner's sign-in.
    assert audit_prune() == 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "ams_app"  # the prune took a connection of its own

    assert [(e.seq, e.kind) for e in _entries(p.team.id)] == [
        (4, "young"),
        (5, "late"),
        (6, "today"),
    ]
    assert all(r.ok for r in audit_verify())
    head = AuditChainHead.objects.get(chain=f"team:{p.team.id}")
    assert (head.floor_seq, head.seq) == (3, 6)
    with user_scope(p.owner.id):
        assert not UserAuditEntry.objects.exists()
    assert audit_prune() == 0
