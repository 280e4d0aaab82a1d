"""What the runtime roles may do, applied after every migration by the owner role.

The app role reads and writes rows (row-level security decides which); it creates nothing, owns
nothing, and cannot touch the migration history. The audit trail is append-only for it: it may
add entries and read them, never change or delete one (only the owner's retention job deletes, after
twelve months; ``ams.core.audit_log``). Schemas with their own rules (the token vault)
grant their privileges in their own migrations.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

from ams.core.db_roles import role_name

# Tables the app role may only add to and read (the security audit trail).
APPEND_ONLY_TABLES = ("core_auditentry", "core_userauditentry")


def grant_runtime_privileges(connection: BaseDatabaseWrapper) -> None:
    app = sql.Identifier(role_name("app"))
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(app),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            app
        ),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(app),
        sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM {}").format(app),
        *(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                sql.Identifier(table), app
            )
            for table in APPEND_ONLY_TABLES
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (current,) = cursor.fetchone()
        if current == role_name("app"):
            raise RuntimeError(
                "grants must be applied by the owner role, not by the app role itself"
            )
        for statement in statements:
            cursor.execute(statement.as_string(cursor.connection))
