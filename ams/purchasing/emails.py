"""The purchase order mailed to the supplier, its PDF attached (through Django's email API)."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from ams.core.mail_text import name_for_mail
from ams.purchasing.models import PurchaseOrder


def send_purchase_order(
    *, order: PurchaseOrder, pdf: bytes, to: str, reply_to: str, buyer: str
) -> None:
    # The team's name is the seller's free text, mailed to an address the seller chose.
    context = {"buyer": name_for_mail(buyer), "number": order.number}
    message = EmailMessage(
        subject=f"Purchase order {order.number} from {context['buyer']}",
        body=render_to_string("purchasing/email/purchase_order.txt", context),
        to=[to],
        reply_to=[reply_to] if reply_to else None,
    )
    message.attach(f"{order.number}.pdf", pdf, "application/pdf")
    message.send()
