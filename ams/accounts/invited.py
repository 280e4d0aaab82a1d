"""An invitation followed before signing up: the address it proves, kept in the visitor's session.

The invitation link was sent to one address, so whoever follows it reads that mailbox: signing up
with that same address needs no confirmation email. Invitations belong to ``ams.teams``, above
this app; as with the team gate (docs/architecture.md, Layers), the lower layer owns the
question: teams remembers the invitation here when its link is followed signed out, and registers
``invitation_check``, which says whether that invitation is still open for that address (not
expired, withdrawn or used). With no check registered, nothing counts as proven.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

SESSION_KEY = "ams.accounts.invited"


@dataclass(frozen=True)
class Invited:
    email: str
    token: str


_invitation_check: list[Callable[[Invited], bool]] = []


def invitation_check_register(check: Callable[[Invited], bool]) -> None:
    _invitation_check[:] = [check]


def invited_remember(request: HttpRequest, *, email: str, token: str) -> None:
    request.session[SESSION_KEY] = {"email": email, "token": token}


def invited_forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def invited(request: HttpRequest | None) -> Invited | None:
    """The invitation this visitor followed, if it is still open; else None."""
    session = getattr(request, "session", None)
    stored = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(stored, dict):
        return None
    email, token = stored.get("email"), stored.get("token")
    if not isinstance(email, str) or not isinstance(token, str):
        return None
    found = Invited(email=email, token=token)
    if not _invitation_check or not _invitation_check[0](found):
        return None
    return found


def invited_address_proven(request: HttpRequest | None, email: str) -> bool:
    """Whether ``email`` is the address of an open invitation this visitor followed."""
    found = invited(request)
    return found is not None and found.email.strip().lower() == email.strip().lower()
