"""Connect the demo team to a simulated seller the way a person would: through the consent flow.

Signs in on the running web server, clicks Connect, approves on the simulator's Seller Central
page and follows the redirect back to AMS's callback. Nothing is written to the database
directly, so the demo exercises the same code as a real seller's first connection.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class DemoConnectError(RuntimeError):
    pass


def _csrf(client: httpx.Client, path: str) -> str:
    response = client.get(path)
    match = _CSRF.search(response.text)
    if match is None:
        raise DemoConnectError(f"no form on {path} (HTTP {response.status_code})")
    return match.group(1)


def connect_through_consent(
    *,
    site_url: str,
    email: str,
    password: str,
    team_slug: str,
    selling_partner_id: str,
    region: str = "NA",
) -> str:
    """Run the consent flow against ``site_url``; return where AMS sent the browser at the end."""
    with httpx.Client(base_url=site_url, follow_redirects=False, timeout=60) as web:
        token = _csrf(web, "/accounts/login/")
        response = web.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "login": email, "password": password},
            headers={"Referer": f"{site_url}/accounts/login/"},
        )
        if response.status_code != 302:
            raise DemoConnectError(f"sign-in failed (HTTP {response.status_code})")

        connections_path = f"/t/{team_slug}/amazon/"
        token = _csrf(web, connections_path)
        response = web.post(
            f"{connections_path}connect/",
            data={"csrfmiddlewaretoken": token, "region": region},
            headers={"Referer": f"{site_url}{connections_path}"},
        )
        consent_url = response.headers.get("Location", "")
        if response.status_code != 302 or "/apps/authorize/consent" not in consent_url:
            raise DemoConnectError(
                f"Connect did not lead to the consent page (HTTP {response.status_code})"
            )

        # The seller approves on Seller Central (here, the simulator's page).
        consent = urlsplit(consent_url)
        seller_central = f"{consent.scheme}://{consent.netloc}"
        fields = dict(parse_qsl(consent.query))
        fields.update(selling_partner_id=selling_partner_id, decision="approve")
        with httpx.Client(base_url=seller_central, follow_redirects=False, timeout=60) as amazon:
            amazon.get(consent_url).raise_for_status()
            approved = amazon.post("/apps/authorize/confirm", data=fields)
        callback = approved.headers.get("Location", "")
        if approved.status_code != 302 or "spapi_oauth_code=" not in callback:
            raise DemoConnectError(
                f"the consent page did not approve (HTTP {approved.status_code})"
            )

        # Back to AMS, with the session that started the flow.
        response = web.get(callback)
        if response.status_code != 302:
            raise DemoConnectError(
                f"the callback refused the authorization (HTTP {response.status_code})"
            )
        return urljoin(site_url, str(response.headers.get("Location", "/")))
