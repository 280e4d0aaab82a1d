"""Resend's delivery webhooks, verified by Anymail: a bounce or complaint stops further mail."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client
from svix.webhooks import Webhook

from ams.billing import emails
from ams.billing.models import EmailSuppression

pytestmark = pytest.mark.django_db
URL = "/anymail/resend/tracking/"


def _post(event: dict[str, object], *, secret: str | None = None, tamper: bool = False) -> int:
    payload = json.dumps(event)
    now = datetime.now(tz=UTC)
    signature = Webhook(secret or settings.ANYMAIL["RESEND_SIGNING_SECRET"]).sign(
        "msg_1", now, payload
    )
    if tamper:
        payload = payload.replace("bounced", "delivered")
    response = Client().post(
        URL,
        data=payload,
        content_type="application/json",
        HTTP_SVIX_ID="msg_1",
        HTTP_SVIX_TIMESTAMP=str(int(now.timestamp())),
        HTTP_SVIX_SIGNATURE=signature,
    )
    return response.status_code


def _bounce(address: str, kind: str = "email.bounced") -> dict[str, object]:
    return {
        "type": kind,
        "created_at": "2026-11-27T10:00:00.000Z",
        "data": {
            "email_id": "e-1",
            "to": [address],
            "from": "AMS <no-reply@ams.localhost>",
            "subject": "x",
            "bounce": {
                "message": "The recipient's email provider sent a hard bounce message.",
                "type": "Permanent",
            },
        },
    }


def test_a_bounce_suppresses_the_address_and_billing_mail_skips_it(personas, mailoutbox):
    assert _post(_bounce(personas.owner.email.upper())) == 200
    assert EmailSuppression.objects.get().email == personas.owner.email
    emails.send_cancelled(to=[personas.owner.email], team=personas.team)
    assert mailoutbox == []
    emails.send_cancelled(to=[personas.admin.email], team=personas.team)
    assert [m.to for m in mailoutbox] == [[personas.admin.email]]


def test_a_complaint_suppresses_too_and_a_delivery_does_not(personas):
    assert _post(_bounce("a@example.test", "email.complained")) == 200
    assert _post(_bounce("b@example.test", "email.delivered")) == 200
    assert list(EmailSuppression.objects.values_list("email", "reason")) == [
        ("a@example.test", "complained")
    ]


def test_an_unsigned_or_tampered_webhook_is_refused(personas):
    assert (
        _post(_bounce("c@example.test"), secret="whsec_" + "b3RoZXItc2VjcmV0LWZvci10ZXN0cw==")
        == 400
    )
    assert _post(_bounce("c@example.test"), tamper=True) == 400
    assert (
        Client()
        .post(URL, data=json.dumps(_bounce("c@example.test")), content_type="application/json")
        .status_code
        == 400
    )
    assert not EmailSuppression.objects.exists()


def test_a_long_suppression_reason_is_cut_to_the_columns_twenty_characters(db):
    from ams.billing.services import email_suppress

    email_suppress(email=" Long@Example.test ", reason="complained-and-then-some-more")
    assert list(EmailSuppression.objects.values_list("email", "reason")) == [
        ("long@example.test", "complained-and-then-")
    ]
