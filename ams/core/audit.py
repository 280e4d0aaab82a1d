"""The tenancy audit: which tables hold a team's data, and is each one protected?

Tables are found from the catalog (every table with a ``team_id`` column), never from a
hand-written list, so a new table is audited the moment it exists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection

_TENANT_TABLES = """
SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity,
       pg_get_userbyid(c.relowner),
       coalesce((SELECT array_agg(p.polname ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid), '{}'),
       EXISTS (
         SELECT 1 FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = c.oid AND a.attname = 'team_id'
       )
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute att ON att.attrelid = c.oid AND att.attname = 'team_id' AND NOT att.attisdropped
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY n.nspname, c.relname
"""

_ROLE = """
SELECT current_user, r.rolsuper, r.rolbypassrls,
       (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p', 'v', 'm'))
FROM pg_roles r WHERE r.rolname = current_user
"""

_VIEWS_WITHOUT_INVOKER = """
SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false)
"""


@dataclass
class TenantTable:
    schema: str
    table: str
    rls_enabled: bool
    rls_forced: bool
    owner: str
    policies: list[str]
    index_leads_on_team_id: bool

    @property
    def protected(self) -> bool:
        return (
            self.rls_enabled
            and self.rls_forced
            and bool(self.policies)
            and self.index_leads_on_team_id
        )


@dataclass
class AppRole:
    name: str
    superuser: bool
    bypass_rls: bool
    owned_relations: int

    @property
    def safe(self) -> bool:
        return not (self.superuser or self.bypass_rls or self.owned_relations)


@dataclass
class AuditReport:
    app_role: AppRole
    tenant_tables: list[TenantTable]
    views_without_security_invoker: list[str] = field(default_factory=list)

    @property
    def unprotected(self) -> list[str]:
        return [f"{t.schema}.{t.table}" for t in self.tenant_tables if not t.protected]

    @property
    def ok(self) -> bool:
        return (
            self.app_role.safe and not self.unprotected and not self.views_without_security_invoker
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "app_role": {**asdict(self.app_role), "can_bypass_rls": not self.app_role.safe},
            "tenant_tables": [{**asdict(t), "protected": t.protected} for t in self.tenant_tables],
            "unprotected_tables": self.unprotected,
            "views_without_security_invoker": self.views_without_security_invoker,
        }


def app_role() -> AppRole:
    with connection.cursor() as cursor:
        cursor.execute(_ROLE)
        name, superuser, bypass, owned = cursor.fetchone()
    return AppRole(name=name, superuser=superuser, bypass_rls=bypass, owned_relations=int(owned))


def tenancy_audit() -> AuditReport:
    with connection.cursor() as cursor:
        cursor.execute(_TENANT_TABLES)
        tables = [
            TenantTable(s, t, enabled, forced, owner, list(policies), indexed)
            for s, t, enabled, forced, owner, policies, indexed in cursor.fetchall()
        ]
        cursor.execute(_VIEWS_WITHOUT_INVOKER)
        views = [row[0] for row in cursor.fetchall()]
    return AuditReport(
        app_role=app_role(), tenant_tables=tables, views_without_security_invoker=views
    )
