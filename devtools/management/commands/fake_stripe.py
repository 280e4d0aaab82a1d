"""``manage.py fake_stripe``: the local stand-in for Stripe, for dev and the demo (never production)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from devtools.fake_stripe import serve


class Command(BaseCommand):
    help = "Serve a local fake of the Stripe API, Checkout and Portal on 127.0.0.1, delivering webhooks to AMS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=12111)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The fake Stripe is for dev and the demo only.")
        webhook_url = settings.SITE_URL + reverse("billing_stripe_webhook")
        server, fake = serve(port=options["port"], webhook_url=webhook_url)
        self.stdout.write(f"Fake Stripe on {fake.public_url}; webhooks go to {webhook_url}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            server.shutdown()
