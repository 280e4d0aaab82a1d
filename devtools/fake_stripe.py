"""A small local stand-in for the Stripe endpoints AMS calls, for tests and the demo.

It keeps customers, Checkout Sessions, Portal sessions, subscriptions and invoices in memory,
answers in Stripe's JSON shapes (API 2026-10-28: billing periods on subscription items, the
invoice's subscription under ``parent.subscription_details``), records every request's
form-decoded parameters for assertions, and turns what would happen on Stripe's side (a customer
pays, a payment fails, a subscription is cancelled) into the webhook events Stripe would send,
signed with the SDK's own helper.

Tests reach it in-process (``STRIPE_API_BASE=inprocess``: conftest.py installs it with
``ams.billing.gateway.use_in_process``); dev and ``make demo`` run it as an
HTTP server on 127.0.0.1 (``manage.py fake_stripe``), where it also serves a stand-in Checkout
page and Portal page with buttons instead of card fields, and POSTs the events to AMS's webhook.
It never opens a connection anywhere but loopback.
"""

from __future__ import annotations

import html
import itertools
import json
import secrets
import string
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ams.billing.gateway import webhook_secrets, webhook_signature

API_VERSION = "2026-10-28.endive"
MONTH = 30 * 86400


_ID_ALPHABET = string.ascii_letters + string.digits


