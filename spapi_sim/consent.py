"""Seller Central's consent page: the seller picks an account and authorises the application."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from spapi_sim.http import Request, Response, html_response
from spapi_sim.state import SimState


def redirect_uri_allowed(state: SimState, uri: str) -> bool:
    """Registered URIs match by prefix; loopback http URIs are accepted when enabled."""
    if any(uri.startswith(registered) for registered in state.config.redirect_uris):
        return True
    if state.config.allow_loopback_redirects:
        parts = urlsplit(uri)
        return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    return False


def _error_page(code: str, message: str) -> Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Seller Central</title></head>"
        f"<body><h1>We're sorry</h1><p>{html.escape(message)}</p>"
        f"<p>Error code: <strong id='error-code'>{html.escape(code)}</strong></p></body></html>"
    )
    return html_response(400, body)


def _validate(state: SimState, query: dict[str, str]) -> tuple[Response | None, str]:
    """Amazon's consent errors, in Amazon's order; returns the effective redirect URI."""
    if query.get("application_id") != state.application_id:
        return _error_page(
            "MD9100", "The application you are trying to authorize could not be found."
        ), ""
    if state.config.app_is_draft and query.get("version") != "beta":
        return _error_page(
            "MD1000", "This application is in draft state and needs version=beta to be authorized."
        ), ""
    redirect_uri = query.get("redirect_uri") or state.config.redirect_uris[0]
    if "#" in redirect_uri:
        return _error_page("MD5110", "The redirect URL contains a fragment."), ""
    if not redirect_uri_allowed(state, redirect_uri):
        return _error_page(
            "MD5101", "The redirect URL does not match the OAuth redirect URIs of this application."
        ), ""
    return None, redirect_uri


def callback_url(redirect_uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(redirect_uri)
    query = parse_qs(parts.query, keep_blank_values=True)
    merged = [(k, v) for k, values in query.items() for v in values] + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(merged), ""))


def consent_page(state: SimState, request: Request) -> Response:
    query = {k: v[0] for k, v in request.query.items()}
    error, redirect_uri = _validate(state, query)
    if error is not None:
        return error
    options = "".join(
        "<li><label><input type='radio' name='selling_partner_id' value='{spid}'{checked}> "
        "{name} ({region}: {markets}) <code>{spid}</code></label></li>".format(
            spid=html.escape(w.selling_partner_id),
            checked=" checked" if i == 0 else "",
            name=html.escape(w.name),
            region=html.escape(w.region),
            markets=", ".join(m.country_code for m in w.marketplaces),
        )
        for i, w in enumerate(state.sellers.values())
    )
    hidden = "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
        for k, v in (
            ("application_id", query.get("application_id", "")),
            ("state", query.get("state", "")),
            ("redirect_uri", redirect_uri),
            ("version", query.get("version", "")),
        )
    )
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Authorize application</title>"
        "<meta name='referrer' content='no-referrer'></head><body>"
        "<h1>Seller Central (simulated)</h1>"
        "<p>An application wants to access your selling account data.</p>"
        "<form method='post' action='/apps/authorize/confirm'>"
        f"{hidden}<p>Choose the account to authorize:</p><ul>{options}</ul>"
        "<button type='submit' name='decision' value='approve'>Confirm</button> "
        "<button type='submit' name='decision' value='deny'>Cancel</button>"
        "</form></body></html>"
    )
    response = html_response(200, body)
    response.headers.append(("Referrer-Policy", "no-referrer"))
    return response


def confirm(state: SimState, request: Request) -> Response:
    form = (
        request.form() if request.method == "POST" else {k: v[0] for k, v in request.query.items()}
    )
    error, redirect_uri = _validate(state, form)
    if error is not None:
        return error
    spid = form.get("selling_partner_id", "")
    if spid not in state.sellers:
        return _error_page("MD9100", "Choose one of your selling accounts.")
    if form.get("decision", "approve") != "approve":
        # Amazon sends the seller back without a code when they cancel.
        location = callback_url(
            redirect_uri, {"state": form.get("state", ""), "error": "access_denied"}
        )
    else:
        code = state.lwa.issue_code(spid, redirect_uri, state.now_ms())
        location = callback_url(
            redirect_uri,
            {"state": form.get("state", ""), "selling_partner_id": spid, "spapi_oauth_code": code},
        )
    return Response(302, b"", [("Location", location), ("Referrer-Policy", "no-referrer")])
