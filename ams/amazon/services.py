"""Writes of seller connections: the authorization flow, re-authorization, disconnect.

The OAuth ``state`` is the callback's CSRF defence: 32 random bytes, kept in the user's session
(so it is bound to the browser), bound to the team, the user and the connection being renewed,
valid ten minutes and popped on first use, so a replayed or forged callback finds nothing.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from procrastinate.contrib.django.models import ProcrastinateJob

import spapi
from ams.accounts.models import User
from ams.amazon import clients, purge, vault
from ams.amazon.models import (
    ConnectionMarketplace,
    ConnectionStatus,
    DeletionRecord,
    Region,
    SellerConnection,
)
from ams.amazon.signals import connection_authorized, connection_disconnected
from ams.core import marketplaces
from ams.core.audit_log import audit_record
from ams.core.events import usage_event_record
from ams.core.jobs import app
from ams.core.tenancy import team_scope
from ams.teams.entitlements import Action, may
from ams.teams.models import Membership, Role, Team

log = structlog.get_logger(__name__)

SESSION_KEY = "amazon_oauth_states"
STATE_TTL_SECONDS = 10 * 60
# A user may have a few consent tabs open; older pending states are dropped.
MAX_PENDING_STATES = 5
# Who may connect, re-authorize and disconnect.
MANAGER_ROLE = Role.ADMIN


class AuthorizationRefused(Exception):
    """The callback cannot be accepted. The message is shown to the user as is."""


@dataclass(frozen=True)
class PendingAuthorization:
    team_id: int
    user_id: int
    region: str
    connection_id: int | None
    expires_at: float


# --- the consent flow -----------------------------------------------------------------------------


def authorization_begin(
    *,
    session: SessionBase,
    team: Team,
    actor: Membership,
    region: str,
    connection: SellerConnection | None = None,
) -> str:
    """Remember a fresh one-time state in the session and return Seller Central's consent URL."""
    if not actor.role_enum.at_least(MANAGER_ROLE):
        raise AuthorizationRefused("Only the team's owner and admins can connect Amazon accounts.")
    if region not in Region.values:
        raise AuthorizationRefused("Choose a region.")
    if connection is None:
        with team_scope(team.id):
            live = SellerConnection.objects.filter(team=team, disconnected_at__isnull=True).count()
            decision = may(team, Action.CONNECT_ACCOUNT, in_use=live)
        if not decision:
            raise AuthorizationRefused(decision.reason)
    state = secrets.token_urlsafe(32)
    pending: dict[str, dict[str, Any]] = dict(session.get(SESSION_KEY) or {})
    now = time.time()
    pending = {k: v for k, v in pending.items() if v.get("expires_at", 0) > now}
    while len(pending) >= MAX_PENDING_STATES:
        pending.pop(min(pending, key=lambda k: pending[k]["expires_at"]))
    pending[state] = asdict(
        PendingAuthorization(
            team_id=team.id,
            user_id=actor.user_id,
            region=region,
            connection_id=connection.id if connection else None,
            expires_at=now + STATE_TTL_SECONDS,
        )
    )
    session[SESSION_KEY] = pending
    return clients.consent_url(region=region, state=state)


def authorization_state_pop(
    *, session: SessionBase, state: str, user: User
) -> PendingAuthorization:
    """The pending authorization for ``state``, removed from the session whatever happens next."""
    pending: dict[str, dict[str, Any]] = dict(session.get(SESSION_KEY) or {})
    entry = pending.pop(state, None) if state else None
    session[SESSION_KEY] = pending
    if entry is None:
        raise AuthorizationRefused(
            "This authorization link is not valid: it was already used, belongs to another session, or was "
            "not started here. Start again from your team's Amazon accounts page."
        )
    found = PendingAuthorization(**entry)
    if found.expires_at < time.time():
        raise AuthorizationRefused(
            "This authorization took too long and has expired. Please connect again."
        )
    if found.user_id != user.id:
        raise AuthorizationRefused(
            "This authorization was started by another user. Please connect again."
        )
    return found


