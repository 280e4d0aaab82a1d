"""Typed errors raised by the client.

Every error carries what an operator needs to act on it (HTTP status, Amazon's error code, the
message, ``x-amzn-RequestId``, the operation) and never a credential: messages go through
:func:`spapi.redact.redact` before they are stored.

The hierarchy answers the questions callers ask:

* may I retry? ``error.retryable`` (Throttled, ServerError, TransportError);
* must the seller re-authorize? :class:`AuthorizationRevoked`;
* is our app misconfigured? :class:`InvalidClient`, :class:`Unauthorized`;
* did a report fail on Amazon's side? :class:`ReportFailed`;
* did an inbound operation fail inside Amazon? :class:`InboundOperationFailed`;
* must I fetch a fresh document URL? :class:`DocumentExpired`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from spapi.redact import redact


class SpApiError(Exception):
    """Base of every error the client raises."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        operation: str | None = None,
        details: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.operation = operation
        self.details = redact(details) if details else details
        # How many attempts the client made before giving up (set by the retry loop).
        self.attempts = 1
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = []
        if self.operation:
            parts.append(f"{self.operation}:")
        if self.status is not None:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        text = f"{head} {self.message}" if head else self.message
        if self.details:
            text += f" ({self.details})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        fields: dict[str, Any] = {
            "status": self.status,
            "code": self.code,
            "operation": self.operation,
            "request_id": self.request_id,
            "message": self.message,
        }
        inner = ", ".join(f"{k}={v!r}" for k, v in fields.items() if v is not None)
        return f"{type(self).__name__}({inner})"


# --- SP-API responses -------------------------------------------------------------------------


class Throttled(SpApiError):
    """HTTP 429 ``QuotaExceeded``: the (seller, operation) usage plan is exhausted."""

    retryable = True


class ServerError(SpApiError):
    """HTTP 5xx from SP-API or LWA (``InternalFailure``, ``ServiceUnavailable``, …)."""

    retryable = True


class TransportError(SpApiError):
    """The request never got a response: connection refused or reset, DNS, TLS."""

    retryable = True


class RequestTimeout(TransportError):
    """A connect, read, write or pool timeout expired."""


class BadResponse(SpApiError):
    """A response we cannot use: not JSON where JSON was promised, or an unexpected shape."""


class ClientError(SpApiError):
    """A 4xx other than 429: the request is wrong and retrying will not help."""


class InvalidInput(ClientError):
    """HTTP 400 ``InvalidInput`` (or 422): a parameter or body Amazon rejects."""


class Unauthorized(ClientError):
    """HTTP 401/403 from SP-API: token missing/invalid/expired or the app lacks the role.

    Amazon uses code ``Unauthorized`` for all of these; ``details`` sometimes says which.
    """


Forbidden = Unauthorized


class NotFound(ClientError):
    """HTTP 404 ``NotFound``."""


# --- Login with Amazon ------------------------------------------------------------------------


class LwaError(ClientError):
    """An OAuth error from the LWA token endpoint; ``code`` is the OAuth ``error`` field."""


class InvalidGrant(LwaError):
    """``invalid_grant``: the code or refresh token is not (or no longer) valid."""


class AuthorizationRevoked(InvalidGrant):
    """``invalid_grant`` on a refresh: the seller revoked the app or the 365-day authorization
    lapsed.  Nothing but a new consent from the seller fixes it."""


class InvalidClient(LwaError):
    """``invalid_client`` (HTTP 401): our LWA client id or secret is wrong or was rotated."""


# --- Reports ----------------------------------------------------------------------------------


class ReportFailed(SpApiError):
    """The report ended ``CANCELLED`` (often: no data for the range) or ``FATAL``."""

    def __init__(
        self,
        message: str,
        *,
        report_id: str,
        processing_status: str,
        report_document_id: str | None = None,
        operation: str | None = "reports_2021-06-30.getReport",
    ) -> None:
        super().__init__(message, code=processing_status, operation=operation)
        self.report_id = report_id
        self.processing_status = processing_status
        # A FATAL report may come with a document that explains the failure.
        self.report_document_id = report_document_id


class InboundOperationFailed(SpApiError):
    """A Fulfillment Inbound operation ended ``FAILED`` inside Amazon; ``problems`` are its
    ``operationProblems`` (code, message, severity, details). The plan is as it was before the
    operation: generate or confirm again, or change what a problem names."""

    def __init__(
        self,
        message: str,
        *,
        operation_id: str,
        inbound_operation: str,
        problems: list[dict[str, str]],
        operation: str | None = "fulfillmentInbound_2024-03-20.getInboundOperationStatus",
    ) -> None:
        first = problems[0].get("code") if problems else None
        super().__init__(message, code=first or "FAILED", operation=operation)
        self.operation_id = operation_id
        self.inbound_operation = inbound_operation
        self.problems = problems


class ReportTimeout(SpApiError):
    """The report did not finish within the time the caller allowed."""


class DocumentExpired(ClientError):
    """The presigned document URL expired (it lives 5 minutes): call getReportDocument again."""


class DocumentTruncated(SpApiError):
    """The document ended early: the connection dropped or the gzip stream has no end."""

    retryable = True
