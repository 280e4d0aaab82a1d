"""Everything a team holds, for its owner: every table's rows as CSV in one zip, with a manifest.

The tables are found in the catalogue, as the purge finds them (``ams.core.purge``), so a table
added tomorrow is in the next export without anyone listing it. Each is copied out of PostgreSQL
by ``COPY … TO STDOUT`` straight into its entry of the archive, a chunk at a time: the memory is
flat whatever the team's size. The archive is built by the export job (``ams.core.export_jobs``)
and offered on the Exports page and by email, like any large export.

Left out, and said so in the manifest: the vault (refresh tokens never leave it), binary columns
(files kept for jobs, raw uploads), and the columns that are keys to something (an invitation's
nonce, a receipt's token hash).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Mapping
from typing import IO, Any

from django.db import connection as db
from django.utils import timezone
from psycopg import sql

from ams.core.exports import ExportSource
from ams.core.models import ExportJob
from ams.core.purge import Table, count_rows, tables_with
from ams.teams.models import Team

KIND = "team_data"
TABLE = "all-data"
OMITTED_SCHEMAS = frozenset({"vault"})
OMITTED_COLUMNS = frozenset({"nonce", "token_hash"})

_COLUMNS = """
SELECT a.attname, t.typname
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def columns_of(table: Table) -> tuple[list[str], list[str]]:
    """The columns exported, and those left out (binary, or a key to something)."""
    with db.cursor() as cursor:
        cursor.execute(_COLUMNS, [f'"{table.schema}"."{table.name}"'])
        found = cursor.fetchall()
    kept = [name for name, kind in found if kind != "bytea" and name not in OMITTED_COLUMNS]
    return kept, [name for name, _kind in found if name not in kept]


def _tables() -> list[Table]:
    return [t for t in tables_with(["team_id"]) if t.schema not in OMITTED_SCHEMAS]


def copy_into(archive: zipfile.ZipFile, name: str, query: sql.Composable) -> None:
    statement = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(query)
    with (
        archive.open(name, "w", force_zip64=True) as entry,
        db.cursor() as cursor,
        cursor.cursor.copy(statement) as copy,
    ):
        for chunk in copy:
            entry.write(chunk)


def team_archive_write(
    team_id: int, target: IO[bytes], on_step: Callable[[], None] | None = None
) -> None:
    """The archive into ``target``; call inside the team's scope."""
    team = Team.objects.get(id=team_id)
    manifest: dict[str, Any] = {
        "team": {"id": team.id, "name": team.name, "slug": team.slug},
        "generated_at": timezone.now().isoformat(),
        "format": "One CSV per table (UTF-8, a header row, PostgreSQL's CSV quoting).",
        "not_included": [
            "vault.*: the Amazon refresh tokens, which never leave the vault",
            "binary columns (files kept for jobs, uploaded files' bytes)",
            "columns that are keys to something: " + ", ".join(sorted(OMITTED_COLUMNS)),
        ],
        "tables": [],
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        kept, _left = columns_of(Table("public", Team._meta.db_table))
        copy_into(
            archive,
            "teams_team.csv",
            sql.SQL("SELECT {} FROM {} WHERE id = {}").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in kept),
                sql.Identifier(Team._meta.db_table),
                sql.Literal(team_id),
            ),
        )
        for table in _tables():
            kept, left = columns_of(table)
            name = (
                f"{table.schema}.{table.name}.csv"
                if table.schema != "public"
                else f"{table.name}.csv"
            )
            copy_into(
                archive,
                name,
                sql.SQL("SELECT {} FROM {} WHERE team_id = {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in kept),
                    table.identifier,
                    sql.Literal(team_id),
                ),
            )
            manifest["tables"].append(
                {
                    "file": name,
                    "table": table.label,
                    "rows": count_rows(table, {"team_id": team_id}),
                    "columns": kept,
                    "omitted_columns": left,
                }
            )
            if on_step is not None:
                on_step()
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))


def team_data_source(team_id: int, params: Mapping[str, str]) -> ExportSource:
    """The whole team's data as one export, built by a job and listed on the Exports page."""
    return ExportSource(
        kind=KIND,
        table=TABLE,
        header=(),
        rows=list,
        counted=ExportJob.objects.none(),
        params=dict(params),
        archive=lambda target, on_step: team_archive_write(team_id, target, on_step),
        steps=lambda: len(_tables()),
    )