def _id(prefix: str) -> str:
    # Mixed case like Stripe's ids, so no long digit run could pass for a card number in a scan.
    return f"{prefix}_{''.join(secrets.choice(_ID_ALPHABET) for _ in range(24))}"


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's nested form encoding (``a[b][0][c]=v``) back into dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node: Any = root
        for part, following in itertools.pairwise(parts):
            container: Any = [] if following.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(container)
                node = node[index]
            else:
                node = node.setdefault(part, container)
        last = parts[-1]
        if isinstance(node, list):
            node.append(value)
        else:
            node[last] = value
    return root


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeStripe:
    webhook_secret: str = "whsec_local_fake"  # noqa: S105  (the fake signs with the dev default)
    # Where hosted pages live: the server's own address, or a placeholder in-process.
    public_url: str = "http://stripe.fake.invalid"
    prices: dict[str, int] = field(default_factory=dict)  # price id -> amount in cents
    currency: str = "usd"
    # Where the HTTP server delivers events (the demo); tests post them themselves.
    webhook_url: str | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        """Forget every object and request, and go back to the real clock."""
        with self.lock:
            self.__post_init__()
            self.clock = time.time

    def now(self) -> int:
        return int(self.clock())

    # --- The API ---------------------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str]:
        path = urlsplit(url).path
        params = decode_form(body.decode() if method == "POST" else urlsplit(url).query)
        lowered = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            self.requests.append(Recorded(method, path, params, lowered))
            if not lowered.get("authorization", "").startswith("Bearer sk_"):
                return self._error(401, "authentication_error", "Invalid API key provided.")
            parts = path.strip("/").split("/")
            object_id = parts[-1]
            by_id = method in ("GET", "DELETE")
            route = (method, "/".join(parts[:-1]) + "/{id}" if by_id else "/".join(parts))
            handlers: dict[tuple[str, str], Callable[[dict[str, Any]], tuple[int, str]]] = {
                ("POST", "v1/customers"): self._customer_create,
                ("GET", "v1/customers/{id}"): lambda p: self._get(self.customers, object_id),
                ("DELETE", "v1/customers/{id}"): lambda p: self._customer_delete(object_id),
                ("POST", "v1/checkout/sessions"): self._session_create,
                ("GET", "v1/checkout/sessions/{id}"): lambda p: self._get(self.sessions, object_id),
                ("POST", "v1/billing_portal/sessions"): self._portal_create,
                ("GET", "v1/subscriptions/{id}"): lambda p: self._get(
                    self.subscriptions, object_id
                ),
            }
            handler = handlers.get(route)
            if handler is None:
                return self._error(
                    404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})."
                )
            return handler(params)

    def _json(self, obj: dict[str, Any], status: int = 200) -> tuple[int, str]:
        return status, json.dumps(obj)

    def _error(
        self, status: int, kind: str, message: str, code: str | None = None
    ) -> tuple[int, str]:
        return self._json({"error": {"type": kind, "message": message, "code": code}}, status)

    def _get(self, table: dict[str, dict[str, Any]], key: str) -> tuple[int, str]:
        if key not in table:
            return self._error(
                404, "invalid_request_error", f"No such object: '{key}'", "resource_missing"
            )
        return self._json(table[key])

    def _customer_create(self, params: dict[str, Any]) -> tuple[int, str]:
        customer = {
            "id": _id("cus"),
            "object": "customer",
            "created": self.now(),
            "livemode": False,
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": params.get("metadata", {}),
        }
        self.customers[customer["id"]] = customer
        return self._json(customer)

    def _customer_delete(self, customer_id: str) -> tuple[int, str]:
        """Stripe deletes the customer and cancels its subscriptions at once, without a refund."""
        if customer_id not in self.customers:
            return self._get(self.customers, customer_id)
        del self.customers[customer_id]
        for subscription in self.subscriptions.values():
            if subscription.get("customer") == customer_id and subscription["status"] != "canceled":
                subscription.update(status="canceled", canceled_at=self.now(), ended_at=self.now())
        return self._json({"id": customer_id, "object": "customer", "deleted": True})

    def _session_create(self, params: dict[str, Any]) -> tuple[int, str]:
        customer = params.get("customer", "")
        if customer not in self.customers:
            return self._error(
                400, "invalid_request_error", f"No such customer: '{customer}'", "resource_missing"
            )
        trial_end = params.get("subscription_data", {}).get("trial_end")
        if trial_end is not None and int(trial_end) < self.now() + 48 * 3600:
            return self._error(
                400, "invalid_request_error", "trial_end must be at least 48 hours in the future."
            )
        session_id = _id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "customer": customer,
            "subscription": None,
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.public_url}/checkout/{session_id}",
            "created": self.now(),
            "livemode": False,
            "line_items": params.get("line_items", []),
            "subscription_data": params.get("subscription_data", {}),
        }
        self.sessions[session_id] = session
        return self._json(
            {k: v for k, v in session.items() if k not in ("line_items", "subscription_data")}
        )

    def _portal_create(self, params: dict[str, Any]) -> tuple[int, str]:
        customer = params.get("customer", "")
        if customer not in self.customers:
            return self._error(
                400, "invalid_request_error", f"No such customer: '{customer}'", "resource_missing"
            )
        portal_id = _id("bps")
        portal = {
            "id": portal_id,
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": params.get("return_url"),
            "flow": params.get("flow_data"),
            "url": f"{self.public_url}/portal/{portal_id}",
            "created": self.now(),
            "livemode": False,
        }
        self.portal_sessions[portal_id] = portal
        return self._json(portal)

    # --- What happens on Stripe's side, as events --------------------------------------------

    def event(
        self, type: str, obj: dict[str, Any], *, created: int | None = None
    ) -> dict[str, Any]:
        return {
            "id": _id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now() if created is None else created,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
            "data": {"object": json.loads(json.dumps(obj))},
        }

    def sign(
        self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[str, str]:
        """The exact body and Stripe-Signature header Stripe would send for ``event``."""
        payload = json.dumps(event)
        return payload, webhook_signature(
            payload, secret or self.webhook_secret, timestamp=timestamp
        )

    def complete_checkout(self, session_id: str) -> list[dict[str, Any]]:
        """The customer paid on the Checkout page: a subscription, its first invoice, and the events."""
        with self.lock:
            session = self.sessions[session_id]
            price = session["line_items"][0]["price"]
            data = session["subscription_data"]
            trial_end = int(data["trial_end"]) if data.get("trial_end") else None
            now = self.now()
            period_end = trial_end or now + MONTH
            subscription = {
                "id": _id("sub"),
                "object": "subscription",
                "customer": session["customer"],
                "status": "trialing" if trial_end else "active",
                "cancel_at_period_end": False,
                "canceled_at": None,
                "ended_at": None,
                "created": now,
                "start_date": now,
                "trial_start": now if trial_end else None,
                "trial_end": trial_end,
                "metadata": data.get("metadata", {}),
                "livemode": False,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": _id("si"),
                            "object": "subscription_item",
                            "quantity": 1,
                            "price": {
                                "id": price,
                                "object": "price",
                                "unit_amount": self.prices.get(price, 0),
                                "currency": self.currency,
                                "recurring": {"interval": "month"},
                            },
                            "current_period_start": now,
                            "current_period_end": period_end,
                        }
                    ],
                },
            }
            self.subscriptions[subscription["id"]] = subscription
            session.update(
                status="complete", payment_status="paid", subscription=subscription["id"]
            )
            public_session = {
                k: v for k, v in session.items() if k not in ("line_items", "subscription_data")
            }
            invoice = self._invoice(subscription, paid=True, amount=0 if trial_end else None)
            return [
                self.event("checkout.session.completed", public_session, created=now),
                self.event("customer.subscription.created", subscription, created=now),
                self.event("invoice.paid", invoice, created=now),
            ]

    def _invoice(
        self, subscription: dict[str, Any], *, paid: bool, amount: int | None = None
    ) -> dict[str, Any]:
        item = subscription["items"]["data"][0]
        cents = item["price"]["unit_amount"] if amount is None else amount
        invoice_id = _id("in")
        start, end = item["current_period_start"], item["current_period_end"]
        invoice = {
            "id": invoice_id,
            "object": "invoice",
            "customer": subscription["customer"],
            "number": f"FAKE-{len(self.invoices) + 1:04d}",
            "currency": self.currency,
            "amount_due": cents,
            "amount_paid": cents if paid else 0,
            "amount_remaining": 0 if paid else cents,
            "status": "paid" if paid else "open",
            "attempt_count": 1,
            "created": self.now(),
            "next_payment_attempt": None if paid else self.now() + 3 * 86400,
            "hosted_invoice_url": f"{self.public_url}/invoices/{invoice_id}",
            "invoice_pdf": f"{self.public_url}/invoices/{invoice_id}/pdf",
            "period_start": start,
            "period_end": end,
            "livemode": False,
            "lines": {
                "object": "list",
                "data": [
                    {
                        "amount": cents,
                        "currency": self.currency,
                        "period": {"start": start, "end": end},
                    }
                ],
            },
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": subscription["id"],
                    "metadata": subscription["metadata"],
                },
            },
        }
        self.invoices[invoice_id] = invoice
        return invoice

    def renew(self, subscription_id: str, *, paid: bool = True) -> list[dict[str, Any]]:
        """The next period starts: the invoice is paid, or the payment fails and the subscription is past due."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            item = subscription["items"]["data"][0]
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] = item["current_period_start"] + MONTH
            subscription["status"] = "active" if paid else "past_due"
            invoice = self._invoice(subscription, paid=paid)
            return [
                self.event("invoice.paid" if paid else "invoice.payment_failed", invoice),
                self.event("customer.subscription.updated", subscription),
            ]

    def trial_will_end(self, subscription_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                self.event(
                    "customer.subscription.trial_will_end", self.subscriptions[subscription_id]
                )
            ]

    def cancel(self, subscription_id: str) -> list[dict[str, Any]]:
        """Cancelled now (the Portal's cancel, or the end of unpaid retries)."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            subscription.update(status="canceled", canceled_at=self.now(), ended_at=self.now())
            return [self.event("customer.subscription.deleted", subscription)]

    def deliver(self, events: Iterable[dict[str, Any]]) -> list[int]:
        """POST each event, signed, to ``webhook_url`` (loopback only), as Stripe would."""
        if not self.webhook_url or urlsplit(self.webhook_url).hostname not in (
            "127.0.0.1",
            "localhost",
        ):
            raise ValueError("the fake delivers webhooks to loopback only")
        statuses = []
        for event in events:
            payload, header = self.sign(event)
            request = urllib.request.Request(  # noqa: S310  (a loopback URL, asserted above)
                self.webhook_url,
                data=payload.encode(),
                method="POST",
                headers={"Content-Type": "application/json", "Stripe-Signature": header},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                statuses.append(response.status)
        return statuses


_default: FakeStripe | None = None
_default_lock = threading.Lock()


def default_fake() -> FakeStripe:
    """The process's fake, shared by the in-process transport and the tests that drive it."""
    global _default
    with _default_lock:
        if _default is None:
            from django.conf import settings

            _default = FakeStripe(
                webhook_secret=webhook_secrets()[0],
                prices={p.price_id: int(p.amount * 100) for p in settings.BILLING_PLANS},
                currency=settings.BILLING_PLANS[0].currency,
            )
        return _default


# --- The HTTP server (dev and demo) ---------------------------------------------------------

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;line-height:1.5}}
button{{font-size:1rem;padding:.5rem 1rem;margin:.25rem 0}}.note{{color:#666;font-size:.9rem}}</style></head>
<body><h1>{title}</h1><p class="note">A local stand-in for Stripe, for development and the demo.
No card is asked for and nothing is charged.</p>{body}</body></html>"""


def _make_handler(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: request lines would carry ids, and the demo's console is for AMS

        def _send(
            self,
            status: int,
            body: str,
            content_type: str = "application/json",
            location: str | None = None,
        ) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _page(self, title: str, body: str) -> None:
            self._send(
                200, _PAGE.format(title=html.escape(title), body=body), "text/html; charset=utf-8"
            )

        def do_GET(self) -> None:
            parts = urlsplit(self.path).path.strip("/").split("/")
            if parts[0] == "v1":
                self._send(*fake.handle("GET", self.path, dict(self.headers), b""))
            elif parts[0] == "checkout" and len(parts) == 2 and parts[1] in fake.sessions:
                session = fake.sessions[parts[1]]
                price = session["line_items"][0]["price"]
                amount = fake.prices.get(price, 0) / 100
                trial = session["subscription_data"].get("trial_end")
                note = "<p>Free until the trial ends, then monthly.</p>" if trial else ""
                self._page(
                    "Subscribe",
                    (
                        f"<p>Plan <code>{html.escape(price)}</code>: {amount:.2f} {fake.currency.upper()} a month.</p>{note}"
                        f'<form method="post" action="/checkout/{parts[1]}/pay"><button type="submit">Pay</button></form>'
                        f'<p><a href="{html.escape(session["cancel_url"] or "/")}">Cancel</a></p>'
                    ),
                )
            elif parts[0] == "portal" and len(parts) == 2 and parts[1] in fake.portal_sessions:
                portal = fake.portal_sessions[parts[1]]
                subs = [
                    s
                    for s in fake.subscriptions.values()
                    if s["customer"] == portal["customer"] and s["status"] != "canceled"
                ]
                buttons = "".join(
                    f'<form method="post" action="/portal/{parts[1]}/{action}/{s["id"]}"><button type="submit">{label}</button></form>'
                    for s in subs
                    for action, label in (
                        ("renew", "Simulate next month: paid"),
                        ("fail", "Simulate next month: card declined"),
                        ("cancel", "Cancel subscription"),
                    )
                )
                self._page(
                    "Billing portal",
                    (buttons or "<p>No active subscription.</p>")
                    + f'<p><a href="{html.escape(portal["return_url"] or "/")}">Return to AMS</a></p>',
                )
            else:
                self._send(
                    404,
                    json.dumps(
                        {"error": {"type": "invalid_request_error", "message": "Not found"}}
                    ),
                )

        def do_DELETE(self) -> None:
            self._send(*fake.handle("DELETE", self.path, dict(self.headers), b""))

        def do_POST(self) -> None:
            body = self._body()
            parts = urlsplit(self.path).path.strip("/").split("/")
            if parts[0] == "v1":
                self._send(*fake.handle("POST", self.path, dict(self.headers), body))
                return
            if parts[0] == "checkout" and len(parts) == 3 and parts[1] in fake.sessions:
                events = fake.complete_checkout(parts[1])
                # As Stripe does: the session's id replaces the placeholder in the success URL.
                return_url = (fake.sessions[parts[1]]["success_url"] or "").replace(
                    "{CHECKOUT_SESSION_ID}", parts[1]
                )
            elif parts[0] == "portal" and len(parts) == 4 and parts[1] in fake.portal_sessions:
                action, subscription_id = parts[2], parts[3]
                if subscription_id not in fake.subscriptions:
                    self._send(404, "{}")
                    return
                events = {
                    "renew": lambda: fake.renew(subscription_id),
                    "fail": lambda: fake.renew(subscription_id, paid=False),
                    "cancel": lambda: fake.cancel(subscription_id),
                }.get(action, list)()
                return_url = fake.portal_sessions[parts[1]]["return_url"]
            else:
                self._send(404, "{}")
                return
            if fake.webhook_url:
                fake.deliver(events)
            self._send(303, "", "text/plain", location=return_url or "/")

    return Handler


def serve(
    *, port: int = 12111, webhook_url: str | None = None, fake: FakeStripe | None = None
) -> tuple[ThreadingHTTPServer, FakeStripe]:
    """Start the fake on 127.0.0.1:``port`` in a background thread; ``port=0`` picks a free one."""
    fake = fake or default_fake()
    server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(fake))
    fake.public_url = f"http://127.0.0.1:{server.server_address[1]}"
    fake.webhook_url = webhook_url
    threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True).start()
    return server, fake
