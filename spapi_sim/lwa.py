"""Login with Amazon: authorization codes, refresh tokens and access tokens.

Refresh and access tokens are self-contained and signed with a key derived from the seed, so a
simulator restarted with the same seed still honours the refresh tokens AMS stored. Codes are
kept in memory: five minutes, single use. Times are simulated time, so advancing the clock
expires codes and access tokens (and refresh tokens after the 365-day re-authorization).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from spapi_sim import ids
from spapi_sim.http import Request, Response

ACCESS_TOKEN_SECONDS = 3600
CODE_SECONDS = 300
REAUTHORIZE_SECONDS = 365 * 86400
GRANTLESS_SCOPES = frozenset(
    {
        "sellingpartnerapi::notifications",
        "sellingpartnerapi::client_credential:rotation",
        "sellingpartnerapi::migration",
    }
)


@dataclass(frozen=True)
class Principal:
    """Who an access token speaks for: a seller, or the application itself (grantless)."""

    selling_partner_id: str | None
    scope: str | None = None


@dataclass
class _Code:
    selling_partner_id: str
    redirect_uri: str
    expires_ms: int


class LwaError(Exception):
    def __init__(self, status: int, error: str, description: str, error_type: str = "") -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.error_type = error_type


class Lwa:
    def __init__(
        self,
        seed: int,
        client_id: str,
        client_secret: str,
        application_id: str,
        wall_ms: Callable[[float], int] = lambda seconds: int(seconds * 1000),
    ) -> None:
        # Lifetimes of codes and access tokens are real time, whatever the clock's speed.
        self._wall_ms = wall_ms
        self.client_id = client_id
        self.client_secret = client_secret
        self.application_id = application_id
        self._key = hashlib.sha256(f"{seed}|{client_secret}|lwa-signing".encode()).digest()
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._revoked_ms: dict[str, int] = {}

    # -- tokens ---------------------------------------------------------------------------

    def _sign(self, prefix: str, claims: dict[str, object]) -> str:
        payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
        mac = hmac.new(self._key, prefix.encode() + payload, hashlib.sha256).digest()[:18]
        body = base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")
        # Amazon's tokens are "Atzr|IwEB…" / "Atza|IwEB…".
        return f"{prefix}|IwEBI{body}"

    def _verify(self, prefix: str, token: str) -> dict[str, object] | None:
        head = f"{prefix}|IwEBI"
        if not token.startswith(head):
            return None
        body = token[len(head) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            return None
        payload, mac = raw[:-18], raw[-18:]
        expected = hmac.new(self._key, prefix.encode() + payload, hashlib.sha256).digest()[:18]
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            claims = json.loads(payload)
        except ValueError:
            return None
        return claims if isinstance(claims, dict) else None

    def _issue_ms(self, now_ms: int, spid: str | None) -> int:
        # A token issued in the same millisecond as a revocation must still count as newer.
        revoked = self._revoked_ms.get(spid or "", -1)
        return max(now_ms, revoked + 1)

    def issue_refresh_token(self, spid: str, now_ms: int) -> str:
        return self._sign(
            "Atzr", {"s": spid, "i": self._issue_ms(now_ms, spid), "n": secrets.token_hex(6)}
        )

    def issue_access_token(self, principal: Principal, now_ms: int) -> str:
        return self._sign(
            "Atza",
            {
                "s": principal.selling_partner_id,
                "g": principal.scope,
                "i": self._issue_ms(now_ms, principal.selling_partner_id),
                "e": now_ms + self._wall_ms(ACCESS_TOKEN_SECONDS),
                "n": secrets.token_hex(6),
            },
        )

    def principal_for(self, access_token: str, now_ms: int) -> tuple[Principal | None, str]:
        """The token's principal, or None with the reason SP-API puts in ``details``."""
        claims = self._verify("Atza", access_token)
        if claims is None:
            return None, "The access token you provided is revoked, malformed or invalid."
        expires = claims.get("e")
        if not isinstance(expires, int) or expires <= now_ms:
            return None, "The access token you provided has expired."
        spid = claims.get("s")
        issued = claims.get("i")
        if (
            isinstance(spid, str)
            and isinstance(issued, int)
            and issued <= self._revoked_ms.get(spid, -1)
        ):
            return None, "The access token you provided is revoked, malformed or invalid."
        scope = claims.get("g")
        return Principal(
            spid if isinstance(spid, str) else None, scope if isinstance(scope, str) else None
        ), ""

    # -- consent and revocation -----------------------------------------------------------

    def issue_code(self, spid: str, redirect_uri: str, now_ms: int) -> str:
        code = "AN" + ids.alnum(int.from_bytes(secrets.token_bytes(16), "big"), 18)
        with self._lock:
            self._codes = {k: v for k, v in self._codes.items() if v.expires_ms > now_ms}
            self._codes[code] = _Code(spid, redirect_uri, now_ms + self._wall_ms(CODE_SECONDS))
        return code

    def revoke(self, spid: str, now_ms: int) -> None:
        with self._lock:
            self._revoked_ms[spid] = now_ms

    # -- the token endpoint ---------------------------------------------------------------

    def token(self, request: Request, now_ms: int) -> Response:
        try:
            body = self._grant(request.form(), now_ms)
        except LwaError as exc:
            payload = {
                "error_index": base64.urlsafe_b64encode(secrets.token_bytes(48))
                .decode()
                .rstrip("="),
                "error_description": exc.description,
                "error": exc.error,
                "request_id": request.request_id,
            }
            headers = _lwa_headers(request)
            if exc.error_type:
                headers.append(("X-Amzn-Errortype", exc.error_type))
            return Response(exc.status, json.dumps(payload).encode(), headers)
        return Response(200, json.dumps(body).encode(), _lwa_headers(request))

    def _grant(self, form: dict[str, str], now_ms: int) -> dict[str, object]:
        grant = form.get("grant_type", "")
        if not grant:
            raise LwaError(
                400, "invalid_request", "The request is missing a required parameter : grant_type"
            )
        if grant not in ("authorization_code", "refresh_token", "client_credentials"):
            raise LwaError(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server",
                "OA2UnsupportedGrantTypeException:http://internal.amazon.com/coral/com.amazon.panda/",
            )
        if form.get("client_id") != self.client_id or not hmac.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            raise LwaError(401, "invalid_client", "Client authentication failed")
        if grant == "client_credentials":
            scope = form.get("scope", "")
            if scope not in GRANTLESS_SCOPES:
                raise LwaError(400, "invalid_scope", "An unknown scope was requested")
            access = self.issue_access_token(Principal(None, scope), now_ms)
            return {
                "access_token": access,
                "scope": scope,
                "token_type": "bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
            }
        if grant == "authorization_code":
            code_value = form.get("code", "")
            with self._lock:
                code = self._codes.pop(code_value, None)
            if code is None or code.expires_ms <= now_ms:
                raise LwaError(
                    400, "invalid_grant", "The request has an invalid grant parameter : code"
                )
            redirect_uri = form.get("redirect_uri")
            if redirect_uri and redirect_uri != code.redirect_uri:
                raise LwaError(
                    400,
                    "invalid_grant",
                    "The request has an invalid grant parameter : redirect_uri",
                )
            spid = code.selling_partner_id
            refresh = self.issue_refresh_token(spid, now_ms)
        else:
            refresh = form.get("refresh_token", "")
            claims = self._verify("Atzr", refresh)
            spid_claim = claims.get("s") if claims else None
            issued = claims.get("i") if claims else None
            if (
                not isinstance(spid_claim, str)
                or not isinstance(issued, int)
                or issued <= self._revoked_ms.get(spid_claim, -1)
                or issued + REAUTHORIZE_SECONDS * 1000 <= now_ms
            ):
                raise LwaError(
                    400,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token. "
                    "User may have revoked or didn't grant the permission.",
                )
            spid = spid_claim
        access = self.issue_access_token(Principal(spid), now_ms)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
        }


def _lwa_headers(request: Request) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json;charset=UTF-8"),
        ("Cache-Control", "no-cache, no-store, must-revalidate"),
        ("Pragma", "no-cache"),
        ("X-Amzn-Requestid", request.request_id),
    ]
