"""``make demo``: the whole product on one machine, with nothing to configure.

Starts the Amazon simulator, the web server, the job worker and Stripe's local stand-in on the
embedded PostgreSQL; seeds a demo seller; connects their team to a simulated Seller Central
account through the real consent flow (the worker then syncs it); prints the URL and the login;
and stops everything, the embedded PostgreSQL included, on Ctrl-C or SIGTERM.

The console stays readable: the banner, the emails AMS sends (printed as a person reads them,
devtools.demo_mail) and what went wrong if a process stops. Every process's logs go to one file,
``.devdb/demo.log`` by default, named in the banner. The simulator's clock replays the day so far
quickly, then follows the real time: no order is ever dated in the future.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ams.amazon.models import SellerConnection
from ams.core.exchange_rates import rates_refresh
from ams.core.models import ExchangeRate
from ams.core.tenancy import team_scope
from ams.orders.models import SkuDay
from ams.profit.models import SkuProfitDay
from ams.profit.rollups import team_rebuild
from devtools.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_account_ensure
from devtools.demo_connect import DemoConnectError, connect_through_consent
from devtools.demo_ports import PortInUse, demo_ports

# The simulated seller: a mid-size North American business with two years of history.
WORLD = ["--seed", "42", "--skus", "300", "--marketplaces", "US,CA,MX", "--history-days", "730"]


class _Stop(BaseException):
    """Ctrl-C, SIGTERM or SIGHUP: leave whatever the demo is doing and stop everything."""


def _env_port(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{name}={value!r} is not a port number") from None


def _stop_on_signals() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        # Once: while the processes are stopped, a second Ctrl-C must not cut the stop short and
        # leave the database server running.
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        raise _Stop

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop)


class Command(BaseCommand):
    help = "Run AMS locally with demo data: simulator, web server, worker and database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=None, help="The web server's port (PORT; default 8000)."
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--simulator-port",
            type=int,
            default=None,
            help="The Amazon simulator's port (SIM_PORT; default PORT + 100, or a free one).",
        )
        parser.add_argument(
            "--stripe-port",
            type=int,
            default=None,
            help="The Stripe stand-in's port (STRIPE_PORT; default PORT + 4111, or a free one).",
        )
        parser.add_argument(
            "--log-file",
            default=os.environ.get("DEMO_LOG")
            or str(Path(settings.BASE_DIR) / ".devdb" / "demo.log"),
            help="Where every process's logs go (DEMO_LOG); the console keeps the banner and emails.",
        )
        parser.add_argument(
            "--clock-speed",
            type=float,
            default=10.0,
            help="Simulated seconds per real second while the simulator replays the day so far; "
            "once it reaches the real time it follows it.",
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
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        _stop_on_signals()
        log_path = Path(options["log_file"]).resolve()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab", buffering=0) as log:
            self._log_to(log_path)
            try:
                self._run(options, log_path, log)
            except _Stop:
                pass
            finally:
                for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(s, signal.SIG_IGN)
                for _name, process in reversed(self._processes):
                    self._stop(process)
                if self._processes:
                    self.stdout.write("AMS stopped.")
            # The embedded PostgreSQL stops when this process exits (ams.core.embedded_postgres).

    @staticmethod
    def _log_to(log_path: Path) -> None:
        # This process's own logs (migrations, the consent flow) join the others in the file.
        handler = logging.FileHandler(log_path)
        for existing in list(logging.getLogger().handlers):
            if isinstance(existing, logging.StreamHandler) and not isinstance(
                existing, logging.FileHandler
            ):
                handler.setFormatter(existing.formatter)
                for f in existing.filters:
                    handler.addFilter(f)
                logging.getLogger().removeHandler(existing)
        logging.getLogger().addHandler(handler)

    def _run(self, options: dict[str, Any], log_path: Path, log: BinaryIO) -> None:
        # The options, else the environment (make passes its variables on), else derived.
        options["port"] = options["port"] or _env_port("PORT") or 8000
        options["simulator_port"] = options["simulator_port"] or _env_port("SIM_PORT")
        stripe_base = os.environ.get("STRIPE_API_BASE", "")
        stripe_asked = options["stripe_port"] or _env_port("STRIPE_PORT")
        if stripe_base:
            # A Stripe named in the environment: the stand-in only where it is on loopback.
            parts = urlsplit(stripe_base)
            stripe_asked = parts.port if parts.hostname == "127.0.0.1" else None
        try:
            ports = demo_ports(
                options["port"],
                simulator=options["simulator_port"],
                stripe=stripe_asked,
                host=options["host"],
            )
        except PortInUse as exc:
            raise CommandError(str(exc)) from None
        fake_stripe = not stripe_base or urlsplit(stripe_base).hostname == "127.0.0.1"

        call_command("migrate", verbosity=0, interactive=False)
        # Amounts in the home currency need the ECB's rates: the history shipped with the
        # library, no download (the nightly job refreshes them where the network allows).
        if not ExchangeRate.objects.exists():
            rates_refresh(url="")
        account = demo_account_ensure()
        # Data synced by an earlier demo, before the profit read model existed, is added up once.
        with team_scope(account.team.id):
            if SkuDay.objects.exists() and not SkuProfitDay.objects.exists():
                team_rebuild()
        site = f"http://{options['host']}:{ports.web}"
        simulator = f"http://127.0.0.1:{ports.simulator}"
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
            "EMAIL_BACKEND": os.environ.get(
                "EMAIL_BACKEND", "devtools.demo_mail.ReadableConsoleBackend"
            ),
        }
        if fake_stripe:
            env["STRIPE_API_BASE"] = f"http://127.0.0.1:{ports.stripe}"
        # Each process: its name (for errors), its command line, and where its standard output
        # goes. Only the web server's and the worker's reach the console (None), for the emails
        # they send; the simulator's start-up banner repeats its (fake) LWA secret, so it goes
        # nowhere. Every standard error (the logs) goes to the log file.
        console, nowhere = None, subprocess.DEVNULL
        commands: list[tuple[str, list[str], int | BinaryIO | None]] = [
            (
                "Amazon simulator",
                [
                    python,
                    "-m",
                    "spapi_sim",
                    "serve",
                    *WORLD,
                    "--port",
                    str(ports.simulator),
                    "--clock-speed",
                    str(options["clock_speed"]),
                    "--never-ahead",
                    # Reports build as fast as under a clock ten times the real time.
                    "--report-seconds",
                    "2",
                    "--report-seconds-per-1000-rows",
                    "0.2",
                    "--rate-scale",
                    str(options["rate_scale"]),
                    "--redirect-uri",
                    f"{site}/amazon/callback/",
                ],
                nowhere,
            ),
            (
                "web server",
                [
                    python,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--bind",
                    f"{options['host']}:{ports.web}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--access-logfile",
                    str(log_path),
                    "--log-level",
                    "warning",
                ],
                console,
            ),
        ]
        if not options["no_worker"]:
            commands.append(("job worker", [python, "manage.py", "worker"], console))
        if fake_stripe:
            # Stripe's local stand-in (devtools.fake_stripe): Checkout, Portal and signed webhooks.
            commands.append(
                (
                    "Stripe stand-in",
                    [python, "manage.py", "fake_stripe", "--port", str(ports.stripe)],
                    log,
                )
            )

        # Fixed command lines: this interpreter and our own modules. Each runs in a session of its
        # own, so a Ctrl-C reaches this process only, which stops them in order.
        for name, command, stdout in commands:
            process = subprocess.Popen(  # noqa: S603
                command,
                env=env,
                cwd=settings.BASE_DIR,
                stdout=stdout,
                stderr=log,
                start_new_session=True,
            )
            self._processes.append((name, process))

        self._wait_until_up(f"{simulator}/_sim/stats", log_path)
        self._wait_until_up(f"{site}/accounts/login/", log_path)
        self._connect(account.team.id, account.team.slug, site, seller["selling_partner_id"])
        notes = "".join(f"  {note}\n" for note in ports.notes)
        syncing = (
            "  No worker (--no-worker): nothing syncs.\n"
            if options["no_worker"]
            else "  The worker is syncing two years of history.\n"
        )
        self.stdout.write(
            "\n"
            f"  AMS is running at {site}/\n"
            f"  Sign in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}\n"
            f"  Team {account.team.name}, connected to the simulated seller {seller['name']} "
            f"({seller['selling_partner_id']}: US, CA, MX).\n"
            f"{syncing}"
            "  Today's orders arrive quickly, then as they happen (the simulated Amazon's clock\n"
            "  never runs ahead of the real time).\n"
            f"  Amazon simulator: {simulator}   Stripe stand-in: "
            f"{env.get('STRIPE_API_BASE', '-')}\n"
            f"{notes}"
            f"  Logs: {log_path}   Emails AMS sends are printed here.\n"
            "  Press Ctrl-C to stop.\n"
        )
        self.stdout.flush()
        deadline = time.monotonic() + options["exit_after"] if options["exit_after"] else None
        while True:
            self._check_running(log_path)
            if deadline and time.monotonic() > deadline:
                return
            time.sleep(0.5)

    def _check_running(self, log_path: Path) -> None:
        for name, process in self._processes:
            if process.poll() is not None:
                raise CommandError(
                    f"The {name} exited (status {process.returncode}); the demo stopped. "
                    f"The end of {log_path}:\n{_tail(log_path)}"
                )

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

    def _wait_until_up(self, url: str, log_path: Path, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._check_running(log_path)
            try:
                if httpx.get(url, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise CommandError(f"{url} did not answer within {seconds:.0f} s; see {log_path}")

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


def _tail(path: Path, lines: int = 20) -> str:
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 8192))
        text = f.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])
