"""Billing mail: receipts, trial reminders, failed payments, cancellation. Transactional only.

Each message has an HTML and a text part and goes through Django's email API (Resend in
production). Addresses that bounced or complained are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from ams.billing.models import EmailSuppression
from ams.teams.models import Team

# Stripe amounts are in the currency's smallest unit; these currencies have no minor unit.
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)


def money(amount: int, currency: str) -> Decimal:
    exponent = 0 if currency.lower() in ZERO_DECIMAL else 2
    return Decimal(amount).scaleb(-exponent)


def _date(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


@dataclass(frozen=True)
class Receipt:
    number: str
    amount: Decimal
    currency: str
    period_start: datetime | None
    period_end: datetime | None
    url: str

    @classmethod
    def from_invoice(cls, invoice: dict[str, Any]) -> Receipt:
        currency = str(invoice.get("currency") or "usd")
        return cls(
            number=str(invoice.get("number") or invoice.get("id", "")),
            amount=money(int(invoice.get("amount_paid") or 0), currency),
            currency=currency.upper(),
            period_start=_date(invoice.get("period_start")),
            period_end=_date(invoice.get("period_end")),
            url=str(invoice.get("hosted_invoice_url") or ""),
        )


@dataclass(frozen=True)
class PaymentFailure:
    amount: Decimal
    currency: str
    next_attempt: datetime | None
    url: str

    @classmethod
    def from_invoice(cls, invoice: dict[str, Any]) -> PaymentFailure:
        currency = str(invoice.get("currency") or "usd")
        return cls(
            amount=money(int(invoice.get("amount_due") or 0), currency),
            currency=currency.upper(),
            next_attempt=_date(invoice.get("next_payment_attempt")),
            url=str(invoice.get("hosted_invoice_url") or ""),
        )


def invoice_summary(invoice: dict[str, Any]) -> dict[str, Any]:
    """What the emails need from a Stripe invoice, small enough to travel as a job's arguments."""
    lines = (invoice.get("lines") or {}).get("data") or []
    period = (lines[0].get("period") if lines else None) or {}
    return {
        "id": invoice.get("id"),
        "number": invoice.get("number"),
        "currency": invoice.get("currency"),
        "amount_paid": invoice.get("amount_paid"),
        "amount_due": invoice.get("amount_due"),
        "period_start": period.get("start") or invoice.get("period_start"),
        "period_end": period.get("end") or invoice.get("period_end"),
        "hosted_invoice_url": invoice.get("hosted_invoice_url"),
        "next_payment_attempt": invoice.get("next_payment_attempt"),
    }


def dispatch(*, team: Team, kind: str, to: list[str], data: dict[str, Any]) -> None:
    """Send one billing email by kind, from a job's arguments."""
    if kind == "receipt":
        send_receipt(to=to, team=team, receipt=Receipt.from_invoice(data["invoice"]))
    elif kind == "payment_failed":
        send_payment_failed(to=to, team=team, failure=PaymentFailure.from_invoice(data["invoice"]))
    elif kind == "trial_reminder":
        trial_end = datetime.fromisoformat(data["trial_end"])
        send_trial_reminder(
            to=to, team=team, trial_end=trial_end, subscribed=bool(data["subscribed"])
        )
    elif kind == "cancelled":
        send_cancelled(to=to, team=team)
    else:
        raise ValueError(f"unknown billing email {kind!r}")


def _send(*, template: str, subject: str, to: list[str], team: Team, **context: Any) -> None:
    suppressed = set(
        EmailSuppression.objects.filter(email__in=[a.lower() for a in to]).values_list(
            "email", flat=True
        )
    )
    recipients = [a for a in to if a.lower() not in suppressed]
    if not recipients:
        return
    context |= {
        "team_name": team.name,
        "billing_url": settings.SITE_URL + reverse("billing", args=[team.slug]),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"billing/email/{template}.txt", context),
        to=recipients,
    )
    message.attach_alternative(
        render_to_string(f"billing/email/{template}.html", context), "text/html"
    )
    message.send()


def send_receipt(*, to: list[str], team: Team, receipt: Receipt) -> None:
    _send(
        template="receipt",
        subject=f"Receipt for {team.name}: {receipt.amount} {receipt.currency}",
        to=to,
        team=team,
        receipt=receipt,
    )


def send_trial_reminder(
    *, to: list[str], team: Team, trial_end: datetime, subscribed: bool
) -> None:
    _send(
        template="trial_reminder",
        subject=f"Your AMS trial for {team.name} ends in 3 days",
        to=to,
        team=team,
        trial_end=trial_end,
        subscribed=subscribed,
    )


def send_payment_failed(*, to: list[str], team: Team, failure: PaymentFailure) -> None:
    _send(
        template="payment_failed",
        subject=f"Payment failed for {team.name}",
        to=to,
        team=team,
        failure=failure,
    )


def send_cancelled(*, to: list[str], team: Team) -> None:
    _send(
        template="cancelled",
        subject=f"Your AMS subscription for {team.name} has ended",
        to=to,
        team=team,
    )
