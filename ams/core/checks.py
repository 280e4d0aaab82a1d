"""Refuse to start on a database role that could read every team's rows."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError

from ams.core.audit import app_role


@register()
def app_role_cannot_bypass_rls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        role = app_role()
    except DatabaseError as exc:
        return [
            Warning(f"cannot inspect the database role: {exc.__class__.__name__}", id="ams.W001")
        ]
    if role.safe:
        return []
    return [
        Error(
            f"The app connects as {role.name!r}, which can bypass row-level security "
            f"(superuser={role.superuser}, bypassrls={role.bypass_rls}, owns {role.owned_relations} relations).",
            hint="Set DATABASE_URL to the app's login role; migrations use MIGRATION_DATABASE_URL. See docs/deploy.md.",
            id="ams.E001",
        )
    ]
