from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from ams.accounts.models import User
from ams.core.mail_text import name_for_mail
from ams.legal.documents import Version


def send_policy_change(*, user: User, versions: list[Version]) -> None:
    context = {
        "name": name_for_mail(user.name) or "there",
        "versions": [
            {
                "title": v.title,
                "effective": v.effective,
                "summary": v.summary,
                "url": settings.SITE_URL + v.url,
            }
            for v in versions
        ],
        "site_url": settings.SITE_URL,
    }
    titles = " and ".join(v.title.lower() for v in versions)
    message = EmailMultiAlternatives(
        subject=f"[AMS] Changes to our {titles}",
        body=render_to_string("legal/email/policy_changed.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("legal/email/policy_changed.html", context), "text/html"
    )
    message.send()
