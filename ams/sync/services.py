"""Running a family's sync for a connection, and keeping its state honest for the user.

``sync_run`` is what the job calls. It refuses to start (and says why) when the connection is
gone or needs re-authorization, or when billing has paused the team; it never holds a
transaction while it talks to Amazon; and it turns every failure into a state with a reason the
user can act on. Retries are the job's business: ``sync_run`` raises ``RetryableSyncError`` for
failures that another attempt may fix (throttling, Amazon's 5xx, broken downloads).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from django.db import transaction
from django.utils import timezone

from ams.amazon.models import ConnectionMarketplace, ConnectionStatus, SellerConnection
from ams.amazon.services import connection_mark_needs_reauthorization
from ams.billing.entitlements import Action, may
from ams.claims.services import claims_refresh
from ams.core.tenancy import team_scope
from ams.inventory.stock_health import stock_health_refresh
from ams.sync import clients
from ams.sync.context import MarketplaceInfo, RecentRead, SyncContext, SyncStopped
from ams.sync.models import Family, PendingReport, SyncRun, SyncState, SyncStatus
from ams.sync.syncers import finances, inventory, ledger, listings, orders, settlements
from ams.sync.syncers.reports import IncompleteDocument
from ams.teams.models import Team
from spapi.client import SpApiClient
from spapi.errors import (
    AuthorizationRevoked,
    BadResponse,
    InvalidClient,
    ReportFailed,
    ReportTimeout,
    ServerError,
    SpApiError,
    Throttled,
    TransportError,
    Unauthorized,
)

log = structlog.get_logger(__name__)

SYNCERS: dict[str, Callable[[SyncContext], str]] = {
    Family.ORDERS: orders.run,
    Family.INVENTORY: inventory.run,
    Family.LISTINGS: listings.run,
    Family.FINANCES: finances.run,
    Family.SETTLEMENTS: settlements.run,
    Family.LEDGER: ledger.run,
}

REAUTHORIZE_REASON = (
    "Amazon no longer accepts this connection's authorization (revoked in Seller Central, or the "
    "yearly renewal is due). An owner or admin must re-authorize it; sync resumes by itself after."
)
_RETRYABLE = (
    Throttled,
    ServerError,
    TransportError,
    ReportFailed,
    ReportTimeout,
    IncompleteDocument,
    BadResponse,
)


class RetryableSyncError(Exception):
    """The run failed in a way another attempt may fix; the job's retry strategy applies."""


def _user_reason(exc: BaseException) -> str:
    if isinstance(exc, Throttled):
        return "Amazon asked AMS to slow down; the sync will continue shortly."
    if isinstance(exc, ServerError | TransportError):
        return "Amazon's service did not answer properly; the sync will retry shortly."
    if isinstance(exc, ReportFailed | ReportTimeout):
        return "Amazon could not produce a report; the sync will request it again shortly."
    if isinstance(exc, IncompleteDocument):
        return str(exc)
    if isinstance(exc, InvalidClient):
        return "AMS's own Amazon credentials were refused; the operators have been alerted."
    if isinstance(exc, Unauthorized):
        return "Amazon refused access to this data: check that the app's roles are granted in Seller Central."
    if isinstance(exc, SpApiError):
        return (
            f"Amazon refused a request ({exc.code or exc.status}); the operators have been alerted."
        )
    return "Something went wrong on AMS's side; the operators have been alerted and it will retry."


def pending_report_retry(*, team: Team, pending_id: int) -> PendingReport | None:
    """Ask for one more attempt at a report AMS could not read, on the family's next run; None
    when the team has no such pending report."""
    with transaction.atomic():
        report = (
            PendingReport.objects.select_for_update()
            .filter(
                team=team,
                id=pending_id,
                resolved_at__isnull=True,
                connection__disconnected_at__isnull=True,
            )
            .first()
        )
        if report is None:
            return None
        PendingReport.objects.filter(id=report.id).update(retry_requested=True)
        report.retry_requested = True
    return report


def sync_allowed(team: Team) -> tuple[bool, str]:
    """The one call site of billing's entitlement check for sync."""
    decision = may(team, Action.SYNC)
    return bool(decision), decision.reason


def _state(team_id: int, connection_id: int, family: str) -> SyncState:
    state, _ = SyncState.objects.get_or_create(
        team_id=team_id, connection_id=connection_id, family=family
    )
    return state


