"""Support requests: stored, mailed to the operator and to the requester, limited per sender.

Anyone may write, signed in or not, so the form is a way to make AMS send mail to an address of
the sender's choosing. It is kept from becoming a relay: the requester's acknowledgement repeats
neither the message nor anything but a sanitised name, and one sender may send only a few
requests (per account, per address and per network address, counted in the table itself, as the
invitation quotas are).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ams.accounts.models import User
from ams.core.audit_log import audit_record
from ams.support import emails
from ams.support.models import Status, SupportRequest, Topic

PER_ACCOUNT_PER_DAY = 10
PER_ADDRESS_PER_DAY = 3
PER_CLIENT_PER_HOUR = 5


class TooManyRequests(ValidationError):
    pass


def client_key(ip: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()[:32]


def _within_limits(*, user: User | None, email: str, key: str) -> None:
    now = timezone.now()
    recent = SupportRequest.objects.filter(created_at__gte=now - timedelta(days=1))
    if user is not None:
        if recent.filter(user=user).count() >= PER_ACCOUNT_PER_DAY:
            raise TooManyRequests("You have sent many requests today; we will answer those first.")
        return
    if recent.filter(email__iexact=email).count() >= PER_ADDRESS_PER_DAY:
        raise TooManyRequests("This address has sent several requests today; try again tomorrow.")
    last_hour = SupportRequest.objects.filter(
        client_key=key, created_at__gte=now - timedelta(hours=1)
    )
    if last_hour.count() >= PER_CLIENT_PER_HOUR:
        raise TooManyRequests("Too many requests from your network; try again in an hour.")


@transaction.atomic
def support_request_create(
    *, user: User | None, email: str, name: str, topic: Topic, message: str, ip: str
) -> SupportRequest:
    """Store the request and, once stored, mail the operator and the requester."""
    email = (user.email if user is not None else email).strip().lower()
    key = client_key(ip)
    # Serialise the sender's requests, so two sent at once cannot both pass the count.
    if user is not None:
        User.objects.select_for_update().filter(id=user.id).first()
    _within_limits(user=user, email=email, key=key)
    request = SupportRequest.objects.create(
        user=user,
        email=email,
        name=name or (user.name if user is not None else ""),
        topic=topic,
        message=message,
        client_key=key,
    )
    if user is not None:
        audit_record(
            team_id=None, actor_id=user.id, kind="support.requested", reference=request.reference
        )
    transaction.on_commit(lambda: emails.send_request_received(request))
    return request


@transaction.atomic
def support_request_update(
    *, request: SupportRequest, status: Status, reply: str
) -> SupportRequest:
    """The operator's answer: a new status or reply, and an email telling the requester."""
    locked = SupportRequest.objects.select_for_update().get(id=request.id)
    if (locked.status, locked.reply) == (status, reply):
        return locked
    locked.status = status
    locked.reply = reply
    locked.save(update_fields=["status", "reply", "updated_at"])
    transaction.on_commit(lambda: emails.send_status_changed(locked))
    return locked
