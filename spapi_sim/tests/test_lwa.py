"""Login with Amazon: the three grants, their lifetimes and Amazon's error bodies."""

from __future__ import annotations

import json

from spapi_sim.tests.conftest import Api


def _token(api: Api, **form: str) -> tuple[int, dict[str, str], dict[str, str]]:
    body = {"client_id": api.info["client_id"], "client_secret": api.info["client_secret"], **form}
    response = api.http.post("/auth/o2/token", data=body)
    return response.status_code, response.json(), dict(response.headers)


def test_authorization_code_gives_amazon_shaped_tokens(api: Api):
    assert api.tokens["refresh_token"].startswith("Atzr|")
    assert api.tokens["access_token"].startswith("Atza|")
    assert api.tokens["token_type"] == "bearer"
    assert api.tokens["expires_in"] == 3600
    assert len(api.tokens["access_token"]) <= 2048


def test_a_code_works_once(api: Api):
    code = api.authorize()
    first_status, _body, _headers = _token(api, grant_type="authorization_code", code=code)
    assert first_status == 200
    status, body, _headers = _token(api, grant_type="authorization_code", code=code)
    assert status == 400
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == "The request has an invalid grant parameter : code"
    assert body["error_index"]
    assert body["request_id"]


def test_a_code_expires_after_five_minutes(fresh: Api):
    code = fresh.authorize()
    fresh.control("/_sim/clock", {"advance_seconds": 301})
    status, body, _headers = _token(fresh, grant_type="authorization_code", code=code)
    assert (status, body["error"]) == (400, "invalid_grant")


def test_the_redirect_uri_must_match_the_code(api: Api):
    code = api.authorize("http://127.0.0.1:8000/amazon/callback/")
    status, body, _ = _token(
        api, grant_type="authorization_code", code=code, redirect_uri="http://127.0.0.1:9/other"
    )
    assert (status, body["error"]) == (400, "invalid_grant")


def test_refresh_token_grant_echoes_the_refresh_token(api: Api):
    status, body, headers = _token(
        api, grant_type="refresh_token", refresh_token=api.tokens["refresh_token"]
    )
    assert status == 200
    assert body["refresh_token"] == api.tokens["refresh_token"]
    assert body["access_token"].startswith("Atza|")
    assert headers["cache-control"] == "no-cache, no-store, must-revalidate"
    assert headers["x-amzn-requestid"]


def test_json_bodies_are_accepted(api: Api):
    body = {
        "grant_type": "refresh_token",
        "refresh_token": api.tokens["refresh_token"],
        "client_id": api.info["client_id"],
        "client_secret": api.info["client_secret"],
    }
    response = api.http.post(
        "/auth/o2/token", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200


def test_client_credentials_grant_is_grantless(api: Api):
    status, body, _ = _token(
        api, grant_type="client_credentials", scope="sellingpartnerapi::notifications"
    )
    assert status == 200
    assert body["scope"] == "sellingpartnerapi::notifications"
    assert "refresh_token" not in body
    # A grantless token speaks for no seller: seller operations refuse it.
    response = api.http.get(
        "/sellers/v1/marketplaceParticipations",
        headers={"x-amz-access-token": body["access_token"]},
    )
    assert response.status_code == 403
    status, body, _ = _token(
        api, grant_type="client_credentials", scope="sellingpartnerapi::everything"
    )
    assert (status, body["error"]) == (400, "invalid_scope")


def test_a_wrong_secret_is_invalid_client(api: Api):
    status, body, _ = _token(
        api,
        grant_type="refresh_token",
        refresh_token=api.tokens["refresh_token"],
        client_secret="amzn1.oa2-cs.v1.nope",
    )
    assert status == 401
    assert body["error"] == "invalid_client"


def test_unsupported_grant_type_matches_amazon(api: Api):
    status, body, headers = _token(api, grant_type="password")
    assert status == 400
    assert body["error"] == "unsupported_grant_type"
    assert (
        body["error_description"]
        == "The authorization grant type is not supported by the authorization server"
    )
    assert headers["x-amzn-errortype"].startswith("OA2UnsupportedGrantTypeException")


def test_a_forged_refresh_token_is_refused(api: Api):
    forged = api.tokens["refresh_token"][:-4] + "AAAA"
    status, body, _ = _token(api, grant_type="refresh_token", refresh_token=forged)
    assert (status, body["error"]) == (400, "invalid_grant")


def test_access_tokens_expire_after_an_hour(fresh: Api):
    assert fresh.get("/sellers/v1/marketplaceParticipations").status_code == 200
    fresh.control("/_sim/clock", {"advance_seconds": 3600})
    response = fresh.get("/sellers/v1/marketplaceParticipations")
    assert response.status_code == 403
    assert response.json()["errors"][0]["details"] == "The access token you provided has expired."


def test_revocation_kills_refresh_and_access_tokens_until_the_seller_authorizes_again(fresh: Api):
    fresh.control("/_sim/revoke", {"selling_partner_id": fresh.spid})
    assert fresh.get("/sellers/v1/marketplaceParticipations").status_code == 403
    status, body, _ = _token(
        fresh, grant_type="refresh_token", refresh_token=fresh.tokens["refresh_token"]
    )
    assert status == 400
    assert body["error"] == "invalid_grant"
    assert "revoked" in body["error_description"]
    # Authorizing again issues a refresh token that works.
    new = fresh.exchange(fresh.authorize())
    status, _body, _ = _token(fresh, grant_type="refresh_token", refresh_token=new["refresh_token"])
    assert status == 200


def test_refresh_tokens_survive_a_restart_with_the_same_seed(api: Api):
    from spapi_sim import start_server
    from spapi_sim.tests.conftest import small_config

    with start_server(small_config()) as again:
        response = api.http.post(
            f"{again.base_url}/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": api.tokens["refresh_token"],
                "client_id": api.info["client_id"],
                "client_secret": api.info["client_secret"],
            },
        )
    assert response.status_code == 200


def test_no_token_or_a_garbage_token_is_403(api: Api):
    for headers in (
        {},
        {"x-amz-access-token": "garbage"},
        {"x-amz-access-token": api.tokens["refresh_token"]},
    ):
        response = api.http.get("/sellers/v1/marketplaceParticipations", headers=headers)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "Unauthorized"
        assert response.headers["x-amzn-errortype"] == "AccessDeniedException"
