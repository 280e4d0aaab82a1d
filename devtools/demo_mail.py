"""The demo's email: each message printed on the console as a person would read it.

Django's console backend prints the raw MIME message (headers, boundaries, quoted-printable lines
cut at 76 characters), in which a verification link is hard to find and to copy. This backend
prints who it is for, the subject and the plain-text body, with links whole.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

RULE = "─" * 72


def readable(message: EmailMessage) -> str:
    recipients = ", ".join(message.to or []) or "(no recipient)"
    body = str(message.body or "").strip()
    return (
        f"\n{RULE}\n  Email to {recipients}\n  Subject: {message.subject}\n{RULE}\n{body}\n{RULE}\n"
    )


class ReadableConsoleBackend(BaseEmailBackend):
    def __init__(self, *args: Any, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        with self._lock:
            for message in email_messages:
                self.stream.write(readable(message))
            self.stream.flush()
        return len(email_messages)
