"""The HTTP server: one ThreadingHTTPServer serving SP-API, LWA, consent, documents and /_sim."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from spapi_sim import consent, control
from spapi_sim.api import (
    catalog,
    fees,
    finances,
    inbound,
    inventory,
    listings,
    orders,
    pricing,
    reports,
    sellers,
)
from spapi_sim.api.common import ApiError
from spapi_sim.config import SimConfig
from spapi_sim.faults import REQUEST_KINDS
from spapi_sim.http import Request, Response, Route, Router, sp_error
from spapi_sim.state import Context, SimState

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router()
    for module in (
        sellers,
        orders,
        inventory,
        listings,
        catalog,
        pricing,
        fees,
        finances,
        reports,
        inbound,
    ):
        module.register(router)
    router.add(
        "POST",
        "/auth/o2/token",
        lambda state, request: state.lwa.token(request, state.now_ms()),
        kind="lwa",
    )
    router.add("GET", "/apps/authorize/consent", consent.consent_page, kind="consent")
    router.add("POST", "/apps/authorize/confirm", consent.confirm, kind="consent")
    router.add("GET", "/apps/authorize/confirm", consent.confirm, kind="consent")
    router.add("GET", "/documents/{documentId}", reports.download_document, kind="document")
    control.register(router)
    return router


class App:
    """Routes a request through auth, usage plans and faults to its handler."""

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.router = build_router()

    def handle(self, request: Request) -> Response:
        route, params, path_known = self.router.match(request.method, request.path)
        if route is None:
            if path_known:
                return sp_error(405, "MethodNotAllowed", "Method not allowed.")
            return sp_error(404, "NotFound", "Resource not found.")
        request.params = {k: unquote(v) for k, v in params.items()}
        if route.kind == "lwa":
            # Counted too, so tests can check that clients cache their access tokens.
            response = route.handler(self.state, request)
            self.state.stats.record("lwaToken", response.status)
            return response
        if route.kind != "spapi":
            return route.handler(self.state, request)
        response = self._spapi(route, request)
        assert route.operation is not None
        self.state.stats.record(route.operation, response.status)
        response.headers.append(("x-amzn-RequestId", request.request_id))
        return response

    def _spapi(self, route: Route, request: Request) -> Response:
        state = self.state
        assert route.operation is not None
        token = request.headers.get("x-amz-access-token", "")
        principal, reason = state.lwa.principal_for(token, state.now_ms()) if token else (None, "")
        if principal is None or principal.selling_partner_id not in state.sellers:
            response = sp_error(
                403, "Unauthorized", "Access to requested resource is denied.", reason
            )
            response.headers.append(("x-amzn-ErrorType", "AccessDeniedException"))
            return response
        spid = principal.selling_partner_id
        allowed, plan = state.limiter.take(spid, route.operation)
        if not allowed:
            response = sp_error(
                429, "QuotaExceeded", "You exceeded your quota for the requested resource."
            )
            response.headers.append(("x-amzn-ErrorType", "TooManyRequestsException"))
            return response
        fault = state.faults.draw(route.operation, REQUEST_KINDS)
        if fault is not None:
            if fault.kind == "500":
                return sp_error(
                    500, "InternalFailure", "We encountered an internal error. Please try again."
                )
            if fault.kind == "503":
                return sp_error(
                    503, "ServiceUnavailable", "Service temporarily unavailable. Please try again."
                )
            if fault.kind == "timeout":
                time.sleep(state.faults.config.timeout_seconds)
                return Response(504, b"", drop_connection=True)
            if fault.kind == "slow":
                time.sleep(state.faults.config.slow_seconds)
        ctx = Context(state, request, principal, state.sellers[spid])
        try:
            response = route.handler(ctx)
        except ApiError as exc:
            response = exc.response()
        if plan is not None:
            response.headers.append(("x-amzn-RateLimit-Limit", plan.header_value))
        return response


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Server"
    sys_version = ""
    # Headers and body leave in one segment, without waiting on Nagle and delayed ACKs (which
    # otherwise cost 40 ms per keep-alive request).
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024
    # Idle keep-alive connections give their thread back after two minutes.
    timeout = 120
    app: App

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            response = self.app.handle(request)
        except Exception:
            logger.exception("unhandled error for %s %s", self.command, self.path)
            response = sp_error(
                500, "InternalFailure", "We encountered an internal error. Please try again."
            )
        if response.drop_connection:
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._write_chunks(response.body)

    def _write_chunks(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            if chunk:
                self.wfile.write(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Loopback clients in tests open many connections at once.
    request_queue_size = 128


class SimServer:
    """A running simulator: ``base_url``, ``info()``, ``stop()``; also a context manager."""

    def __init__(
        self, state: SimState, httpd: ThreadingHTTPServer, thread: threading.Thread | None
    ) -> None:
        self.state = state
        self._httpd = httpd
        self._thread = thread
        host, port = httpd.server_address[:2]
        self.host = str(host)
        self.port = int(port)
        self.base_url = f"http://{self.host}:{self.port}"

    def info(self) -> dict[str, Any]:
        return self.state.info()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def create_server(config: SimConfig, host: str = "127.0.0.1", port: int = 0) -> SimServer:
    state = SimState(config)
    state.build()
    handler = type("SimHandler", (_Handler,), {"app": App(state)})
    httpd = _Server((host, port), handler)
    server = SimServer(state, httpd, None)
    state.base_url = server.base_url
    return server


def start_server(
    config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> SimServer:
    """Build the world, listen on ``host:port`` (0 = any free port) and serve in a daemon thread."""
    server = create_server(config or SimConfig(), host, port)
    thread = threading.Thread(target=server.serve_forever, name="spapi-sim", daemon=True)
    server._thread = thread
    thread.start()
    return server
