"""Team scope: the tenant boundary, in the code and in the database.

Every table that holds a team's data has ``team_id`` and a row-level security policy, ENABLED and
FORCED, that compares it with the transaction-local setting ``ams.team_id``. Code enters a team's
scope with ``team_scope(team_id)``; with no scope entered, every tenant query returns zero rows.

The setting is set with ``set_config(..., true)``, so it ends with the transaction and can never
leak to the next request on a pooled connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, migrations, models, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

TEAM_SETTING = "ams.team_id"
USER_SETTING = "ams.user_id"

# Read once per query, not per row: the sub-select becomes an InitPlan and the index on team_id
# stays usable (measured: a per-row call loses the index and runs several times slower).
CURRENT_TEAM = f"(SELECT nullif(current_setting('{TEAM_SETTING}', true), '')::bigint)"
CURRENT_USER = f"(SELECT nullif(current_setting('{USER_SETTING}', true), '')::bigint)"
TEAM_PREDICATE = f"team_id = {CURRENT_TEAM}"
POLICY_NAME = "team_isolation"


class NoTeamScope(RuntimeError):
    """Raised by code that must run inside a team's scope but was called outside one."""


# The setting's new value and the one it replaces in one round trip: the materialized CTE is read
# before the row it feeds is projected, so ``previous`` is the value before ``set_config``.
_SWAP = """
WITH previous AS MATERIALIZED (SELECT coalesce(current_setting(%(name)s, true), '') AS value)
SELECT value, set_config(%(name)s, %(value)s, true) FROM previous
"""


def _swap_setting(name: str, value: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(_SWAP, {"name": name, "value": value})
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def _in_force() -> dict[str, int]:
    """The scopes this connection's open transaction is inside, as entered by ``_scoped_setting``:
    what the setting holds until the block that set it ends (a savepoint rolled back restores the
    setting and leaves the block). A request enters its team's scope in the view and again in the
    template's context processors: the inner one then costs no query at all."""
    scopes: dict[str, int] | None = getattr(connection, "ams_scopes", None)
    if scopes is None:
        scopes = {}
        connection.ams_scopes = scopes  # type: ignore[attr-defined]
    return scopes


@contextmanager
def _scoped_setting(name: str, value: int) -> Iterator[None]:
    if type(value) is not int or value <= 0:  # bool is an int; an id is not
        raise ValueError(f"{name} must be a positive integer id")
    scopes = _in_force()
    outer = scopes.get(name)
    if outer == value and connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        previous = _swap_setting(name, str(value))
        scopes[name] = value
        try:
            yield
        finally:
            if outer is None:
                scopes.pop(name, None)
            else:
                scopes[name] = outer
        # A nested scope hands the outer one back. On an exception there is nothing to do, and
        # nothing may be done: the savepoint's rollback restores the setting, and a query on a
        # failed transaction would only hide the real error behind "transaction is aborted".
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [name, previous])


@contextmanager
def team_scope(team_id: int) -> Iterator[None]:
    """Run the block inside ``team_id``'s scope, in a transaction."""
    with _scoped_setting(TEAM_SETTING, team_id):
        yield


@contextmanager
def user_scope(user_id: int) -> Iterator[None]:
    """Let the block read the user's own memberships across teams (the team switcher)."""
    with _scoped_setting(USER_SETTING, user_id):
        yield


def current_team_id() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {CURRENT_TEAM}")
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


def require_team_scope() -> int:
    team_id = current_team_id()
    if team_id is None:
        raise NoTeamScope("this code must run inside team_scope(team_id)")
    return team_id


class TenantModel(models.Model):
    """Base for every model that holds a team's data.

    The one line a new tenant model needs in its migration is
    ``EnableTeamRLS("modelname")``; ``tests/test_tenancy_catalog.py`` fails for any table with a
    ``team_id`` that lacks a forced policy, so it cannot be forgotten.
    """

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


def rls_statements(
    table: str, predicate: str = TEAM_PREDICATE, check: str = TEAM_PREDICATE
) -> list[str]:
    quoted = connection.ops.quote_name(table)
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}",
        f"CREATE POLICY {POLICY_NAME} ON {quoted} USING ({predicate}) WITH CHECK ({check})",
    ]


class EnableTeamRLS(migrations.operations.base.Operation):
    """Migration operation: row-level security on a tenant model's table, enabled and forced."""

    reversible = True
    reduces_to_sql = True

    def __init__(
        self, model_name: str, using: str = TEAM_PREDICATE, check: str = TEAM_PREDICATE
    ) -> None:
        self.model_name = model_name
        self.using = using
        self.check = check

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if self.using != TEAM_PREDICATE:
            kwargs["using"] = self.using
        if self.check != TEAM_PREDICATE:
            kwargs["check"] = self.check
        return (self.__class__.__qualname__, [self.model_name], kwargs)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _table(self, app_label: str, state: ProjectState) -> str:
        return str(state.apps.get_model(app_label, self.model_name)._meta.db_table)

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in rls_statements(self._table(app_label, to_state), self.using, self.check):
            schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        quoted = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}")
        schema_editor.execute(f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable and force team row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"
