from __future__ import annotations

import structlog
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ams.billing import gateway, selectors, services
from ams.teams.access import TeamRequest, team_view
from ams.teams.models import Role

log = structlog.get_logger(__name__)

UNAVAILABLE = (
    "Stripe could not be reached just now. Nothing was changed; please try again in a minute."
)


def _billing_url(request: TeamRequest) -> str:
    # From configuration, not the Host header: Stripe sends the customer back here.
    return settings.SITE_URL + reverse("billing", args=[request.team.slug])


def _back(request: TeamRequest) -> HttpResponse:
    return redirect("billing", team_slug=request.team.slug)


def _returned(request: TeamRequest) -> bool:
    """Back from Stripe's Checkout or Portal: take the state from Stripe now rather than when the
    webhook is processed, so the page never shows the state from before. True while Stripe has
    not finished, and the page looks again shortly."""
    checkout = request.GET.get("checkout")
    if checkout == "cancelled":
        messages.info(request, "Checkout was cancelled. Nothing was charged.")
        return False
    if checkout == "success":
        try:
            outcome = services.checkout_confirm(
                team=request.team, session_id=request.GET.get("session_id", "")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return False
        if outcome == services.CheckoutOutcome.NOT_COMPLETED:
            messages.info(request, "Checkout was not completed. Nothing was charged.")
        return outcome == services.CheckoutOutcome.PENDING
    if request.GET.get("portal") == "return":
        try:
            services.subscription_reconcile(team=request.team)
        except gateway.BillingUnavailable as exc:
            log.warning("billing.portal_return_unavailable", error=str(exc))
            return True
    return False


@team_view(read=Role.OWNER, write=Role.OWNER, while_lapsed=True)
@require_http_methods(["GET"])
def billing(request: TeamRequest) -> HttpResponse:
    updating = _returned(request)
    subscription = selectors.subscription_for(request.team)
    payment_failed = selectors.payment_failed(subscription)
    context = {
        "subscription": subscription,
        "updating": updating,
        "payment_failed": payment_failed,
        "plan": selectors.subscription_plan(subscription),
        "plans": selectors.plans(),
        # A declined payment is the one thing to act on: no trial countdown beside it.
        "trial_days_left": None if payment_failed else selectors.trial_days_left(subscription),
        "in_good_standing": selectors.in_good_standing(subscription),
        "can_subscribe": not (
            subscription.stripe_subscription_id and subscription.status in selectors.PAID_STATUSES
        ),
        "can_manage": bool(subscription.stripe_customer_id),
    }
    return render(request, "billing/billing.html", context)


@team_view(read=Role.OWNER, write=Role.OWNER, while_lapsed=True)
@require_POST
def subscribe(request: TeamRequest) -> HttpResponse:
    plan_key = request.POST.get("plan") or selectors.subscription_for(request.team).plan
    try:
        page = services.checkout_start(
            team=request.team,
            actor=request.membership,
            plan_key=plan_key,
            return_url=_billing_url(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request)
    except gateway.BillingUnavailable as exc:
        log.warning("billing.checkout_unavailable", error=str(exc))
        messages.error(request, UNAVAILABLE)
        return _back(request)
    return redirect(page.url)


def _portal(request: TeamRequest, *, cancel: bool) -> HttpResponse:
    try:
        page = services.portal_start(
            team=request.team,
            actor=request.membership,
            return_url=_billing_url(request) + "?portal=return",
            cancel=cancel,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request)
    except gateway.BillingUnavailable as exc:
        log.warning("billing.portal_unavailable", error=str(exc))
        messages.error(request, UNAVAILABLE)
        return _back(request)
    return redirect(page.url)


@team_view(read=Role.OWNER, write=Role.OWNER, while_lapsed=True)
@require_POST
def manage(request: TeamRequest) -> HttpResponse:
    return _portal(request, cancel=False)


@team_view(read=Role.OWNER, write=Role.OWNER, while_lapsed=True)
@require_POST
def cancel(request: TeamRequest) -> HttpResponse:
    return _portal(request, cancel=True)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook: verify, store by event id, defer the work, answer 200 quickly."""
    try:
        event = gateway.webhook_event(request.body, request.headers.get("Stripe-Signature"))
    except gateway.WebhookInvalid as exc:
        log.warning("stripe.webhook_rejected", reason=str(exc))
        return HttpResponseBadRequest("invalid signature")
    services.stripe_event_receive(event=event)
    return HttpResponse("ok")
