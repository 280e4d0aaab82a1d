"""What the runtime roles may do, applied after every migration by the owner role.

The app role reads and writes rows (row-level security decides which); it creates nothing, owns
nothing, and cannot touch the migration history. Schemas with their own rules (the token vault)
grant their privileges in their own migrations.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

from ams.core.db_roles import role_name


def grant_runtime_privileges(connection: BaseDatabaseWrapper) -> None:
    app = sql.Identifier(role_name("app"))
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(app),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            app
        ),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(app),
        sql.SQL("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM {}").format(app),
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
