"""The privacy and support request form: stored, mailed, throttled, and followed by its sender."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from ams.core.models import UserAuditEntry
from ams.core.tenancy import user_scope
from ams.support import services
from ams.support.models import Status, SupportRequest
from tests.factories import make_user

pytestmark = pytest.mark.django_db
MESSAGE = "Please send me a copy of everything you hold about me.\nThank you."


def _send(client: Client, **overrides: str):
    data = {"email": "gone@example.test", "name": "Ada", "topic": "access", "message": MESSAGE}
    data.update(overrides)
    return client.post("/support/", data)


def test_anyone_may_ask_the_request_is_stored_and_both_sides_are_mailed(
    settings, django_capture_on_commit_callbacks
):
    settings.PRIVACY_CONTACT_EMAIL = "privacy@operator.example"
    client = Client(REMOTE_ADDR="203.0.113.9")
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, name="Ada, see http://evil.example/login now")
    assert response.status_code == 302
    ticket = SupportRequest.objects.get()
    assert response["Location"] == f"/support/r/{ticket.status_token}/"
    assert (ticket.email, ticket.topic, ticket.status, ticket.user) == (
        "gone@example.test",
        "access",
        Status.RECEIVED,
        None,
    )
    assert ticket.message == MESSAGE
    assert "203.0.113.9" not in ticket.client_key

    operator, requester = mail.outbox
    assert operator.to == ["privacy@operator.example"]
    assert operator.reply_to == ["gone@example.test"]
    assert ticket.reference in operator.subject
    assert MESSAGE in str(operator.body)
    assert requester.to == ["gone@example.test"]
    assert ticket.reference in requester.subject
    body = str(requester.body)
    # No relay: the requester's copy repeats neither the message nor a live link from the name.
    assert "copy of everything" not in body
    assert "evil.example" not in body
    assert "evil[.]example" in body
    assert f"/support/r/{ticket.status_token}/" in body
    assert "evil.example" not in str(requester.alternatives[0][0])  # type: ignore[attr-defined]

    page = client.get(response["Location"]).content.decode()
    assert 'id="support-status">Received<' in page


def test_signed_in_the_account_address_is_used_and_the_request_is_listed():
    user = make_user(email="me@example.test")
    other = make_user()
    client = Client()
    client.force_login(user)
    response = _send(client, email="someone-else@example.test", topic="deletion")
    assert response.status_code == 302
    ticket = SupportRequest.objects.get()
    assert (ticket.user, ticket.email, ticket.name) == (user, "me@example.test", "Ada")
    page = client.get("/support/").content.decode()
    assert ticket.reference in page
    assert 'name="email"' not in page
    with user_scope(user.id):
        assert UserAuditEntry.objects.filter(kind="support.requested").count() == 1
    # Another person's list does not show it.
    other_client = Client()
    other_client.force_login(other)
    assert ticket.reference not in other_client.get("/support/").content.decode()


def test_a_hostile_or_empty_form_stores_nothing_and_an_unknown_link_is_a_404():
    client = Client()
    assert _send(client, message="").status_code == 400
    assert _send(client, email="not an address").status_code == 400
    assert _send(client, topic="everything").status_code == 400
    assert _send(client, message="x" * 5001).status_code == 400
    assert _send(client, message="nul \x00 byte").status_code == 400
    assert not SupportRequest.objects.exists()
    assert mail.outbox == []
    assert client.get("/support/r/not-a-real-token/").status_code == 404


def test_one_address_and_one_network_may_send_only_a_few(settings):
    client = Client(REMOTE_ADDR="198.51.100.20")
    for _ in range(services.PER_ADDRESS_PER_DAY):
        assert _send(client).status_code == 302
    refused = _send(client)
    assert refused.status_code == 429
    assert "try again tomorrow" in refused.content.decode()
    assert SupportRequest.objects.count() == services.PER_ADDRESS_PER_DAY

    # Other addresses from the same network, up to the hourly limit.
    for n in range(services.PER_CLIENT_PER_HOUR - services.PER_ADDRESS_PER_DAY):
        assert _send(client, email=f"other{n}@example.test").status_code == 302
    assert _send(client, email="yet-another@example.test").status_code == 429
    # Another network is not held back by this one.
    assert _send(Client(REMOTE_ADDR="198.51.100.21"), email="fresh@example.test").status_code == 302


def test_the_operator_answers_in_the_admin_and_the_requester_sees_it(
    django_capture_on_commit_callbacks,
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _send(client)
    ticket = SupportRequest.objects.get()
    staff = make_user()
    staff.is_staff = staff.is_superuser = True
    staff.save()
    admin = Client()
    admin.force_login(staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/support/supportrequest/{ticket.id}/change/",
            {"status": "answered", "reply": "Your export is attached to your account."},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.status == Status.ANSWERED
    (message,) = mail.outbox
    assert message.to == ["gone@example.test"]
    assert "answered" in message.subject
    page = client.get(f"/support/r/{ticket.status_token}/").content.decode()
    assert 'id="support-status">Answered<' in page
    assert "Your export is attached" in page
