"""The consent flow against the simulator: connect, callback, refusals, re-authorization."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

import spapi
from ams.amazon import services
from ams.amazon.models import ConnectionStatus, SellerConnection
from ams.amazon.signals import connection_authorized
from ams.billing.models import Status, Subscription
from ams.core.models import AuditEntry
from ams.core.tenancy import team_scope
from ams.teams.models import Membership, Role
from tests.amazon.conftest import Amazon, start_connect
from tests.factories import Personas

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _connections(p: Personas) -> list[SellerConnection]:
    with team_scope(p.team.id):
        return list(
            SellerConnection.objects.filter(team=p.team)
            .prefetch_related("marketplaces")
            .order_by("id")
        )


def _vault_kinds(team_id: int) -> list[tuple[int, str]]:
    # The web role sees which secrets exist (never their content).
    with team_scope(team_id), connection.cursor() as cursor:
        cursor.execute(
            "SELECT connection_id, kind FROM vault.spapi_credential ORDER BY connection_id, kind"
        )
        return [(int(a), str(b)) for a, b in cursor.fetchall()]


def _nothing_stored(p: Personas) -> None:
    assert _connections(p) == []
    assert _vault_kinds(p.team.id) == []


def test_connect_sends_the_seller_to_the_consent_page_with_a_one_time_state(
    personas, amazon: Amazon
):
    client = _client(personas.owner)
    response = client.post(f"/t/{personas.team.slug}/amazon/connect/", {"region": "NA"})
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    url = urlsplit(response["Location"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == amazon.base_url
    assert url.path == "/apps/authorize/consent"
    assert query["application_id"] == [amazon.info["application_id"]]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/amazon/callback/"]
    assert len(query["state"][0]) >= 43  # 32 random bytes, url-safe base64
    assert "version" not in query
    second = start_connect(client, personas.team.slug)
    assert parse_qs(urlsplit(second).query)["state"] != query["state"]


def test_a_draft_app_asks_for_the_beta_version(personas, amazon: Amazon, settings):
    settings.SPAPI_APP_IS_DRAFT = True
    url = start_connect(_client(personas.owner), personas.team.slug)
    assert parse_qs(urlsplit(url).query)["version"] == ["beta"]


def test_the_callback_stores_the_connection_marketplaces_and_token(
    personas, amazon: Amazon, django_capture_on_commit_callbacks
):
    sent: list[dict[str, object]] = []

    def receiver(sender, connection, initial, **kwargs):
        sent.append({"connection": connection.id, "initial": initial})

    connection_authorized.connect(receiver)
    try:
        client = _client(personas.owner)
        callback = amazon.approve(start_connect(client, personas.team.slug))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(callback)
    finally:
        connection_authorized.disconnect(receiver)
    assert response.status_code == 302, response.content
    assert response["Location"] == f"/t/{personas.team.slug}/amazon/"
    assert response["Referrer-Policy"] == "no-referrer"
    [conn] = _connections(personas)
    assert conn.selling_partner_id == amazon.sellers[0]
    assert conn.region == "NA"
    assert conn.status == ConnectionStatus.ACTIVE
    assert conn.created_by == personas.owner
    with team_scope(personas.team.id):
        markets = sorted(conn.marketplaces.values_list("country_code", "currency"))
    assert markets == [("CA", "CAD"), ("MX", "MXN"), ("US", "USD")]
    assert _vault_kinds(personas.team.id) == [(conn.id, "refresh")]
    assert sent == [{"connection": conn.id, "initial": True}]
    page = client.get(response["Location"]).content.decode()
    assert amazon.sellers[0] in page
    assert "Connected" in page


def test_an_admin_may_connect_but_members_and_viewers_may_not(personas, amazon: Amazon):
    for user in (personas.member, personas.viewer):
        response = _client(user).post(f"/t/{personas.team.slug}/amazon/connect/", {"region": "NA"})
        assert response.status_code == 403
    client = _client(personas.admin)
    assert client.get(amazon.approve(start_connect(client, personas.team.slug))).status_code == 302
    assert len(_connections(personas)) == 1


def test_several_connections_per_team(personas, amazon: Amazon):
    client = _client(personas.owner)
    for seller in amazon.sellers:
        client.get(amazon.approve(start_connect(client, personas.team.slug), seller=seller))
    assert sorted(c.selling_partner_id for c in _connections(personas)) == sorted(amazon.sellers)


def test_connecting_the_same_seller_again_renews_the_existing_connection(personas, amazon: Amazon):
    client = _client(personas.owner)
    client.get(amazon.approve(start_connect(client, personas.team.slug)))
    client.get(amazon.approve(start_connect(client, personas.team.slug)))
    assert len(_connections(personas)) == 1
    # The security audit trail has both, with who did them and no seller id.
    with team_scope(personas.team.id):
        audited = list(
            AuditEntry.objects.filter(kind__startswith="amazon.")
            .order_by("seq")
            .values_list("kind", "actor_id", "data")
        )
    [conn] = _connections(personas)
    assert audited == [
        ("amazon.connected", personas.owner.id, {"connection_id": conn.id, "region": "NA"}),
        ("amazon.reauthorized", personas.owner.id, {"connection_id": conn.id, "region": "NA"}),
    ]


# --- refusals: a clear page, a 400, and nothing stored ---------------------------------------------


def _refused(response, text: str) -> None:
    assert response.status_code == 400
    assert response["Referrer-Policy"] == "no-referrer"
    assert text in response.content.decode()


def test_a_forged_state_is_refused(personas, amazon: Amazon):
    client = _client(personas.owner)
    start_connect(client, personas.team.slug)
    code = amazon.code(redirect_uri="http://127.0.0.1:8000/amazon/callback/")
    response = client.get(
        "/amazon/callback/",
        {"state": "forged" * 8, "selling_partner_id": amazon.sellers[0], "spapi_oauth_code": code},
    )
    _refused(response, "not valid")
    _nothing_stored(personas)


def test_a_missing_state_is_refused(personas, amazon: Amazon):
    client = _client(personas.owner)
    code = amazon.code(redirect_uri="http://127.0.0.1:8000/amazon/callback/")
    response = client.get(
        "/amazon/callback/", {"selling_partner_id": amazon.sellers[0], "spapi_oauth_code": code}
    )
    _refused(response, "not valid")
    _nothing_stored(personas)


def test_a_replayed_callback_is_refused(personas, amazon: Amazon):
    client = _client(personas.owner)
    callback = amazon.approve(start_connect(client, personas.team.slug))
    assert client.get(callback).status_code == 302
    [before] = _connections(personas)
    _refused(client.get(callback), "already used")
    [after] = _connections(personas)
    assert after.authorized_at == before.authorized_at


def test_a_state_from_another_session_is_refused(personas, amazon: Amazon):
    callback = amazon.approve(start_connect(_client(personas.owner), personas.team.slug))
    # The same owner in another browser (another session), or an attacker's session.
    _refused(_client(personas.owner).get(callback), "not valid")
    _refused(_client(personas.outsider).get(callback), "not valid")
    _nothing_stored(personas)


def test_an_expired_state_is_refused(personas, amazon: Amazon):
    client = _client(personas.owner)
    consent = start_connect(client, personas.team.slug)
    callback = amazon.approve(consent)
    with time_machine.travel(timedelta(minutes=services.STATE_TTL_SECONDS // 60 + 1), tick=False):
        _refused(client.get(callback), "expired")
    _nothing_stored(personas)


def test_a_code_amazon_refuses_is_refused(personas, amazon: Amazon):
    client = _client(personas.owner)
    state = parse_qs(urlsplit(start_connect(client, personas.team.slug)).query)["state"][0]
    response = client.get(
        "/amazon/callback/",
        {"state": state, "selling_partner_id": amazon.sellers[0], "spapi_oauth_code": "ANforged"},
    )
    _refused(response, "refused the authorization code")
    _nothing_stored(personas)


def test_a_used_code_under_a_fresh_state_is_refused(personas, amazon: Amazon):
    client = _client(personas.owner)
    callback = amazon.approve(start_connect(client, personas.team.slug))
    code = parse_qs(urlsplit(callback).query)["spapi_oauth_code"][0]
    assert client.get(callback).status_code == 302
    other = _client(personas.admin)
    state = parse_qs(urlsplit(start_connect(other, personas.team.slug)).query)["state"][0]
    response = other.get(
        "/amazon/callback/",
        {"state": state, "selling_partner_id": amazon.sellers[1], "spapi_oauth_code": code},
    )
    _refused(response, "refused the authorization code")
    assert [c.selling_partner_id for c in _connections(personas)] == [amazon.sellers[0]]


def test_amazons_error_answer_is_shown_and_nothing_stored(personas, amazon: Amazon):
    client = _client(personas.owner)
    callback = amazon.approve(start_connect(client, personas.team.slug), decision="deny")
    assert "error=access_denied" in callback
    _refused(client.get(callback), "did not authorize the app (access_denied)")
    _nothing_stored(personas)


def test_an_error_parameter_is_not_reflected_as_markup(personas, amazon: Amazon):
    client = _client(personas.owner)
    state = parse_qs(urlsplit(start_connect(client, personas.team.slug)).query)["state"][0]
    response = client.get(
        "/amazon/callback/", {"state": state, "error": "<script>alert(1)</script>"}
    )
    _refused(response, "did not authorize the app.")
    assert b"<script>alert" not in response.content


def test_a_user_demoted_before_the_callback_connects_nothing(personas, amazon: Amazon):
    client = _client(personas.admin)
    callback = amazon.approve(start_connect(client, personas.team.slug))
    with team_scope(personas.team.id):
        Membership.objects.filter(team=personas.team, user=personas.admin).update(role=Role.MEMBER)
    _refused(client.get(callback), "no longer an owner or admin")
    _nothing_stored(personas)


def test_the_callback_asks_an_anonymous_visitor_to_sign_in(amazon: Amazon):
    response = Client().get("/amazon/callback/", {"state": "x", "spapi_oauth_code": "y"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- re-authorization ------------------------------------------------------------------------------


def test_a_revoked_connection_is_flagged_and_re_authorized_in_one_click(
    personas, amazon: Amazon, django_capture_on_commit_callbacks
):
    client = _client(personas.owner)
    client.get(amazon.approve(start_connect(client, personas.team.slug)))
    [conn] = _connections(personas)
    services.connection_mark_needs_reauthorization(
        connection=conn, reason="Amazon refused the refresh token."
    )
    page = client.get(f"/t/{personas.team.slug}/amazon/").content.decode()
    assert "Needs re-authorization" in page
    assert "Amazon refused the refresh token." in page
    # Every team page reminds the owner and admins; members cannot act on it and see nothing.
    assert "amazon-banner" in client.get(f"/t/{personas.team.slug}/").content.decode()
    assert (
        "amazon-banner"
        not in _client(personas.member).get(f"/t/{personas.team.slug}/").content.decode()
    )

    sent: list[bool] = []

    def receiver(sender, connection, initial, **kwargs):
        sent.append(initial)

    connection_authorized.connect(receiver)
    try:
        response = client.post(f"/t/{personas.team.slug}/amazon/{conn.id}/reauthorize/")
        assert response.status_code == 302
        assert response["Referrer-Policy"] == "no-referrer"
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(amazon.approve(response["Location"])).status_code == 302
    finally:
        connection_authorized.disconnect(receiver)
    [renewed] = _connections(personas)
    assert renewed.id == conn.id
    assert renewed.status == ConnectionStatus.ACTIVE
    assert renewed.status_reason == ""
    assert renewed.authorized_at > conn.authorized_at
    assert sent == [False]
    assert _vault_kinds(personas.team.id) == [(conn.id, "refresh")]


def test_re_authorizing_with_another_seller_account_changes_nothing(personas, amazon: Amazon):
    client = _client(personas.owner)
    client.get(amazon.approve(start_connect(client, personas.team.slug), seller=amazon.sellers[0]))
    [conn] = _connections(personas)
    consent = client.post(f"/t/{personas.team.slug}/amazon/{conn.id}/reauthorize/")["Location"]
    _refused(
        client.get(amazon.approve(consent, seller=amazon.sellers[1])), "different seller account"
    )
    assert [c.selling_partner_id for c in _connections(personas)] == [amazon.sellers[0]]


def test_an_authorization_near_its_365_days_asks_for_renewal(personas, amazon: Amazon):
    client = _client(personas.owner)
    client.get(amazon.approve(start_connect(client, personas.team.slug)))
    assert "Renew soon" not in client.get(f"/t/{personas.team.slug}/amazon/").content.decode()
    with team_scope(personas.team.id):
        SellerConnection.objects.filter(team=personas.team).update(
            authorized_at=timezone.now() - timedelta(days=340)
        )
    page = client.get(f"/t/{personas.team.slug}/amazon/").content.decode()
    assert "Renew soon" in page
    assert "amazon-banner" in page
    assert 'type="submit">Re-authorize</button>' in page


def test_another_teams_connection_cannot_be_re_authorized_or_disconnected(personas, amazon: Amazon):
    client = _client(personas.owner)
    client.get(amazon.approve(start_connect(client, personas.team.slug)))
    [conn] = _connections(personas)
    outsider = _client(personas.outsider)
    for action in ("reauthorize", "disconnect"):
        assert (
            outsider.post(
                f"/t/{personas.outsider_team.slug}/amazon/{conn.id}/{action}/"
            ).status_code
            == 404
        )
    assert _connections(personas)[0].status == ConnectionStatus.ACTIVE


def test_marketplaces_amazon_cannot_tell_store_nothing(personas, amazon: Amazon, monkeypatch):
    from ams.amazon import clients

    def unavailable(**kwargs):
        raise spapi.ServerError(
            "InternalFailure", status=503, operation="sellers.getMarketplaceParticipations"
        )

    monkeypatch.setattr(clients, "participations_with_new_token", unavailable)
    client = _client(personas.owner)
    _refused(
        client.get(amazon.approve(start_connect(client, personas.team.slug))),
        "did not tell us your marketplaces",
    )
    _nothing_stored(personas)


def test_connect_says_so_when_no_amazon_app_is_configured(personas, settings):
    settings.SPAPI_APPLICATION_ID = ""
    response = _client(personas.owner).post(
        f"/t/{personas.team.slug}/amazon/connect/", {"region": "NA"}, follow=True
    )
    assert "no Amazon app configured" in response.content.decode()


def test_connect_needs_a_region(personas, amazon: Amazon):
    response = _client(personas.owner).post(
        f"/t/{personas.team.slug}/amazon/connect/", {"region": "XX"}, follow=True
    )
    assert "Choose a region" in response.content.decode()


def test_the_content_security_policy_lets_connect_redirect_to_seller_central(settings):
    # Chromium applies form-action to the redirect that answers a form POST.
    form_action = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"]
    for url in settings.SELLER_CENTRAL_URLS.values():
        assert url.rstrip("/") in form_action


def test_an_account_of_another_region_is_refused(personas, amazon: Amazon):
    client = _client(personas.owner)
    # The simulated seller sells in North America; the owner chose Europe.
    consent = start_connect(client, personas.team.slug, region="EU")
    _refused(client.get(amazon.approve(consent)), "sells in no Europe marketplace")
    _nothing_stored(personas)


def test_two_consent_flows_started_together_still_stop_at_the_plans_limit(personas, amazon):
    """Both flows pass the limit when they start (no account yet); the limit is checked again,
    under a lock on the team, when the second one comes back to store its connection."""
    with team_scope(personas.team.id):  # the Starter plan: one seller account
        Subscription.objects.filter(team=personas.team).update(status=Status.ACTIVE, plan="starter")
    owner = _client(personas.owner)
    first = amazon.approve(start_connect(owner, personas.team.slug), seller=amazon.sellers[0])
    second = amazon.approve(start_connect(owner, personas.team.slug), seller=amazon.sellers[1])
    assert owner.get(first).status_code == 302
    refused = owner.get(second)
    assert refused.status_code == 400
    assert b"The Starter plan includes 1 seller accounts" in refused.content
    with team_scope(personas.team.id):
        sellers = list(
            SellerConnection.objects.filter(team=personas.team).values_list(
                "selling_partner_id", flat=True
            )
        )
    assert sellers == [amazon.sellers[0]]
    # The outsider's team, on its own trial, connects the other seller.
    outsider = _client(personas.outsider)
    callback = amazon.approve(
        start_connect(outsider, personas.outsider_team.slug), seller=amazon.sellers[1]
    )
    assert outsider.get(callback).status_code == 302


def test_a_callback_whose_seller_id_was_edited_is_refused(personas, amazon: Amazon):
    """The seller id in the callback is a URL parameter: a user who authorized one account and
    names another (another team's) gets nothing stored, and no connection of the other seller."""
    client = _client(personas.owner)
    callback = amazon.approve(start_connect(client, personas.team.slug), seller=amazon.sellers[0])
    forged = callback.replace(
        f"selling_partner_id={amazon.sellers[0]}", f"selling_partner_id={amazon.sellers[1]}"
    )
    assert forged != callback
    response = client.get(forged)
    _refused(response, "is not the one you authorized")
    _nothing_stored(personas)
    # Nor did the forged callback spend the other seller's usage plan.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM amazon_spapi_rate_bucket WHERE seller_id = %s",
            [amazon.sellers[1]],
        )
        assert cursor.fetchone() == (0,)
    # The outsider's team, which holds the other seller's account, is untouched.
    outsider = _client(personas.outsider)
    outsider_callback = amazon.approve(
        start_connect(outsider, personas.outsider_team.slug), seller=amazon.sellers[1]
    )
    assert outsider.get(outsider_callback).status_code == 302
