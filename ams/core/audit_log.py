"""The security audit trail: who signed in, who changed what, append-only and hash-chained.

Separate from the usage events (``ams.core.events``), which serve product questions and are
pruned on their own schedule: this is the record a security review reads, kept twelve months
(Amazon's Data Protection Policy), which the app cannot rewrite.

- **Where an event goes.** A team's event is a tenant row (``AuditEntry``, forced row-level
  security); a person's event with no team (a sign-in) is a ``UserAuditEntry`` that only code in
  that user's scope reads; a failed sign-in for an address no account has is kept with no user and
  an HMAC of the address, never the address (docs/architecture.md, Tenancy).
- **Append-only.** The app role may INSERT and SELECT these tables, not UPDATE, DELETE or
  TRUNCATE them (``ams.core.grants``). Only ``audit_prune``, on a connection of its own as the
  owner role, deletes, and only entries older than ``RETENTION_DAYS``.
- **Chained.** Each entry stores ``sha256(previous hash + its canonical content)``, per chain (one
  per team, one per user, one for unknown accounts). Appends to one chain are serialised by a
  transaction-level advisory lock, and a unique (chain, seq) backs it, so concurrent requests
  cannot fork a chain. ``audit_verify`` recomputes every chain: an altered, removed or inserted
  entry shows. The chain heads (``AuditChainHead``) let it find every chain, see entries missing
  from the end, and start from the hash the oldest kept entry must follow after a prune.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from psycopg import sql

from ams.core.db_roles import role_connection
from ams.core.models import AuditChainHead, AuditEntry, UserAuditEntry
from ams.core.tenancy import TEAM_SETTING, USER_SETTING, team_scope, user_scope

log = structlog.get_logger(__name__)

GENESIS = "0" * 64
RETENTION_DAYS = 365
UNKNOWN_CHAIN = "unknown"
UNKNOWN_SETTING = "ams.audit_unknown"

AuditModel = type[AuditEntry] | type[UserAuditEntry]


def team_chain(team_id: int) -> str:
    return f"team:{team_id}"


def user_chain(user_id: int) -> str:
    return f"user:{user_id}"


@contextmanager
def unknown_account_scope() -> Iterator[None]:
    """Let the block read and add the failed sign-ins of addresses no account has."""
    with transaction.atomic():
        _set_unknown("on")
        yield
        _set_unknown("")


def _set_unknown(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [UNKNOWN_SETTING, value])


def email_fingerprint(email: str) -> str:
    """An address no account has, as an HMAC: repeated attempts on it can be told apart without
    keeping an address that may be a stranger's (or a password typed in the wrong box)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def _plain(value: Any) -> Any:
    """The data as JSON that reads back exactly as written (jsonb keeps no float as it was)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return str(value).replace("\x00", "")


def canonical(
    *, chain: str, seq: int, kind: str, data: Any, created_at: datetime, ids: dict[str, int | None]
) -> str:
    return json.dumps(
        {
            "chain": chain,
            "seq": seq,
            "kind": kind,
            "data": data,
            "at": created_at.isoformat(),
            **ids,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def entry_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def _ids(entry: AuditEntry | UserAuditEntry) -> dict[str, int | None]:
    if isinstance(entry, AuditEntry):
        return {"team_id": entry.team_id, "actor_id": entry.actor_id}
    return {"user_id": entry.user_id}


def _append(model: AuditModel, chain: str, kind: str, data: Any, **ids: int | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [chain])
    head = AuditChainHead.objects.filter(chain=chain).first()
    prev = head.hash if head else GENESIS
    seq = (head.seq if head else 0) + 1
    created_at = timezone.now()
    content = canonical(chain=chain, seq=seq, kind=kind, data=data, created_at=created_at, ids=ids)
    digest = entry_hash(prev, content)
    model.objects.create(
        seq=seq, kind=kind, data=data, created_at=created_at, prev_hash=prev, hash=digest, **ids
    )
    AuditChainHead.objects.update_or_create(
        chain=chain,
        defaults={"seq": seq, "hash": digest},
        create_defaults={"seq": seq, "hash": digest, "floor_seq": 0, "floor_hash": GENESIS},
    )


@transaction.atomic
def audit_record(*, team_id: int | None, actor_id: int | None, kind: str, **data: Any) -> None:
    """Add an event to the audit trail, in the caller's transaction.

    ``team_id`` set: the team's trail (owners and admins read it). ``team_id`` None: the trail of
    the person ``actor_id`` (their sign-ins), or, with no actor either, of unknown accounts.
    ``data`` holds ids, kinds and counts: never a secret, a token or an email address.
    """
    payload = _plain(data)
    if team_id is not None:
        with team_scope(team_id):
            _append(
                AuditEntry, team_chain(team_id), kind, payload, team_id=team_id, actor_id=actor_id
            )
    elif actor_id is not None:
        with user_scope(actor_id):
            _append(UserAuditEntry, user_chain(actor_id), kind, payload, user_id=actor_id)
    else:
        with unknown_account_scope():
            _append(UserAuditEntry, UNKNOWN_CHAIN, kind, payload, user_id=None)
    log.info("audit.recorded", kind=kind, team_id=team_id, actor_id=actor_id)


def _chain_rows(chain: str) -> tuple[AbstractContextManager[None], AuditModel, dict[str, Any]]:
    """The scope that reads a chain, its table and its rows' filter."""
    if chain == UNKNOWN_CHAIN:
        return unknown_account_scope(), UserAuditEntry, {"user_id__isnull": True}
    kind, _, raw_id = chain.partition(":")
    chain_id = int(raw_id)
    if kind == "team":
        return team_scope(chain_id), AuditEntry, {"team_id": chain_id}
    return user_scope(chain_id), UserAuditEntry, {"user_id": chain_id}


