"""``make demo``: the whole product on one machine, with nothing to configure.

Starts the Amazon simulator, the web server, the job worker and Stripe's local stand-in on the
embedded PostgreSQL; seeds a demo seller; connects their team to a simulated Seller Central
account through the real consent flow (the worker then syncs it); prints the URL and the login;
and stops everything cleanly on Ctrl-C. The simulator's clock runs, so new orders keep arriving.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ams.amazon.models import SellerConnection
from ams.core.tenancy import team_scope
from devtools.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_account_ensure
from devtools.demo_connect import DemoConnectError, connect_through_consent

# The simulated seller: a mid-size North American business with two years of history.
WORLD = ["--seed", "42", "--skus", "300", "--marketplaces", "US,CA,MX", "--history-days", "730"]


class Command(BaseCommand):
    help = "Run AMS locally with demo data: simulator, web server, worker and database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--simulator-port", type=int, default=8100)
        parser.add_argument(
            "--clock-speed",
            type=float,
            default=10.0,
            help="Simulated seconds per real second: 10 makes an hour of orders arrive every six minutes.",
        )
        parser.add_argument(
            "--rate-scale",
            type=float,
            default=10.0,
            help="How much faster than Amazon's usage plans the simulator (and AMS's limiter) run.",
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start the job worker.")
        parser.add_argument(
            "--exit-after",
            type=float,
            default=0,
            help="Stop by itself after this many seconds (for smoke tests); 0 runs until Ctrl-C.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        account = demo_account_ensure()
        site = f"http://{options['host']}:{options['port']}"
        simulator = f"http://127.0.0.1:{options['simulator_port']}"
        python = sys.executable
        world_info = self._simulator_info(python)
        seller = world_info["sellers"][0]

        env = {
            **os.environ,
            "APP_ENV": os.environ.get("APP_ENV", "demo"),
            "SITE_URL": site,
            "SPAPI_BASE_URL": simulator,
            "LWA_TOKEN_URL": f"{simulator}/auth/o2/token",
            "SELLER_CENTRAL_URL": simulator,
            "SPAPI_APPLICATION_ID": world_info["application_id"],
            "LWA_CLIENT_ID": world_info["client_id"],
            "LWA_CLIENT_SECRET": world_info["client_secret"],
            "SPAPI_RATE_SCALE": str(options["rate_scale"]),
        }
        commands = [
            [
                python,
                "-m",
                "spapi_sim",
                "serve",
                *WORLD,
                "--port",
                str(options["simulator_port"]),
                "--clock-speed",
                str(options["clock_speed"]),
                "--rate-scale",
                str(options["rate_scale"]),
                "--redirect-uri",
                f"{site}/amazon/callback/",
            ],
            [
                python,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ],
        ]
        if not options["no_worker"]:
            commands.append([python, "manage.py", "worker"])
        fake_stripe = urlsplit(settings.STRIPE_API_BASE or "")
        if fake_stripe.hostname == "127.0.0.1":
            # Stripe's local stand-in (devtools.fake_stripe): Checkout, Portal and signed webhooks.
            commands.append([python, "manage.py", "fake_stripe", "--port", str(fake_stripe.port)])

        # Fixed command lines: this interpreter and our own modules. The simulator's start-up
        # banner repeats its (fake) LWA secret, so only its errors reach the console.
        processes = [
            subprocess.Popen(  # noqa: S603
                c,
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.DEVNULL if c[2] == "spapi_sim" else None,
            )
            for c in commands
        ]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            self._wait_until_up(f"{simulator}/_sim/stats", processes)
            self._wait_until_up(f"{site}/accounts/login/", processes)
            self._connect(account.team.id, account.team.slug, site, seller["selling_partner_id"])
            self.stdout.write(
                "\n"
                f"  AMS is running at {site}/\n"
                f"  Sign in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}\n"
                f"  Team {account.team.name}, connected to the simulated seller {seller['name']} "
                f"({seller['selling_partner_id']}: US, CA, MX).\n"
                f"  The worker is syncing two years of history; new orders keep arriving.\n"
                "  Press Ctrl-C to stop.\n"
            )
            deadline = time.monotonic() + options["exit_after"] if options["exit_after"] else None
            while not stopping:
                if any(p.poll() is not None for p in processes):
                    self.stderr.write("A demo process exited; stopping the others.")
                    break
                if deadline and time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        finally:
            # Last started, first stopped: the worker and the web server finish their requests
            # while the simulator still answers them.
            for p in reversed(processes):
                self._stop(p)
            self.stdout.write("AMS stopped.")

    @staticmethod
    def _stop(process: subprocess.Popen[bytes]) -> None:
        # A first signal lets the worker finish its jobs; a second aborts them, which is safe
        # because sync commits its cursors with the rows they cover and resumes where it was.
        for _ in range(2):
            if process.poll() is not None:
                return
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                continue
        if process.poll() is None:
            process.kill()
            process.wait()

    def _simulator_info(self, python: str) -> dict[str, Any]:
        result = subprocess.run(  # noqa: S603  (a fixed command line)
            [python, "-m", "spapi_sim", "info", *WORLD],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            raise CommandError(
                f"the Amazon simulator would not start: {result.stderr.strip()[-500:]}"
            )
        info: dict[str, Any] = json.loads(result.stdout)
        return info

    def _wait_until_up(
        self, url: str, processes: list[subprocess.Popen[bytes]], seconds: float = 120
    ) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in processes):
                raise CommandError("a demo process exited while starting")
            try:
                if httpx.get(url, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise CommandError(f"{url} did not answer within {seconds:.0f} s")

    def _connect(self, team_id: int, team_slug: str, site: str, selling_partner_id: str) -> None:
        with team_scope(team_id):
            connected = SellerConnection.objects.filter(
                team_id=team_id, selling_partner_id=selling_partner_id, disconnected_at__isnull=True
            ).exists()
        if connected:
            return
        self.stdout.write("Connecting the demo team to the simulated Seller Central account…")
        try:
            connect_through_consent(
                site_url=site,
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                team_slug=team_slug,
                selling_partner_id=selling_partner_id,
            )
        except DemoConnectError as exc:
            raise CommandError(
                f"the demo could not connect to the simulated seller: {exc}"
            ) from exc