def _manager_team(pending: PendingAuthorization, user: User) -> Team:
    team = Team.objects.filter(id=pending.team_id).first()
    if team is None:
        raise AuthorizationRefused("The team of this authorization no longer exists.")
    with team_scope(team.id):
        membership = Membership.objects.filter(team=team, user=user).first()
    if membership is None or not membership.role_enum.at_least(MANAGER_ROLE):
        raise AuthorizationRefused(
            "You are no longer an owner or admin of this team, so nothing was connected."
        )
    return team


@sensitive_variables()
def connection_authorize(
    *, pending: PendingAuthorization, user: User, selling_partner_id: str, code: str
) -> SellerConnection:
    """Exchange the callback's code, read the marketplaces, and store the connection and its token.

    Nothing is stored unless every step succeeds: the exchange and the marketplace read happen
    before the transaction, and any refusal inside it rolls back.
    """
    team = _manager_team(pending, user)
    if not selling_partner_id or len(selling_partner_id) > 64 or not code:
        raise AuthorizationRefused(
            "Amazon's answer is missing the seller or the authorization code."
        )
    try:
        tokens = clients.exchange_code(code)
    except spapi.InvalidGrant:
        raise AuthorizationRefused(
            "Amazon refused the authorization code: it expired or was already used. Please connect again."
        ) from None
    except clients.AmazonNotConfigured:
        raise AuthorizationRefused("This AMS installation has no Amazon app configured.") from None
    except spapi.SpApiError as exc:
        log.warning("amazon.code_exchange_failed", error=exc.__class__.__name__, code=exc.code)
        raise AuthorizationRefused(
            "Amazon could not complete the authorization. Please try again later."
        ) from None
    if not tokens.refresh_token:
        raise AuthorizationRefused("Amazon did not grant this app access to the account.")
    try:
        participations = clients.participations_with_new_token(
            region=pending.region, seller_id=selling_partner_id, tokens=tokens, team_id=team.id
        )
    except clients.SellerNotProven as exc:
        log.warning("amazon.seller_not_proven", reason=str(exc))
        raise AuthorizationRefused(
            "The seller account in Amazon's answer is not the one you authorized. Nothing was "
            "stored: connect again from this page."
        ) from None
    except spapi.SpApiError as exc:
        log.warning("amazon.participations_failed", error=exc.__class__.__name__, code=exc.code)
        raise AuthorizationRefused(
            "Amazon did not tell us your marketplaces. Please try again later."
        ) from None
    regions = {
        marketplaces.region(str((p.get("marketplace") or {}).get("id") or ""))
        for p in participations
    }
    if participations and pending.region not in regions:
        # Authorization is regional: an account of another region would be called at the wrong endpoint.
        raise AuthorizationRefused(
            f"The account you authorized sells in no {Region(pending.region).label} marketplace. "
            "Connect it again and choose its region."
        )
    return _connection_store(
        team=team,
        user=user,
        pending=pending,
        selling_partner_id=selling_partner_id,
        refresh_token=tokens.refresh_token,
        participations=participations,
    )


@sensitive_variables()
def _connection_store(
    *,
    team: Team,
    user: User,
    pending: PendingAuthorization,
    selling_partner_id: str,
    refresh_token: str,
    participations: list[dict[str, Any]],
) -> SellerConnection:
    now = timezone.now()
    with transaction.atomic(), team_scope(team.id):
        # One store per team at a time: two consent flows started before either finished would
        # otherwise both pass the plan's limit, checked at their start against the same count.
        Team.objects.select_for_update().filter(id=team.id).first()
        live = SellerConnection.objects.select_for_update().filter(
            team=team, disconnected_at__isnull=True
        )
        if pending.connection_id is not None:
            connection = live.filter(id=pending.connection_id).first()
            if connection is None:
                raise AuthorizationRefused(
                    "The connection you were renewing has been disconnected. Connect again."
                )
            if connection.selling_partner_id != selling_partner_id:
                raise AuthorizationRefused(
                    "You authorized a different seller account from the one being renewed. Nothing was changed."
                )
        else:
            connection = live.filter(
                region=pending.region, selling_partner_id=selling_partner_id
            ).first()
        initial = connection is None
        if connection is None:
            in_use = SellerConnection.objects.filter(
                team=team, disconnected_at__isnull=True
            ).count()
            decision = may(team, Action.CONNECT_ACCOUNT, in_use=in_use)
            if not decision:
                raise AuthorizationRefused(decision.reason)
            connection = SellerConnection.objects.create(
                team=team,
                selling_partner_id=selling_partner_id,
                region=pending.region,
                authorized_at=now,
                created_by=user,
            )
        else:
            connection.status = ConnectionStatus.ACTIVE
            connection.status_reason = ""
            connection.authorized_at = now
            connection.save(update_fields=["status", "status_reason", "authorized_at"])
        _marketplaces_replace(connection, participations)
        vault.refresh_token_store(
            team_id=team.id, connection_id=connection.id, refresh_token=refresh_token
        )
        usage_event_record(
            team_id=team.id,
            user_id=user.id,
            kind="amazon.connected" if initial else "amazon.reauthorized",
            connection_id=connection.id,
            region=connection.region,
        )
        audit_record(
            team_id=team.id,
            actor_id=user.id,
            kind="amazon.connected" if initial else "amazon.reauthorized",
            connection_id=connection.id,
            region=connection.region,
        )
        transaction.on_commit(
            lambda: connection_authorized.send(
                sender=SellerConnection, connection=connection, initial=initial
            )
        )
    return connection


