"""Seller Central's consent page and Amazon's authorization errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from spapi_sim import start_server
from spapi_sim.tests.conftest import Api, small_config


def _consent(api: Api, **params: str):
    return api.http.get(
        "/apps/authorize/consent",
        params={"application_id": api.info["application_id"], "state": "s-123", **params},
    )


def test_the_page_lists_the_sellers_and_keeps_the_state(api: Api):
    page = _consent(api, redirect_uri="http://localhost:8000/amazon/callback/")
    assert page.status_code == 200
    for seller in api.info["sellers"]:
        assert seller["selling_partner_id"] in page.text
    assert "s-123" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"


def test_approving_redirects_with_state_seller_and_code(api: Api):
    seller = api.info["sellers"][1]["selling_partner_id"]
    form = {
        "application_id": api.info["application_id"],
        "state": "s-123",
        "redirect_uri": "http://127.0.0.1:8765/amazon/callback/?next=1",
        "selling_partner_id": seller,
        "decision": "approve",
    }
    response = api.http.post("/apps/authorize/confirm", data=form)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.hostname, location.port, location.path) == (
        "127.0.0.1",
        8765,
        "/amazon/callback/",
    )
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["state"] == "s-123"
    assert query["next"] == "1"
    assert query["selling_partner_id"] == seller
    # The code is a real LWA authorization code for that seller.
    tokens = api.http.post(
        "/auth/o2/token",
        data={
            "grant_type": "authorization_code",
            "code": query["spapi_oauth_code"],
            "redirect_uri": "http://127.0.0.1:8765/amazon/callback/?next=1",
            "client_id": api.info["client_id"],
            "client_secret": api.info["client_secret"],
        },
    ).json()
    participations = api.http.get(
        "/sellers/v1/marketplaceParticipations",
        headers={"x-amz-access-token": tokens["access_token"]},
    )
    assert participations.status_code == 200


def test_the_default_redirect_uri_is_the_first_registered(api: Api):
    response = api.http.get(
        "/apps/authorize/confirm",
        params={
            "application_id": api.info["application_id"],
            "state": "x",
            "selling_partner_id": api.spid,
        },
    )
    assert response.headers["location"].startswith(api.info["redirect_uris"][0] + "?")


def test_cancelling_sends_the_seller_back_without_a_code(api: Api):
    form = {
        "application_id": api.info["application_id"],
        "state": "s",
        "selling_partner_id": api.spid,
        "decision": "deny",
    }
    location = api.http.post("/apps/authorize/confirm", data=form).headers["location"]
    assert "spapi_oauth_code" not in location
    assert "error=access_denied" in location


def test_an_unregistered_redirect_uri_is_md5101(api: Api):
    page = _consent(api, redirect_uri="https://evil.example.com/callback")
    assert page.status_code == 400
    assert "MD5101" in page.text


def test_a_fragment_in_the_redirect_uri_is_md5110(api: Api):
    assert "MD5110" in _consent(api, redirect_uri="http://127.0.0.1:8000/cb#frag").text


def test_an_unknown_application_is_refused(api: Api):
    page = api.http.get(
        "/apps/authorize/consent",
        params={"application_id": "amzn1.sellerapps.app.nope", "state": "s"},
    )
    assert page.status_code == 400
    assert "could not be found" in page.text


def test_a_draft_app_needs_version_beta():
    with start_server(
        small_config(sellers=1, skus_per_seller=5, history_days=5, app_is_draft=True)
    ) as server:
        api = Api(server)
        assert "MD1000" in _consent(api).text
        assert _consent(api, version="beta").status_code == 200


def test_control_authorize_checks_the_redirect_uri(api: Api):
    body = {
        "selling_partner_id": api.spid,
        "application_id": api.info["application_id"],
        "redirect_uri": "https://elsewhere.example/cb",
    }
    assert api.http.post("/_sim/authorize", json=body).status_code == 400
    body["selling_partner_id"] = "ANOSUCHSELLER"
    assert api.http.post("/_sim/authorize", json=body).status_code == 404
