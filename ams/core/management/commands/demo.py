"""``make demo``: the whole product on one machine, with nothing to configure.

Starts the web server and the job worker on the embedded PostgreSQL, seeds a demo seller, prints
the URL and the login, and stops everything cleanly on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ams.core.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_account_ensure


class Command(BaseCommand):
    help = "Run AMS locally with demo data: web server, worker and database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the job worker.")
        parser.add_argument(
            "--exit-after", type=float, default=0,
            help="Stop by itself after this many seconds (for smoke tests); 0 runs until Ctrl-C.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        account = demo_account_ensure()
        env = {**os.environ, "APP_ENV": os.environ.get("APP_ENV", "demo"), "SITE_URL": f"http://{options['host']}:{options['port']}"}
        python = sys.executable
        processes: list[subprocess.Popen[bytes]] = [
            subprocess.Popen(  # noqa: S603  (a fixed command line: this interpreter, our own modules)
                [
                    python, "-m", "gunicorn", "config.wsgi",
                    "--bind", f"{options['host']}:{options['port']}",
                    "--workers", "2", "--threads", "4", "--access-logfile", "-", "--log-level", "warning",
                ],
                env=env, cwd=settings.BASE_DIR,
            )
        ]
        if not options["no_worker"]:
            worker = [python, "manage.py", "worker"]
            processes.append(subprocess.Popen(worker, env=env, cwd=settings.BASE_DIR))  # noqa: S603
        fake_stripe = urlsplit(settings.STRIPE_API_BASE or "")
        if fake_stripe.hostname == "127.0.0.1":
            # Stripe's local stand-in (ams.billing.fake_stripe): Checkout, Portal and signed webhooks.
            command = [python, "manage.py", "fake_stripe", "--port", str(fake_stripe.port)]
            processes.append(subprocess.Popen(command, env=env, cwd=settings.BASE_DIR))  # noqa: S603

        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            "\n"
            f"  AMS is running at {url}\n"
            f"  Sign in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}\n"
            f"  (team: {account.team.name}). Press Ctrl-C to stop.\n"
        )

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        deadline = time.monotonic() + options["exit_after"] if options["exit_after"] else None
        try:
            while not stopping:
                if any(p.poll() is not None for p in processes):
                    self.stderr.write("A demo process exited; stopping the others.")
                    break
                if deadline and time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            for p in processes:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in processes:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
            self.stdout.write("AMS stopped.")
