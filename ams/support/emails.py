from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from ams.core.mail_text import name_for_mail
from ams.support.models import SupportRequest


def _context(request: SupportRequest) -> dict[str, object]:
    return {
        "reference": request.reference,
        "name": name_for_mail(request.name),
        "topic": request.get_topic_display(),
        "status": request.get_status_display(),
        "created_at": request.created_at,
        "status_url": settings.SITE_URL
        + reverse("support_request_status", args=[request.status_token]),
    }


def _send(
    *, template: str, subject: str, to: str, context: dict[str, object], **kw: object
) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"support/email/{template}.txt", context),
        to=[to],
        **kw,  # type: ignore[arg-type]
    )
    message.attach_alternative(
        render_to_string(f"support/email/{template}.html", context), "text/html"
    )
    message.send()


def send_request_received(request: SupportRequest) -> None:
    context = _context(request)
    # The operator reads the message itself; the requester gets only the reference and the link.
    _send(
        template="operator",
        subject=f"[AMS] {request.get_topic_display()} · {request.reference}",
        to=settings.PRIVACY_CONTACT_EMAIL,
        context={
            **context,
            "email": request.email,
            "account": request.user_id,
            "message": request.message,
            "admin_url": settings.SITE_URL
            + reverse("admin:support_supportrequest_change", args=[request.id]),
        },
        reply_to=[request.email],
    )
    _send(
        template="received",
        subject=f"[AMS] We received your request {request.reference}",
        to=request.email,
        context=context,
    )


def send_status_changed(request: SupportRequest) -> None:
    _send(
        template="status",
        subject=f"[AMS] Your request {request.reference}: {request.get_status_display().lower()}",
        to=request.email,
        context=_context(request),
    )
