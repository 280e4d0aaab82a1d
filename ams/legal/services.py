"""Acknowledging a policy version, and announcing material versions by email, once per person."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.db import transaction
from django.utils import timezone

from ams.accounts.models import User
from ams.core.audit_log import audit_record
from ams.legal import emails
from ams.legal.documents import Version, material_versions
from ams.legal.models import PolicyNotice
from ams.legal.selectors import unannounced

log = structlog.get_logger(__name__)


@transaction.atomic
def policy_acknowledge(*, user: User, version: Version) -> PolicyNotice:
    """Record that the person read ``version`` (the first acknowledgement's time is kept)."""
    notice, _ = PolicyNotice.objects.select_for_update().get_or_create(
        user=user, document=version.document, version=version.version
    )
    if notice.acknowledged_at is None:
        notice.acknowledged_at = timezone.now()
        notice.save(update_fields=["acknowledged_at"])
        audit_record(
            team_id=None,
            actor_id=user.id,
            kind="policy.acknowledged",
            document=version.document,
            version=version.version,
        )
    return notice


@dataclass(frozen=True)
class Announcement:
    emailed: int
    already_told: int


def policy_announce(*, batch_size: int = 200) -> Announcement:
    """Email every active person about the material versions they have not been told of.

    One email per person lists every such version. Each person is claimed, mailed and recorded
    in one transaction: a run that stops part-way resumes with the people it had not reached,
    and a second run sends nothing.
    """
    versions = material_versions()
    emailed = already = 0
    if not versions:
        return Announcement(0, 0)
    last_id = 0
    while True:
        people = list(
            User.objects.filter(is_active=True, id__gt=last_id).order_by("id")[:batch_size]
        )
        if not people:
            break
        last_id = people[-1].id
        for person in people:
            if _announce_to(person, versions):
                emailed += 1
            else:
                already += 1
    log.info("policy.announced", emailed=emailed, already_told=already)
    return Announcement(emailed, already)


@transaction.atomic
def _announce_to(person: User, versions: list[Version]) -> bool:
    # The person's row lock makes two concurrent runs take turns, so neither mails twice.
    User.objects.select_for_update().filter(id=person.id).first()
    pending = unannounced(person, versions)
    if not pending:
        return False
    now = timezone.now()
    for version in pending:
        notice, created = PolicyNotice.objects.get_or_create(
            user=person,
            document=version.document,
            version=version.version,
            defaults={"emailed_at": now},
        )
        if not created:
            notice.emailed_at = now
            notice.save(update_fields=["emailed_at"])
    emails.send_policy_change(user=person, versions=pending)
    return True
