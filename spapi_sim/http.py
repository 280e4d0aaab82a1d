"""Small request/response types and a path router for the simulator's stdlib HTTP server."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def args(self, name: str) -> list[str]:
        """A list parameter: SP-API accepts both repeated and comma-separated values."""
        result: list[str] = []
        for value in self.query.get(name, []):
            result.extend(v for v in value.split(",") if v)
        return result

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """Form or JSON body as a flat dict (LWA accepts both)."""
        content_type = self.headers.get("content-type", "")
        text = self.body.decode("utf-8", errors="replace")
        if "json" in content_type or text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                return {}
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


@dataclass
class Response:
    status: int
    body: bytes | Iterable[bytes] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Set by the timeout fault: drop the connection without answering.
    drop_connection: bool = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(
    status: int, payload: Any, headers: list[tuple[str, str]] | None = None
) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, [("Content-Type", "application/json"), *(headers or [])])


def sp_error(status: int, code: str, message: str, details: str = "") -> Response:
    """SP-API's error body: {"errors": [{"code", "message", "details"}]}."""
    return json_response(
        status, {"errors": [{"code": code, "message": message, "details": details}]}
    )


def html_response(status: int, html: str) -> Response:
    return Response(status, html.encode(), [("Content-Type", "text/html; charset=utf-8")])


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    # Usage-plan operation name for SP-API routes; None for LWA, consent, documents, /_sim.
    operation: str | None
    kind: str  # "spapi", "lwa", "consent", "document", "sim"


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        operation: str | None = None,
        kind: str = "spapi",
    ) -> None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "/?$"
        self.routes.append(Route(method, template, re.compile(regex), handler, operation, kind))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """The route, its path parameters, and whether the path exists under another method."""
        path_known = False
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            path_known = True
            if route.method == method:
                return route, found.groupdict(), True
        return None, {}, path_known