def sync_state_mark_queued(*, team_id: int, connection_id: int, family: str) -> None:
    with team_scope(team_id):
        state = _state(team_id, connection_id, family)
        if state.status != SyncStatus.RUNNING:
            SyncState.objects.filter(id=state.id).update(
                status=SyncStatus.QUEUED, updated_at=timezone.now()
            )


def _pause(team_id: int, connection_id: int, family: str, reason: str) -> None:
    with team_scope(team_id):
        state = _state(team_id, connection_id, family)
        SyncState.objects.filter(id=state.id).update(
            status=SyncStatus.PAUSED, reason=reason[:500], updated_at=timezone.now()
        )


def _finish(
    ctx: SyncContext, status: SyncStatus, reason: str, *, completed: datetime | None
) -> None:
    now = timezone.now()
    with team_scope(ctx.team_id):
        fields: dict[str, object] = {
            "status": status,
            "reason": reason[:500],
            "finished_at": now,
            "rows_last_run": ctx.stats.rows_read,
            "quarantined_last_run": ctx.stats.quarantined,
            "updated_at": now,
        }
        if completed is not None:
            fields["last_completed_at"] = completed
        SyncState.objects.filter(
            team_id=ctx.team_id, connection_id=ctx.connection_id, family=ctx.family
        ).update(**fields)
        SyncRun.objects.filter(id=ctx.run_id).update(
            status=status,
            finished_at=now,
            reason=reason[:500],
            files_refused=ctx.stats.refused_files,
            **ctx.counts(),
        )


def _counts(refused_files: int, rows_set_aside: int) -> list[str]:
    """What a run could not read, in the unit each count counts: whole files, and rows."""
    said = []
    if refused_files:
        said.append(
            f"{refused_files} report file(s) could not be read at all and were not imported."
        )
    if rows_set_aside:
        said.append(f"{rows_set_aside} row(s) could not be read and were set aside.")
    if said:
        said.append("Everything else was imported.")
    return said


def _mark_needs_reauthorization(*, team_id: int, connection_id: int) -> None:
    """Hand the revoked authorization to the connections app, which owns that state."""
    with team_scope(team_id):
        connection = SellerConnection.objects.get(id=connection_id)
    connection_mark_needs_reauthorization(connection=connection, reason=REAUTHORIZE_REASON)


# The families whose runs change what the overview's stock at a glance reads: stock levels and
# Amazon's advice (inventory), merchant-fulfilled quantities (listings), rates of sale (orders).
_STOCK_FAMILIES = frozenset({Family.INVENTORY, Family.LISTINGS, Family.ORDERS})


def _refresh_stock_health(ctx: SyncContext) -> None:
    """Rebuild the connection's stock at a glance (ams.inventory.stock_health) after a run that
    may have changed it. A failure here is logged, not the run's."""
    if ctx.family not in _STOCK_FAMILIES:
        return
    try:
        with team_scope(ctx.team_id):
            stock_health_refresh(
                connection_id=ctx.connection_id, marketplace_ids=ctx.marketplace_ids
            )
    except Exception:
        log.exception(
            "sync.stock_health_failed", connection_id=ctx.connection_id, family=ctx.family
        )


# The families whose runs bring the claims' evidence: the ledger, returns and reimbursements
# (ledger) and the refunds (finances).
_CLAIM_FAMILIES = frozenset({Family.LEDGER, Family.FINANCES})


def _refresh_claims(ctx: SyncContext) -> None:
    """Look for reimbursement cases again (ams.claims) after a run that brought their evidence.
    Idempotent: a case already known keeps its status. A failure here is logged, not the run's."""
    if ctx.family not in _CLAIM_FAMILIES:
        return
    try:
        since = ledger.evidence_since(team_id=ctx.team_id, connection_id=ctx.connection_id)
        with team_scope(ctx.team_id):
            claims_refresh(
                team=Team.objects.get(id=ctx.team_id),
                connection_id=ctx.connection_id,
                evidence_since=since,
                now=ctx.now(),
            )
    except Exception:
        log.exception("sync.claims_failed", connection_id=ctx.connection_id, family=ctx.family)


# What the sync page says of a first sync whose last 30 days are in and whose older history is
# queued behind the other families' first syncs.
RECENT_READ_REASON = "The last 30 days are in; the older history follows."


