"""A thin, typed client for Amazon's Selling Partner API and Login with Amazon.

No Django here: configuration (base URL, LWA URL, credentials), the refresh-token source, the
rate limiter and the token cache are injected, so the same client runs against Amazon, the
local simulator and recorded fixtures.  See ``spapi/README.md``.
"""

from spapi.client import SpApiClient
from spapi.errors import (
    AuthorizationRevoked,
    BadResponse,
    ClientError,
    DocumentExpired,
    DocumentTruncated,
    Forbidden,
    InboundOperationFailed,
    InvalidClient,
    InvalidGrant,
    InvalidInput,
    LwaError,
    NotFound,
    ReportFailed,
    ReportTimeout,
    RequestTimeout,
    ServerError,
    SpApiError,
    Throttled,
    TransportError,
    Unauthorized,
)
from spapi.http import HttpClient, RetryPolicy
from spapi.lwa import LwaClient, TokenResponse
from spapi.ratelimit import Limiter, MemoryLimiter, NullLimiter, UsagePlan, take, usage_plan
from spapi.tokens import AccessToken, MemoryTokenCache, TokenCache

__all__ = [
    "AccessToken",
    "AuthorizationRevoked",
    "BadResponse",
    "ClientError",
    "DocumentExpired",
    "DocumentTruncated",
    "Forbidden",
    "HttpClient",
    "InboundOperationFailed",
    "InvalidClient",
    "InvalidGrant",
    "InvalidInput",
    "Limiter",
    "LwaClient",
    "LwaError",
    "MemoryLimiter",
    "MemoryTokenCache",
    "NotFound",
    "NullLimiter",
    "ReportFailed",
    "ReportTimeout",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "SpApiClient",
    "SpApiError",
    "Throttled",
    "TokenCache",
    "TokenResponse",
    "TransportError",
    "Unauthorized",
    "UsagePlan",
    "take",
    "usage_plan",
]
