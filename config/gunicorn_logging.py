"""Gunicorn's access log, with the secrets of a request line redacted like every other log line.

The access log writes the request's path and query string: an OAuth callback's code and state,
an invitation's token, an e-mail confirmation or password-reset key. ``gunicorn.conf.py`` at the
project's root makes this the logger of every gunicorn started from there.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from config.logging import redact_text


class RedactingLogger(Logger):  # type: ignore[misc]
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        # Every text atom: the request line, path, query string and referrer, and the same
        # values again as environ ("{raw_uri}e") and header ("{referer}i") atoms.
        for name, value in atoms.items():
            if isinstance(value, str):
                atoms[name] = redact_text(value)
        # A bare query string has no "?" for the patterns to start from.
        for name in ("q", "{query_string}e"):
            query = atoms.get(name)
            if isinstance(query, str) and query:
                atoms[name] = redact_text(f"?{query}")[1:]
        return atoms