def sync_run(
    *,
    team_id: int,
    connection_id: int,
    family: str,
    client: SpApiClient | None = None,
    yield_recent: bool = False,
) -> SyncStatus:
    """Run one family's sync for one connection; returns the state it ended in. With
    ``yield_recent`` (a job), a first sync stops once the last 30 days are stored and returns
    QUEUED: its caller queues it again for the older history."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("sync_run talks to Amazon and must not run inside a transaction")
    with team_scope(team_id):
        connection = SellerConnection.objects.filter(id=connection_id).first()
        if connection is None or not connection.is_live:
            return SyncStatus.PAUSED
        team = Team.objects.get(id=team_id)
        if connection.status != ConnectionStatus.ACTIVE:
            reason = REAUTHORIZE_REASON
        else:
            allowed, reason = sync_allowed(team)
            reason = "" if allowed else reason
        if reason:
            _pause(team_id, connection_id, family, reason)
            return SyncStatus.PAUSED
        marketplaces = [
            MarketplaceInfo(m.marketplace_id, m.country_code, m.currency, m.name)
            for m in ConnectionMarketplace.objects.filter(
                connection_id=connection_id, is_participating=True
            ).order_by("marketplace_id")
        ]
        state = _state(team_id, connection_id, family)
        started = timezone.now()
        SyncState.objects.filter(id=state.id).update(
            status=SyncStatus.RUNNING,
            started_at=started,
            reason="",
            progress_done=0,
            progress_total=None,
            updated_at=started,
        )
        run = SyncRun.objects.create(
            team_id=team_id, connection_id=connection_id, family=family, mode="", started_at=started
        )
    ctx = SyncContext(
        team_id=team_id,
        connection_id=connection_id,
        selling_partner_id=connection.selling_partner_id,
        family=family,
        client=client or clients.client_for(connection),
        marketplaces=marketplaces,
        run_id=run.id,
        yield_recent=yield_recent,
    )
    log.info("sync.started", connection_id=connection_id, family=family)
    try:
        mode = SYNCERS[family](ctx)
    except RecentRead:
        _refresh_stock_health(ctx)
        _finish(ctx, SyncStatus.QUEUED, RECENT_READ_REASON, completed=None)
        with team_scope(team_id):
            SyncRun.objects.filter(id=run.id).update(mode="recent")
        log.info("sync.recent_read", connection_id=connection_id, family=family)
        return SyncStatus.QUEUED
    except SyncStopped as exc:
        _finish(
            ctx,
            SyncStatus.PAUSED,
            "Stopped: the connection was disconnected or needs re-authorization.",
            completed=None,
        )
        log.info("sync.stopped", connection_id=connection_id, family=family, why=str(exc))
        return SyncStatus.PAUSED
    except AuthorizationRevoked:
        # No retry: every attempt would fail the same way until the seller re-authorizes.
        _mark_needs_reauthorization(team_id=team_id, connection_id=connection_id)
        _finish(ctx, SyncStatus.PAUSED, REAUTHORIZE_REASON, completed=None)
        log.warning("sync.authorization_revoked", connection_id=connection_id, family=family)
        return SyncStatus.PAUSED
    except _RETRYABLE as exc:
        _refresh_stock_health(ctx)  # what the run wrote before it failed is kept
        _finish(ctx, SyncStatus.FAILED, _user_reason(exc), completed=None)
        log.warning(
            "sync.failed_retryable", connection_id=connection_id, family=family, error=repr(exc)
        )
        raise RetryableSyncError(str(exc)) from exc
    except Exception as exc:
        _refresh_stock_health(ctx)
        _finish(ctx, SyncStatus.FAILED, _user_reason(exc), completed=None)
        log.exception("sync.failed", connection_id=connection_id, family=family)
        raise
    problems = [*ctx.stats.problems, *_counts(ctx.stats.refused_files, ctx.stats.quarantined)]
    if not ctx.stats.refused_files:
        with team_scope(team_id):
            still = PendingReport.objects.filter(
                connection_id=connection_id, family=family, resolved_at__isnull=True
            ).count()
        if still:
            problems.append(
                f"{still} report file(s) that AMS could not read are still not imported (listed below)."
            )
    status = SyncStatus.PARTIAL if problems else SyncStatus.DONE
    _refresh_stock_health(ctx)
    _refresh_claims(ctx)
    _finish(ctx, status, " ".join(problems), completed=timezone.now())
    with team_scope(team_id):
        SyncRun.objects.filter(id=run.id).update(mode=mode)
    log.info(
        "sync.finished",
        connection_id=connection_id,
        family=family,
        status=status,
        rows=ctx.stats.rows_read,
    )
    return status
