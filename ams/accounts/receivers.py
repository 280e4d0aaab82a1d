"""Sign-in events into the security audit trail: a person's own, readable on their profile.

A failed sign-in for an address that has an account goes to that person's trail (they see it);
one for an address no account has is kept with an HMAC of the address, never the address itself
(``ams.core.audit_log``). Passwords never reach these receivers: Django hands over the
credentials with the password masked, and only the email is read.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.account.signals import email_changed, password_changed, password_reset
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from ams.accounts.models import User
from ams.core.audit_log import audit_record, email_fingerprint

USER_AGENT_MAX = 200


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    adapter = get_adapter(request)
    try:
        ip = adapter.get_client_ip(request)
    except PermissionDenied:
        ip = ""
    return {"ip": ip, "agent": adapter.get_http_user_agent(request)[:USER_AGENT_MAX]}


@receiver(user_logged_in, dispatch_uid="audit_signin")
def _signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(team_id=None, actor_id=user.pk, kind="signin.succeeded", **_client(request))


@receiver(user_login_failed, dispatch_uid="audit_signin_failed")
def _signin_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    email = str(credentials.get("email") or credentials.get("username") or "")
    user = User.objects.filter(email__iexact=email).only("id").first() if email else None
    if user is not None:
        audit_record(team_id=None, actor_id=user.id, kind="signin.failed", **_client(request))
    else:
        audit_record(
            team_id=None,
            actor_id=None,
            kind="signin.failed_unknown_account",
            email_hmac=email_fingerprint(email),
            **_client(request),
        )


def _authenticator(kind: str) -> Any:
    def record(
        sender: Any,
        request: HttpRequest | None,
        user: User,
        authenticator: Authenticator,
        **kw: Any,
    ) -> None:
        audit_record(
            team_id=None,
            actor_id=user.pk,
            kind=kind,
            authenticator=authenticator.type,
            **_client(request),
        )

    return record


_mfa_added = _authenticator("mfa.added")
_mfa_removed = _authenticator("mfa.removed")
_mfa_reset = _authenticator("mfa.recovery_codes_reset")
_mfa_failed = _authenticator("signin.mfa_failed")
authenticator_added.connect(_mfa_added, dispatch_uid="audit_mfa_added")
authenticator_removed.connect(_mfa_removed, dispatch_uid="audit_mfa_removed")
authenticator_reset.connect(_mfa_reset, dispatch_uid="audit_mfa_reset")
authentication_failed.connect(_mfa_failed, dispatch_uid="audit_mfa_failed")


@receiver(password_changed, dispatch_uid="audit_password_changed")
@receiver(password_reset, dispatch_uid="audit_password_reset")
def _password_changed(sender: Any, request: HttpRequest | None, user: User, **kw: Any) -> None:
    audit_record(team_id=None, actor_id=user.pk, kind="password.changed", **_client(request))


@receiver(email_changed, dispatch_uid="audit_email_changed")
def _email_changed(sender: Any, request: HttpRequest | None, user: User, **kw: Any) -> None:
    # The addresses themselves stay out of the trail: the account row holds the current one.
    audit_record(team_id=None, actor_id=user.pk, kind="email.changed", **_client(request))
