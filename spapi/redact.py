"""Redaction of credentials from text that may reach a log line, an exception or a repr.

The patterns cover the shapes Amazon uses (LWA tokens start ``Atza|`` / ``Atzr|``, client
secrets ``amzn1.oa2-cs.v1.``), the places a secret travels (the ``x-amz-access-token``
header, OAuth form fields, JSON token fields) and presigned S3 URLs, whose signature lets
anyone download a report for five minutes.  Values that have no recognisable shape (a
simulator's tokens, a secret from a test) can be registered with :func:`register_secret`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

MASK = "***"

# Order matters only for readability of the result: every pattern replaces a secret with MASK.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # LWA access/refresh tokens anywhere (headers, bodies, messages).
    (re.compile(r"(Atz[ar]\|)[^\s\"'&,;<>]+"), rf"\1{MASK}"),
    # LWA client secrets.
    (re.compile(r"(amzn1\.oa2-cs\.v1\.)[0-9A-Za-z._-]+"), rf"\1{MASK}"),
    # The SP-API auth header, rendered as "name: value" or as a Python dict item.
    (
        re.compile(r"(x-amz-access-token['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+", re.IGNORECASE),
        rf"\1{MASK}",
    ),
    # OAuth form and query fields.
    (
        re.compile(
            r"((?:^|[?&\s])(?:refresh_token|access_token|client_secret|code|spapi_oauth_code)=)[^&\s]+"
        ),
        rf"\1{MASK}",
    ),
    # The same fields in a JSON body.
    (
        re.compile(
            r"(\"(?:refresh_token|access_token|client_secret|code|spapi_oauth_code)\"\s*:\s*\")[^\"]*"
        ),
        rf"\1{MASK}",
    ),
    # Presigned URL credentials: whoever holds the signature can fetch the document.
    (
        re.compile(r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s\"']+"),
        rf"\1{MASK}",
    ),
)

# Secrets without a recognisable shape.  Bounded so a long-running worker that mints a token
# per seller per hour cannot grow it without limit; the oldest entries go first, and those are
# the tokens that expired longest ago.
_MAX_REGISTERED = 512
_MIN_SECRET_LEN = 8
_registered: OrderedDict[str, None] = OrderedDict()
_registered_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Make :func:`redact` mask ``value`` wherever it appears.

    Values shorter than 8 characters are ignored: masking every "abc" in a log would hide
    more than it protects.
    """
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    with _registered_lock:
        _registered[value] = None
        _registered.move_to_end(value)
        while len(_registered) > _MAX_REGISTERED:
            _registered.popitem(last=False)


def redact(text: str) -> str:
    """Return ``text`` with every known kind of credential replaced by ``***``."""
    with _registered_lock:
        secrets = [s for s in _registered if s in text]
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_url(url: str) -> str:
    """Redact a URL for display: presigned signatures and token query fields are masked."""
    return redact(url)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message (and any exception text).

    Attach it to the handlers that ship logs somewhere (``handler.addFilter(RedactingFilter())``);
    the ``spapi`` logger has one installed by default.  The record is rewritten in place, so
    formatters downstream see only the redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def get_logger(name: str) -> logging.Logger:
    """A module logger with :class:`RedactingFilter` attached.

    Logger-level filters only see records created on that very logger (not those propagated
    from children), so every ``spapi`` module asks for its own filtered logger here.
    """
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