def _marketplaces_replace(
    connection: SellerConnection, participations: list[dict[str, Any]]
) -> None:
    seen: list[str] = []
    for item in participations:
        market = item.get("marketplace") or {}
        participation = item.get("participation") or {}
        marketplace_id = str(market.get("id") or "")[:20]
        if not marketplace_id:
            continue
        seen.append(marketplace_id)
        ConnectionMarketplace.objects.update_or_create(
            team_id=connection.team_id,
            connection=connection,
            marketplace_id=marketplace_id,
            defaults={
                "country_code": str(market.get("countryCode") or "")[:2],
                "name": str(market.get("name") or "")[:80],
                "currency": str(market.get("defaultCurrencyCode") or "")[:3],
                "is_participating": bool(participation.get("isParticipating", True)),
                "has_suspended_listings": bool(participation.get("hasSuspendedListings", False)),
            },
        )
    ConnectionMarketplace.objects.filter(team_id=connection.team_id, connection=connection).exclude(
        marketplace_id__in=seen
    ).delete()


def connection_reauthorize(
    *, session: SessionBase, connection: SellerConnection, actor: Membership
) -> str:
    """The consent URL that renews ``connection``'s authorization (same seller, new refresh token)."""
    if not connection.is_live:
        raise AuthorizationRefused(
            "A disconnected account cannot be re-authorized; connect it again."
        )
    return authorization_begin(
        session=session,
        team=connection.team,
        actor=actor,
        region=connection.region,
        connection=connection,
    )


def connection_mark_needs_reauthorization(*, connection: SellerConnection, reason: str) -> None:
    """Amazon refused the refresh token (revoked, or the 365 days ran out): ask the owner to renew.

    Called by the sync code on ``spapi.AuthorizationRevoked``. The cached access token goes; the
    refresh token stays until the renewal replaces it or a disconnect deletes it.
    """
    with transaction.atomic(), team_scope(connection.team_id):
        updated = SellerConnection.objects.filter(
            team_id=connection.team_id, id=connection.id, disconnected_at__isnull=True
        ).update(status=ConnectionStatus.NEEDS_REAUTHORIZATION, status_reason=reason[:300])
        vault.secrets_delete(team_id=connection.team_id, connection_id=connection.id, kind="access")
    if updated:
        connection.status = ConnectionStatus.NEEDS_REAUTHORIZATION
        connection.status_reason = reason[:300]
        usage_event_record(
            team_id=connection.team_id,
            user_id=None,
            kind="amazon.needs_reauthorization",
            connection_id=connection.id,
        )


# --- disconnect -----------------------------------------------------------------------------------


def connection_label(connection: SellerConnection) -> str:
    """How a deletion record names the connection: region and the seller id's last four characters."""
    return f"Amazon {connection.region} account …{connection.selling_partner_id[-4:]} (connection {connection.id})"


