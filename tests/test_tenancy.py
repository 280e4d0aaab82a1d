"""Row-level security, proven against the real database as the app's role."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations import Migration
from django.db.migrations.state import ModelState, ProjectState
from django.db.migrations.writer import OperationWriter
from django.test.utils import CaptureQueriesContext

from ams.core.audit import tenancy_audit
from ams.core.checks import app_role_cannot_bypass_rls
from ams.core.db_roles import connected_as
from ams.core.models import UsageEvent
from ams.core.tenancy import (
    CURRENT_TEAM,
    TEAM_PREDICATE,
    EnableTeamRLS,
    NoTeamScope,
    TenantModel,
    current_team_id,
    require_team_scope,
    team_scope,
    user_scope,
)
from ams.teams.models import Invitation, Membership, Role
from tests.factories import make_personas, make_user

pytestmark = pytest.mark.django_db


def tenant_models() -> list[type[TenantModel]]:
    return [m for m in apps.get_models() if issubclass(m, TenantModel)]


def tenant_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.columns "
            "WHERE column_name = 'team_id' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        return sorted(row[0] for row in cursor.fetchall())


def test_the_suite_connects_as_the_app_role_which_cannot_bypass_rls():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, superuser, bypass = cursor.fetchone()
    assert user == "ams_app"
    assert (superuser, bypass) == (False, False)


def test_with_no_team_set_every_tenant_table_reads_zero_rows():
    make_personas("a")
    make_personas("b")
    assert current_team_id() is None
    for model in tenant_models():
        assert model._default_manager.count() == 0, model
    with connection.cursor() as cursor:
        for table in tenant_tables():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  (names from the catalog)
            assert cursor.fetchone()[0] == 0, table


def test_team_a_cannot_see_team_b_rows():
    a, b = make_personas("a"), make_personas("b")
    with team_scope(b.team.id):
        b_membership_ids = set(Membership.objects.filter(team=b.team).values_list("id", flat=True))
        assert len(b_membership_ids) == 4
    with team_scope(a.team.id):
        assert Membership.objects.filter(id__in=b_membership_ids).count() == 0
        assert set(Membership.objects.values_list("team_id", flat=True)) == {a.team.id}
        assert UsageEvent.objects.exclude(team_id=a.team.id).count() == 0


def test_a_write_into_another_team_fails():
    a, b = make_personas("a"), make_personas("b")
    intruder = make_user()
    with (
        team_scope(a.team.id),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        Membership.objects.create(team=b.team, user=intruder, role=Role.OWNER)
    with team_scope(a.team.id):
        # Updates and deletes aimed at team B touch nothing.
        assert Membership.objects.filter(team=b.team).update(role=Role.VIEWER) == 0
        assert Invitation.objects.filter(team=b.team).delete()[0] == 0
    with team_scope(b.team.id):
        assert Membership.objects.filter(team=b.team, role=Role.VIEWER).count() == 1


def test_moving_a_row_to_another_team_fails():
    a, b = make_personas("a"), make_personas("b")
    with (
        team_scope(a.team.id),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        Membership.objects.filter(team=a.team, user=a.member).update(team=b.team)


def test_the_scope_ends_with_the_block_and_nests():
    a, b = make_personas("a"), make_personas("b")
    with team_scope(a.team.id):
        assert current_team_id() == a.team.id
        with team_scope(b.team.id):
            assert current_team_id() == b.team.id
        assert current_team_id() == a.team.id
    assert current_team_id() is None


def test_a_scope_entered_again_inside_itself_costs_no_query():
    a = make_personas("a")
    with team_scope(a.team.id):
        with CaptureQueriesContext(connection) as inner, team_scope(a.team.id):
            assert Membership.objects.count() == 4
        assert current_team_id() == a.team.id
    assert len(inner) == 1
    assert current_team_id() is None


def test_a_scope_takes_one_query_to_enter_and_one_to_leave():
    a = make_personas("a")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries, team_scope(a.team.id):
        pass
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements


def test_an_inner_scope_that_fails_hands_the_outer_one_back():
    a, b = make_personas("a"), make_personas("b")
    with team_scope(a.team.id):
        with pytest.raises(ZeroDivisionError):
            _fail_inside(team_scope(b.team.id))
        assert current_team_id() == a.team.id
        # The outer scope is known again: entering it once more still reads its rows.
        with team_scope(a.team.id):
            assert set(Membership.objects.values_list("team_id", flat=True)) == {a.team.id}
        with team_scope(b.team.id):
            assert set(Membership.objects.values_list("team_id", flat=True)) == {b.team.id}
    assert current_team_id() is None


def _fail_inside(scope: AbstractContextManager[None]) -> None:
    with scope:
        _ = 1 / 0


def test_a_scope_entered_after_its_block_ended_sets_the_team_again():
    a = make_personas("a")
    with team_scope(a.team.id):
        pass
    with team_scope(a.team.id):
        assert current_team_id() == a.team.id
        assert Membership.objects.count() == 4


@pytest.mark.parametrize("bad", [0, -1, "1", None, True])
def test_team_scope_refuses_anything_but_a_positive_id(bad):
    with pytest.raises(ValueError, match="positive integer"), team_scope(bad):
        pass


def test_every_tenant_table_is_protected_and_audited():
    report = tenancy_audit()
    audited = sorted(f"{t.schema}.{t.table}" for t in report.tenant_tables)
    assert audited == tenant_tables()
    for model in tenant_models():
        assert f"public.{model._meta.db_table}" in audited
    assert report.unprotected == []
    assert report.ok


def test_tenancy_audit_prints_json_and_exits_zero(capsys):
    call_command("tenancy_audit")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["app_role"]["can_bypass_rls"] is False
    assert {"public.teams_membership", "public.teams_invitation", "public.core_usageevent"} <= {
        f"{t['schema']}.{t['table']}" for t in report["tenant_tables"]
    }


@pytest.mark.django_db(transaction=True)
def test_tenancy_audit_fails_on_a_table_without_a_forced_policy(capsys):
    with connected_as("owner"), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE forgot_rls (id bigserial primary key, team_id bigint not null)"
        )
        cursor.execute("CREATE INDEX ON forgot_rls (team_id)")
        cursor.execute("GRANT SELECT ON forgot_rls TO ams_app")
    try:
        with pytest.raises(CommandError, match="forgot_rls"):
            call_command("tenancy_audit")
        report = json.loads(capsys.readouterr().out)
        assert report["ok"] is False
        assert report["unprotected_tables"] == ["public.forgot_rls"]
    finally:
        with connected_as("owner"), connection.cursor() as cursor:
            cursor.execute("DROP TABLE forgot_rls")


@pytest.mark.django_db(transaction=True)
def test_the_system_check_refuses_a_role_that_owns_the_tables():
    assert app_role_cannot_bypass_rls() == []
    with connected_as("owner"):
        errors = app_role_cannot_bypass_rls()
    assert [e.id for e in errors] == ["ams.E001"]
    assert "ams_owner" in errors[0].msg


@pytest.mark.django_db(transaction=True)
def test_the_setting_does_not_outlive_its_transaction():
    a = make_personas("a")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with team_scope(a.team.id):
        assert Membership.objects.count() == 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_setting('ams.team_id', true)")
        same_pid, setting = cursor.fetchone()
    assert same_pid == pid
    assert setting in ("", None)
    assert Membership.objects.count() == 0


def test_an_error_inside_a_scope_surfaces_as_itself():
    a = make_personas("a")
    with (
        pytest.raises(DatabaseError) as caught,
        team_scope(a.team.id),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT * FROM vault.spapi_credential")
    assert "permission denied" in str(caught.value)
    assert current_team_id() is None


# --- The migration operation ------------------------------------------------------------------

# A predicate of the kind a shared table uses: the team's rows plus the rows of no team.
SHARED_PREDICATE = f"team_id = {CURRENT_TEAM} OR team_id IS NULL"


def test_the_rls_operation_keeps_a_custom_predicate_through_deconstruct():
    operation = EnableTeamRLS("probe", using=SHARED_PREDICATE, check=TEAM_PREDICATE)
    name, args, kwargs = operation.deconstruct()
    assert (name, args, kwargs) == ("EnableTeamRLS", ["probe"], {"using": SHARED_PREDICATE})
    rebuilt = EnableTeamRLS(*args, **kwargs)
    assert (rebuilt.using, rebuilt.check) == (SHARED_PREDICATE, TEAM_PREDICATE)
    # As a migration file writes it, and the default predicate is left out.
    assert f"using={SHARED_PREDICATE!r}" in OperationWriter(operation).serialize()[0]
    assert EnableTeamRLS("probe").deconstruct() == ("EnableTeamRLS", ["probe"], {})
    checked = EnableTeamRLS("probe", check=SHARED_PREDICATE).deconstruct()
    assert checked == ("EnableTeamRLS", ["probe"], {"check": SHARED_PREDICATE})


def _probe_state() -> ProjectState:
    state = ProjectState()
    state.add_model(
        ModelState(
            "probe",
            "Probe",
            [("id", models.BigAutoField(primary_key=True))],
            {"db_table": "rls_probe"},
        )
    )
    return state


def _migration_of(operation: EnableTeamRLS) -> Migration:
    class ProbeMigration(Migration):
        operations = [operation]

    return ProbeMigration("0002_rls", "probe")


def _probe_rows_seen_by_the_app_role(team_id: int | None) -> list[int]:
    with transaction.atomic():
        if team_id is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT team_id FROM rls_probe ORDER BY team_id")
                return [row[0] for row in cursor.fetchall()]
        with team_scope(team_id), connection.cursor() as cursor:
            cursor.execute("SELECT team_id FROM rls_probe ORDER BY team_id")
            return [row[0] for row in cursor.fetchall()]


def _probe_policy() -> tuple[bool, bool, list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'rls_probe'"
        )
        enabled, forced = cursor.fetchone()
        cursor.execute("SELECT policyname FROM pg_policies WHERE tablename = 'rls_probe'")
        return enabled, forced, [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_rls_operation_applies_forwards_and_is_removed_backwards():
    a, b = make_personas("a"), make_personas("b")
    operation = EnableTeamRLS("probe", using=SHARED_PREDICATE)
    migration = _migration_of(operation)
    state = _probe_state()
    with connected_as("owner"), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE rls_probe (id bigserial primary key, team_id bigint)")
        cursor.execute(
            "INSERT INTO rls_probe (team_id) VALUES (%s), (%s), (NULL)", [a.team.id, b.team.id]
        )
        cursor.execute("GRANT SELECT ON rls_probe TO ams_app")
    try:
        with connected_as("owner"), connection.schema_editor() as editor:
            operation.database_forwards("probe", editor, state, state)
        assert _probe_policy() == (True, True, ["team_isolation"])
        # The custom predicate is the one in force: the team's rows and the shared one.
        assert _probe_rows_seen_by_the_app_role(a.team.id) == [a.team.id, None]
        assert _probe_rows_seen_by_the_app_role(None) == [None]

        # Backwards as `migrate probe 0001` runs it (Django refuses an irreversible operation).
        with connected_as("owner"), connection.schema_editor() as editor:
            migration.unapply(state.clone(), editor)
        assert _probe_policy() == (False, False, [])
        assert _probe_rows_seen_by_the_app_role(None) == [*sorted([a.team.id, b.team.id]), None]

        # And forwards again after a backwards: a migration can be re-applied.
        with connected_as("owner"), connection.schema_editor() as editor:
            operation.database_forwards("probe", editor, state, state)
        assert _probe_rows_seen_by_the_app_role(b.team.id) == [b.team.id, None]
    finally:
        with connected_as("owner"), connection.cursor() as cursor:
            cursor.execute("DROP TABLE rls_probe")


def test_a_scope_entered_again_costs_no_query_whatever_the_size_of_the_id():
    # Ids past the small integers Python caches are distinct objects with equal values.
    big_id, same_id = int("70000"), int("70000")
    assert big_id is not same_id
    with team_scope(big_id):
        with CaptureQueriesContext(connection) as inner, team_scope(same_id):
            pass
        assert current_team_id() == big_id
    assert len(inner) == 0


def test_after_a_nested_scope_the_outer_one_is_known_again_and_costs_no_query():
    a, b = make_personas("a"), make_personas("b")
    with team_scope(a.team.id):
        with team_scope(b.team.id):
            assert current_team_id() == b.team.id
        with CaptureQueriesContext(connection) as again, team_scope(a.team.id):
            assert current_team_id() == a.team.id
    assert len(again) == 1  # the current_team_id() query only
    assert current_team_id() is None


def test_require_team_scope_returns_the_team_inside_a_scope_and_refuses_outside():
    a = make_personas("a")
    with team_scope(a.team.id):
        assert require_team_scope() == a.team.id
    with pytest.raises(NoTeamScope):
        require_team_scope()


def test_a_user_scope_shows_the_users_memberships_in_every_team_and_no_one_elses():
    a, b = make_personas("a"), make_personas("b")
    # The owner of team A joins team B as a viewer: the team switcher lists both.
    with team_scope(b.team.id):
        Membership.objects.create(team=b.team, user=a.owner, role=Role.VIEWER)
    assert Membership.objects.filter(user=a.owner).count() == 0  # no scope, no rows
    with user_scope(a.owner.id):
        assert sorted(Membership.objects.values_list("team_id", flat=True)) == sorted(
            [a.team.id, b.team.id]
        )
        assert not Membership.objects.filter(user=b.owner).exists()
    assert Membership.objects.filter(user=a.owner).count() == 0


# Predicates that sort before and after the default one, and the default spelled anew (as a
# migration file read back gives it: equal, not the same object).
EARLIER_PREDICATE = f"(team_id = {CURRENT_TEAM})"
DEFAULT_PREDICATE_COPY = TEAM_PREDICATE[:1] + TEAM_PREDICATE[1:]


@pytest.mark.parametrize(
    "predicate", [EARLIER_PREDICATE, SHARED_PREDICATE], ids=["sorts-before", "sorts-after"]
)
def test_any_custom_predicate_survives_deconstruct(predicate):
    assert predicate != TEAM_PREDICATE
    for keyword in ("using", "check"):
        _, args, kwargs = EnableTeamRLS("probe", **{keyword: predicate}).deconstruct()
        assert kwargs == {keyword: predicate}
        assert getattr(EnableTeamRLS(*args, **kwargs), keyword) == predicate


def test_the_default_predicate_spelled_out_deconstructs_like_the_default():
    assert DEFAULT_PREDICATE_COPY is not TEAM_PREDICATE
    operation = EnableTeamRLS("probe", using=DEFAULT_PREDICATE_COPY, check=DEFAULT_PREDICATE_COPY)
    assert operation.deconstruct() == ("EnableTeamRLS", ["probe"], {})


def test_a_migration_of_the_rls_operation_is_named_for_it_and_shows_its_sql():
    migration = _migration_of(EnableTeamRLS("Probe"))
    # suggest_name is missing from the stubs.
    assert migration.suggest_name() == "rls_probe"  # type: ignore[attr-defined]
    # sqlmigrate prints the statements, so they can be reviewed before a deploy.
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        migration.apply(_probe_state(), editor, collect_sql=True)
    assert any(
        s.startswith('CREATE POLICY team_isolation ON "rls_probe"') for s in editor.collected_sql
    )
    assert 'ALTER TABLE "rls_probe" FORCE ROW LEVEL SECURITY;' in editor.collected_sql
