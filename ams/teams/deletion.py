"""Deleting a team or an account: asked for in a request, done by a job, proven by a receipt.

The request does what must happen at once and in one transaction: the team stops answering (404
to everyone) or the account stops signing in, and the apps above stop acting for it (the
``team_deleting`` signal: Amazon tokens are deleted and sync jobs cancelled there). The job then
removes every row, with the disconnect's mechanism (``ams.core.purge``: tables found from the
catalogue, children first, resumable batches, counted again to zero), after the apps above have
cleared what they hold outside those tables (``team_purging``: the Stripe customer, the shared
rows that name a seller). Both end with a ``DeletionReceipt`` mailed to the person who asked.

Nothing waits: the job runs as soon as the request commits. The promise is a maximum of
``MAX_DAYS``; the hourly sweep (``ams.teams.tasks``) finishes any deletion whose job failed, and
the receipt shows its due date until then.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import cast

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import connection as db
from django.db import transaction
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ams.accounts.models import User
from ams.core.audit_log import audit_record
from ams.core.jobs import team_jobs_forget
from ams.core.mail_text import name_for_mail
from ams.core.purge import (
    BATCH_SIZE,
    KEPT_TABLES,
    Table,
    clear_column,
    count_rows,
    delete_batch,
    purge_tables,
    references_to,
    tables_with,
)
from ams.core.tenancy import team_scope, user_scope
from ams.teams.models import DeletionReceipt, Membership, Role, Team

log = structlog.get_logger(__name__)

# The privacy policy's promise: everything is gone within this many days of the request.
MAX_DAYS = 30

# Sent inside the request's transaction, with ``team_id``: stop everything acting for the team.
team_deleting = Signal()
# Sent by the job before the tables are emptied, with ``team_id``: clear what the team holds
# outside its rows, or rows that must go in an order of their own; a receiver returns the rows it
# deleted per table (or None). One that fails makes the job fail and retry from where it was.
team_purging = Signal()


class DeletionRefused(ValidationError):
    pass


def _receipt(*, subject: str, ref: int, label: str, user: User) -> DeletionReceipt:
    now = timezone.now()
    return DeletionReceipt.objects.create(
        subject=subject,
        subject_ref=ref,
        label=label,
        requested_by=user,
        email=user.email,
        requested_at=now,
        due_at=now + timedelta(days=MAX_DAYS),
    )


def _defer(receipt: DeletionReceipt) -> None:
    from ams.teams.tasks import run_deletion

    receipt_id = receipt.id
    transaction.on_commit(lambda: run_deletion.defer(receipt_id=receipt_id))


@transaction.atomic
def team_delete_request(*, team: Team, actor: Membership, confirm: str) -> DeletionReceipt:
    """The owner deletes the team: it answers 404 at once, and its data goes in the job."""
    if actor.role_enum is not Role.OWNER:
        raise PermissionDenied("only the owner deletes the team")
    if confirm.strip() != team.name:
        raise DeletionRefused("Type the team's name exactly as shown to confirm.")
    team = Team.objects.select_for_update().get(id=team.id)
    if team.deletion_requested_at is not None:
        raise DeletionRefused("This team is already being deleted.")
    team.deletion_requested_at = timezone.now()
    team.save(update_fields=["deletion_requested_at"])
    user = User.objects.get(id=actor.user_id)
    receipt = _receipt(
        subject=DeletionReceipt.Subject.TEAM,
        ref=team.id,
        label=f"Team “{team.name}” (team {team.id})",
        user=user,
    )
    with team_scope(team.id):
        team_deleting.send(sender=Team, team_id=team.id)
        audit_record(
            team_id=team.id, actor_id=user.id, kind="team.deletion_requested", receipt=receipt.id
        )
    _defer(receipt)
    return receipt


def owned_teams(user: User) -> list[Team]:
    """The teams the user owns and that are not already being deleted."""
    with user_scope(user.id):
        return [
            m.team
            for m in Membership.objects.filter(user=user, role=Role.OWNER).select_related("team")
            if m.team.deletion_requested_at is None
        ]


@transaction.atomic
def account_delete_request(*, user: User) -> DeletionReceipt:
    """The user deletes their account: signed out everywhere at once, their rows go in the job."""
    owned = owned_teams(user)
    if owned:
        names = ", ".join(f"“{t.name}”" for t in owned)
        raise DeletionRefused(
            f"You own {names}. Transfer ownership to another member or delete "
            f"{'it' if len(owned) == 1 else 'them'} first."
        )
    user = User.objects.select_for_update().get(id=user.id)
    # An inactive user can neither sign in nor use a session they already have.
    user.is_active = False
    user.save(update_fields=["is_active"])
    receipt = _receipt(
        subject=DeletionReceipt.Subject.ACCOUNT,
        ref=user.id,
        label=f"Account {_masked(user.email)} (user {user.id})",
        user=user,
    )
    audit_record(
        team_id=None, actor_id=user.id, kind="account.deletion_requested", receipt=receipt.id
    )
    _defer(receipt)
    return receipt


def _masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


# --- The job ------------------------------------------------------------------------------------


def deletion_run(*, receipt_id: int) -> DeletionReceipt:
    """Carry out the deletion a receipt describes; idempotent, and resumable after a crash."""
    receipt = DeletionReceipt.objects.get(id=receipt_id)
    if receipt.completed_at is not None:
        return receipt
    if receipt.subject == DeletionReceipt.Subject.TEAM:
        remaining = _team_purge(receipt)
    else:
        remaining = _account_purge(receipt)
    receipt.rows_remaining = remaining
    receipt.verified = not any(remaining.values())
    if receipt.verified:
        receipt.completed_at = timezone.now()
    receipt.save(update_fields=["rows_remaining", "verified", "completed_at"])
    # The trail of the team (kept after it, KEPT_TABLES) or of the person says it was done.
    audit_record(
        team_id=receipt.subject_ref if receipt.subject == DeletionReceipt.Subject.TEAM else None,
        actor_id=None if receipt.subject == DeletionReceipt.Subject.TEAM else receipt.subject_ref,
        kind=f"{receipt.subject}.deleted",
        receipt=receipt.id,
        verified=receipt.verified,
        rows_deleted=sum(receipt.rows_deleted.values()),
    )
    if receipt.verified and receipt.email:
        _mail_receipt(receipt)
    return receipt


def _counter(receipt: DeletionReceipt) -> Callable[[str, int], None]:
    """Counts saved with each batch, so they survive a purge killed half-way."""

    def counted(label: str, deleted: int) -> None:
        receipt.rows_deleted = {
            **receipt.rows_deleted,
            label: receipt.rows_deleted.get(label, 0) + deleted,
        }
        receipt.save(update_fields=["rows_deleted"])

    return counted


def _team_purge(receipt: DeletionReceipt) -> dict[str, int]:
    team_id = int(receipt.subject_ref)
    for _receiver, deleted in team_purging.send(sender=Team, team_id=team_id):
        for label, count in cast("dict[str, int]", deleted or {}).items():
            if count:
                _counter(receipt)(label, count)
    tables = [t for t in tables_with(["team_id"]) if t.label not in KEPT_TABLES]
    match = {"team_id": team_id}
    purge_tables(tables, match, team_id=team_id, counted=_counter(receipt))
    purged = {table.label for table in tables}
    # What still points at the team from outside its own rows, then the team itself.
    for reference in references_to(Team._meta.db_table):
        if reference.table.label in purged:
            continue
        if reference.nullable:
            clear_column(reference, team_id)
        else:
            _delete_all(reference.table, {reference.column: team_id}, receipt)
    jobs = team_jobs_forget(team_id=team_id)
    if jobs:
        _counter(receipt)("public.procrastinate_jobs", jobs)
    with db.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Team._meta.db_table} WHERE id = %s", [team_id])  # noqa: S608
        if cursor.rowcount:
            _counter(receipt)(f"public.{Team._meta.db_table}", cursor.rowcount)
    with team_scope(team_id):
        remaining = {table.label: count_rows(table, match) for table in tables}
    remaining[f"public.{Team._meta.db_table}"] = int(Team.objects.filter(id=team_id).exists())
    return remaining


def _account_purge(receipt: DeletionReceipt) -> dict[str, int]:
    user_id = int(receipt.subject_ref)
    tenant = {table.label for table in tables_with(["team_id"])}
    references = references_to(User._meta.db_table)
    in_teams = [r for r in references if r.table.label in tenant]
    # A tenant row is visible only in its team's scope, and the user may appear in teams they
    # left long ago (an invitation sent, a cost saved), so every team is visited.
    for team_id in Team.objects.order_by("id").values_list("id", flat=True):
        with team_scope(team_id):
            for reference in in_teams:
                if reference.nullable:
                    clear_column(reference, user_id)
                else:
                    _delete_all(
                        reference.table, {"team_id": team_id, reference.column: user_id}, receipt
                    )
    # The rest (addresses, authenticators, sessions of allauth) are not tenant rows: Django's
    # cascade knows them, and finds nothing left in the tenant tables.
    user = User.objects.filter(id=user_id).first()
    if user is not None:
        _, per_model = user.delete()
        for label, count in per_model.items():
            if count:
                _counter(receipt)(label, count)
    remaining = {f"{r.table.label}.{r.column}": 0 for r in references}
    for team_id in Team.objects.order_by("id").values_list("id", flat=True):
        with team_scope(team_id):
            for reference in in_teams:
                key = f"{reference.table.label}.{reference.column}"
                remaining[key] += count_rows(reference.table, {reference.column: user_id})
    for reference in references:
        if reference.table.label not in tenant:
            key = f"{reference.table.label}.{reference.column}"
            remaining[key] += count_rows(reference.table, {reference.column: user_id})
    remaining[f"public.{User._meta.db_table}"] = int(User.objects.filter(id=user_id).exists())
    return remaining


def _delete_all(table: Table, match: dict[str, int], receipt: DeletionReceipt) -> None:
    while True:
        deleted = delete_batch(table, match)
        if deleted:
            _counter(receipt)(table.label, deleted)
        if deleted < BATCH_SIZE:
            return


# --- The receipt --------------------------------------------------------------------------------


def receipt_document(receipt: DeletionReceipt) -> dict[str, object]:
    """What the person downloads: what was deleted, when, and how many rows of each table."""
    return {
        "deleted": receipt.label,
        "kind": receipt.subject,
        "requested_at": receipt.requested_at.isoformat(),
        "due_by": receipt.due_at.isoformat(),
        "completed_at": receipt.completed_at.isoformat() if receipt.completed_at else None,
        "verified": receipt.verified,
        "rows_deleted": dict(sorted(receipt.rows_deleted.items())),
        "rows_remaining": dict(sorted(receipt.rows_remaining.items())),
    }


def receipt_from_token(token: str) -> DeletionReceipt | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return DeletionReceipt.objects.filter(token_hash=digest).first()


def _mail_receipt(receipt: DeletionReceipt) -> None:
    """Mail the receipt with a link to download it, then forget the address."""
    token = secrets.token_urlsafe(32)
    receipt.token_hash = hashlib.sha256(token.encode()).hexdigest()
    receipt.save(update_fields=["token_hash"])
    document = receipt_document(receipt)
    context = {
        "label": name_for_mail(receipt.label),
        "kind": receipt.get_subject_display().lower(),
        "completed_at": receipt.completed_at,
        "rows": sum(receipt.rows_deleted.values()),
        "url": settings.SITE_URL + reverse("deletion_receipt", args=[token]),
    }
    message = EmailMultiAlternatives(
        subject=f"AMS: your {context['kind']} has been deleted",
        body=render_to_string("teams/email/deletion_receipt.txt", context),
        to=[receipt.email],
    )
    message.attach_alternative(
        render_to_string("teams/email/deletion_receipt.html", context), "text/html"
    )
    message.attach(
        f"ams-deletion-{receipt.id}.json",
        json.dumps(document, indent=2, ensure_ascii=False),
        "application/json",
    )
    message.send()
    receipt.email = ""
    receipt.save(update_fields=["email"])


def deletions_overdue() -> list[int]:
    """Receipts whose job has not finished: run again by the sweep, oldest first."""
    stale = timezone.now() - timedelta(minutes=30)
    return list(
        DeletionReceipt.objects.filter(completed_at__isnull=True, requested_at__lte=stale)
        .order_by("requested_at")
        .values_list("id", flat=True)
    )