def connection_jobs_cancel(*, connection: SellerConnection) -> int:
    """Cancel queued jobs and ask running ones to abort, for every job whose arguments name the connection."""
    jobs = ProcrastinateJob.objects.filter(
        status__in=["todo", "doing"],
        args__connection_id=connection.id,
        args__team_id=connection.team_id,
    ).values_list("id", flat=True)
    cancelled = 0
    for job_id in jobs:
        if app.job_manager.cancel_job_by_id(job_id, abort=True):
            cancelled += 1
    return cancelled


def _connection_stop(
    connection: SellerConnection, *, reason: str, at: datetime, purge_due_at: datetime
) -> int:
    """Inside the caller's transaction and scope, on a locked live connection: the tokens are
    deleted (crypto-shredded), the connection marked disconnected, its queued and running jobs
    cancelled, and the receivers told. The jobs cancelled."""
    vault.secrets_delete(team_id=connection.team_id, connection_id=connection.id)
    connection.status = ConnectionStatus.DISCONNECTED
    connection.status_reason = reason[:300]
    connection.disconnected_at = at
    connection.purge_due_at = purge_due_at
    connection.save(update_fields=["status", "status_reason", "disconnected_at", "purge_due_at"])
    cancelled = connection_jobs_cancel(connection=connection)
    connection_disconnected.send(sender=SellerConnection, connection=connection)
    return cancelled


def team_connections_stop(*, team_id: int) -> int:
    """The team is being deleted: every token goes now and no job acts for it any more.

    The connections' rows go with the team's; the team purge clears them without a grace period.
    """
    stopped = 0
    with team_scope(team_id):
        for connection in SellerConnection.objects.select_for_update().filter(
            team_id=team_id, disconnected_at__isnull=True
        ):
            now = timezone.now()
            _connection_stop(connection, reason="The team was deleted.", at=now, purge_due_at=now)
            stopped += 1
    return stopped


def team_connections_purge(*, team_id: int) -> dict[str, int]:
    """Before a team's rows go: each connection's Amazon data, through the disconnect's own purge
    (it also forgets the shared rows naming the seller); the rows deleted per table."""
    with team_scope(team_id):
        connections = list(SellerConnection.objects.filter(team_id=team_id, purged_at__isnull=True))
    deleted: dict[str, int] = {}
    for connection in connections:
        record = purge.connection_purge(connection=connection)
        for label, count in record.rows_deleted.items():
            deleted[label] = deleted.get(label, 0) + count
    return deleted


@transaction.atomic
def connection_disconnect(*, connection: SellerConnection, actor: Membership) -> DeletionRecord:
    """Delete the refresh token now, stop the connection's work, and schedule the purge of its data."""
    if not actor.role_enum.at_least(MANAGER_ROLE):
        raise AuthorizationRefused(
            "Only the team's owner and admins can disconnect Amazon accounts."
        )
    with team_scope(connection.team_id):
        connection = SellerConnection.objects.select_for_update().get(
            team_id=connection.team_id, id=connection.id
        )
        if not connection.is_live:
            raise AuthorizationRefused("This account is already disconnected.")
        now = timezone.now()
        due = now + timedelta(days=settings.AMAZON_PURGE_GRACE_DAYS)
        # Who did it, by name, for the rest of the team to see.
        cancelled = _connection_stop(
            connection,
            reason=f"Disconnected by {actor.user.name or actor.user.email}.",
            at=now,
            purge_due_at=due,
        )
        record = DeletionRecord.objects.create(
            team_id=connection.team_id,
            connection_label=connection_label(connection),
            connection_ref=connection.id,
            requested_at=now,
            due_at=due,
        )
        usage_event_record(
            team_id=connection.team_id,
            user_id=actor.user_id,
            kind="amazon.disconnected",
            connection_id=connection.id,
            jobs_cancelled=cancelled,
        )
        audit_record(
            team_id=connection.team_id,
            actor_id=actor.user_id,
            kind="amazon.disconnected",
            connection_id=connection.id,
        )
        team_id, connection_id = connection.team_id, connection.id

        def schedule_purge() -> None:
            from ams.amazon.tasks import purge_connection

            purge_connection.configure(schedule_at=due).defer(
                team_id=team_id, connection_id=connection_id
            )

        transaction.on_commit(schedule_purge)
    return record
