from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.http import HttpRequest

from ams.accounts.invited import invited_address_proven
from ams.accounts.models import User

EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length or 254


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    # A locked-out person is told how long to wait, not "later".
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": (
            "Too many failed login attempts. For the account's safety, signing in is paused for "
            f"{settings.LOGIN_LOCKOUT_MINUTES} minutes: try again after that."
        ),
    }

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return "/"

    def is_email_verified(self, request: HttpRequest, email: str) -> bool:
        # Signing up with the address an open invitation was sent to, after following its link
        # (ams.accounts.invited): the link proved the mailbox. Any other address is confirmed by
        # email as usual.
        return invited_address_proven(request, email) or bool(
            super().is_email_verified(request, email)
        )

    def clean_email(self, email: str) -> str:
        # allauth would otherwise cut an over-long address to fit the column, and sign the person
        # up under an address that is not theirs. RFC 5321 caps the local part at 64.
        local, _, _ = email.rpartition("@")
        if len(email) > EMAIL_MAX_LENGTH or len(local) > 64:
            raise forms.ValidationError("This email address is too long.")
        return str(super().clean_email(email))
