"""Everything AMS holds about one person, for that person: one zip of CSV files and a manifest.

Found in the catalogue like the team's export and the account's deletion (``ams.core.purge``):
every row of every table whose foreign key points at the person, in every team they belong to,
plus their account row and their own security trail. A person's rows are few (their account,
addresses, sign-ins, what they did in their teams), so the file is written to a temporary file
and sent in the request; the copy out of PostgreSQL still goes a chunk at a time.

Left out, and said so in the manifest: the password's hash, the second factor's secrets (an
authenticator's ``data``), and the columns that are keys to something.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from django.utils import timezone
from psycopg import sql

from ams.accounts.models import User
from ams.core.models import UserAuditEntry
from ams.core.purge import Table, count_rows, references_to, tables_with
from ams.core.tenancy import team_scope, user_scope
from ams.teams.data_export import columns_of, copy_into
from ams.teams.models import Membership

# Never in a download, even the person's own: what would let someone sign in as them.
SECRET_COLUMNS = {
    "public.accounts_user": {"password"},
    "public.mfa_authenticator": {"data"},
}
_CHUNK = 64 * 1024


def _select(table: Table, columns: list[str], column: str, value: int) -> sql.Composable:
    return sql.SQL("SELECT {} FROM {} WHERE {} = {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        table.identifier,
        sql.Identifier(column),
        sql.Literal(value),
    )


def personal_archive_write(user: User, target: IO[bytes]) -> None:
    manifest: dict[str, Any] = {
        "person": {"id": user.id, "email": user.email, "name": user.name},
        "generated_at": timezone.now().isoformat(),
        "format": "One CSV per table (UTF-8, a header row, PostgreSQL's CSV quoting).",
        "not_included": [
            "the password's hash and the second factor's secrets",
            "binary columns and columns that are keys to something",
            "rows of the teams you belong to that do not name you: the team's owner exports those",
        ],
        "files": [],
    }
    tenant = {t.label for t in tables_with(["team_id"])}
    with user_scope(user.id):
        team_ids = list(
            Membership.objects.filter(user=user)
            .values_list("team_id", flat=True)
            .order_by("team_id")
        )
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, table: Table, column: str, rows: int, scope: Any) -> None:
            kept, left = columns_of(table)
            secret = SECRET_COLUMNS.get(table.label, set())
            left += [c for c in kept if c in secret]
            kept = [c for c in kept if c not in secret]
            with scope:
                copy_into(archive, name, _select(table, kept, column, user.id))
            manifest["files"].append(
                {"file": name, "table": table.label, "rows": rows, "omitted_columns": left}
            )

        account = Table("public", User._meta.db_table)
        add("account.csv", account, "id", 1, user_scope(user.id))
        audit = Table("public", UserAuditEntry._meta.db_table)
        with user_scope(user.id):
            rows = count_rows(audit, {"user_id": user.id})
        add("security-trail.csv", audit, "user_id", rows, user_scope(user.id))
        for reference in references_to(User._meta.db_table):
            table = reference.table
            if table.label in tenant:
                for team_id in team_ids:
                    with team_scope(team_id):
                        rows = count_rows(table, {reference.column: user.id})
                    if rows:
                        name = f"team-{team_id}/{table.name}.{reference.column}.csv"
                        add(name, table, reference.column, rows, team_scope(team_id))
            else:
                with user_scope(user.id):
                    rows = count_rows(table, {reference.column: user.id})
                if rows:
                    add(
                        f"{table.name}.{reference.column}.csv",
                        table,
                        reference.column,
                        rows,
                        user_scope(user.id),
                    )
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))


def personal_archive_chunks(user: User) -> Iterator[bytes]:
    """The archive, built into a temporary file, then read out in chunks."""
    with tempfile.TemporaryFile() as spool:
        personal_archive_write(user, spool)
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            yield chunk