@dataclass
class ChainReport:
    chain: str
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _verify_chain(head: AuditChainHead) -> ChainReport:
    report = ChainReport(head.chain)
    scope, model, where = _chain_rows(head.chain)
    expected_seq, expected_prev = head.floor_seq + 1, head.floor_hash
    with scope:
        entry: Model
        for entry in model.objects.filter(**where).order_by("seq").iterator(chunk_size=2000):
            assert isinstance(entry, AuditEntry | UserAuditEntry)
            report.entries += 1
            if entry.seq != expected_seq:
                report.problems.append(
                    f"entry {entry.seq} follows {expected_seq - 1}: entries are missing or inserted"
                )
            if entry.prev_hash != expected_prev:
                report.problems.append(f"entry {entry.seq} does not follow the entry before it")
            content = canonical(
                chain=head.chain,
                seq=entry.seq,
                kind=entry.kind,
                data=entry.data,
                created_at=entry.created_at,
                ids=_ids(entry),
            )
            if entry_hash(entry.prev_hash, content) != entry.hash:
                report.problems.append(f"entry {entry.seq} was changed after it was written")
            expected_seq, expected_prev = entry.seq + 1, entry.hash
    if (expected_seq - 1, expected_prev) != (head.seq, head.hash):
        report.problems.append(
            f"the chain ends at entry {expected_seq - 1}, its head says {head.seq}: "
            "entries are missing from the end"
        )
    return report


def audit_verify() -> list[ChainReport]:
    """Recompute every chain; a report per chain, with what is wrong in it."""
    return [_verify_chain(head) for head in AuditChainHead.objects.order_by("chain")]


# The last entry of the chain's old prefix: older than the cutoff, and before its first young one
# (a clock stepped back must not take a young entry with the old ones).
_PRUNE_LAST = """
SELECT seq, hash FROM {table}
WHERE {owner} AND created_at < %(cutoff)s
  AND seq < coalesce((SELECT min(seq) FROM {table} WHERE {owner} AND created_at >= %(cutoff)s),
                     9223372036854775807)
ORDER BY seq DESC LIMIT 1
"""
_PRUNE_DELETE = "DELETE FROM {table} WHERE {owner} AND seq <= %(seq)s"
_TEAM_TABLE = sql.SQL("core_auditentry")
_USER_TABLE = sql.SQL("core_userauditentry")


def _prune_target(chain: str) -> tuple[str, str, sql.SQL, sql.SQL, dict[str, int]]:
    """For a chain: the setting that opens it to row-level security, its table, and its rows."""
    if chain == UNKNOWN_CHAIN:
        return UNKNOWN_SETTING, "on", _USER_TABLE, sql.SQL("user_id IS NULL"), {}
    kind, _, raw_id = chain.partition(":")
    chain_id = int(raw_id)
    if kind == "team":
        return (
            TEAM_SETTING,
            str(chain_id),
            _TEAM_TABLE,
            sql.SQL("team_id = %(id)s"),
            {"id": chain_id},
        )
    return USER_SETTING, str(chain_id), _USER_TABLE, sql.SQL("user_id = %(id)s"), {"id": chain_id}


def audit_prune(*, now: datetime | None = None) -> int:
    """Delete entries older than ``RETENTION_DAYS``, oldest first, and move each chain's floor.

    Runs on a connection of its own as the owner role (the app role cannot delete audit rows),
    one transaction per chain. A chain loses only a prefix, and its head keeps the hash the first
    kept entry must follow.
    """
    cutoff = (now or timezone.now()) - timedelta(days=RETENTION_DAYS)
    deleted = 0
    with role_connection("owner") as owner:
        owner.ensure_connection()
        db = owner.connection
        with db.cursor() as cursor:
            cursor.execute("SELECT chain FROM core_auditchainhead ORDER BY chain")
            chains = [row[0] for row in cursor.fetchall()]
        for chain in chains:
            setting, value, table, condition, params = _prune_target(chain)
            with db.transaction(), db.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, true)", [setting, value])
                cursor.execute(
                    sql.SQL(_PRUNE_LAST).format(table=table, owner=condition),
                    {**params, "cutoff": cutoff},
                )
                last = cursor.fetchone()
                if last is None:
                    continue
                cursor.execute(
                    sql.SQL(_PRUNE_DELETE).format(table=table, owner=condition),
                    {**params, "seq": last[0]},
                )
                deleted += cursor.rowcount
                cursor.execute(
                    "UPDATE core_auditchainhead SET floor_seq = %s, floor_hash = %s WHERE chain = %s",
                    [last[0], last[1], chain],
                )
    log.info("audit.pruned", deleted=deleted)
    return deleted
