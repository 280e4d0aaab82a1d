"""`make demo` starts the whole product, connects the demo team through the consent flow, and stops."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from devtools.demo_mail import ReadableConsoleBackend
from devtools.demo_ports import PortInUse, demo_ports, port_free

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "PORT", "SIM_PORT", "STRIPE_PORT")
    }
    env.update(APP_ENV="demo", LOG_JSON="true")
    return env


def test_the_demo_starts_connects_and_stops_cleanly(tmp_path):
    web, simulator, stripe = _free_port(), _free_port(), _free_port()
    env = _demo_env()
    env.update(STRIPE_API_BASE=f"http://127.0.0.1:{stripe}")
    log = tmp_path / "demo.log"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "demo",
            "--port",
            str(web),
            "--simulator-port",
            str(simulator),
            "--exit-after",
            "3",
            "--log-file",
            str(log),
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f"AMS is running at http://127.0.0.1:{web}/" in result.stdout
    assert "connected to the simulated seller" in result.stdout
    assert "AMS stopped." in result.stdout
    # Nothing secret on the console, whatever the log level.
    assert "Atzr|" not in output
    assert "amzn1.oa2-cs.v1." not in output
    assert "amzn1.oa2-cs.v1." not in log.read_text()
    # The console is for people: the logs (JSON, one object a line) and the request lines go to
    # the file the banner names, and the banner is the last thing said before the stop.
    assert f"Logs: {log}" in result.stdout
    console = [line for line in output.splitlines() if line.strip()]
    assert not [line for line in console if line.lstrip().startswith("{")], console
    assert not [line for line in console if '"GET /' in line]
    said = [line for line in result.stdout.splitlines() if line.strip()]
    assert said[-2:] == ["  Press Ctrl-C to stop.", "AMS stopped."], said[-6:]
    logged = log.read_text().splitlines()
    events = [json.loads(line)["event"] for line in logged if line.startswith("{")]
    assert "request_started" in events
    assert any('"GET /accounts/login/' in line for line in logged)


# --- Ports -----------------------------------------------------------------------------------


@pytest.fixture
def busy_port():
    """A port something listens on, as when another program holds 8100."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_the_other_ports_follow_the_web_port():
    web = _free_port()
    ports = demo_ports(web, simulator=None, stripe=None)
    if ports.notes:  # something of the machine's held a derived port: chosen, and said so
        assert all("was in use" in note for note in ports.notes)
    else:
        assert (ports.simulator, ports.stripe) == (web + 100, web + 4111)
    assert demo_ports(8000).web == 8000 or not port_free(8000)


def test_a_taken_derived_port_is_replaced_by_a_free_one_and_said(busy_port):
    web = busy_port - 100
    ports = demo_ports(web)
    assert ports.simulator != busy_port
    assert port_free(ports.simulator)
    assert ports.notes == (
        f"Port {busy_port} (Amazon simulator) was in use: using {ports.simulator} "
        "(set SIM_PORT to choose).",
    )


def test_a_taken_port_that_was_asked_for_is_named_with_the_setting_that_changes_it(busy_port):
    with pytest.raises(
        PortInUse, match=rf"^Port {busy_port} \(Amazon simulator\) is in use: set SIM_PORT="
    ):
        demo_ports(_free_port(), simulator=busy_port)
    with pytest.raises(
        PortInUse, match=rf"^Port {busy_port} \(Stripe stand-in\) is in use: set STRIPE_PORT="
    ):
        demo_ports(_free_port(), stripe=busy_port)
    with pytest.raises(PortInUse, match=rf"^Port {busy_port} \(web server\) is in use: set PORT="):
        demo_ports(busy_port)


def test_the_demo_refuses_a_taken_port_before_starting_anything(busy_port, tmp_path):
    env = _demo_env()
    env["SIM_PORT"] = str(busy_port)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "demo",
            "--port",
            str(_free_port()),
            "--log-file",
            str(tmp_path / "demo.log"),
        ],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert f"Port {busy_port} (Amazon simulator) is in use: set SIM_PORT=" in result.stderr
    assert "Address already in use" not in result.stdout + result.stderr
    assert "AMS is running" not in result.stdout


# --- The embedded PostgreSQL ------------------------------------------------------------------

_HOLD_SERVER = """
import sys, time
from pathlib import Path
from ams.core import embedded_postgres
embedded_postgres.environ_ensure(Path(sys.argv[1]))
print("ready", flush=True)
time.sleep(300)
"""


@pytest.fixture
def pgdata():
    # Not under pytest's private temporary directory: as root, the server runs as its own user,
    # which must be able to reach the data directory.
    root = Path(tempfile.mkdtemp(prefix="ams-embedded-"))
    root.chmod(0o755)
    yield root / "pgdata"
    shutil.rmtree(root, ignore_errors=True)


def _hold_server(pgdata: Path) -> subprocess.Popen[str]:
    env = _demo_env()
    env["PYTHONPATH"] = str(settings.BASE_DIR)
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD_SERVER, str(pgdata)],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def _server_running(pgdata: Path) -> bool:
    pid_file = pgdata / "postmaster.pid"
    return pid_file.exists() and psutil.pid_exists(int(pid_file.read_text().split()[0]))


def _handles(pgdata: Path) -> list[int]:
    return list(json.loads((pgdata / ".handle_pids.json").read_text()))


def test_the_embedded_server_stops_with_its_last_user_on_sigterm_and_a_killed_user_is_cleaned_up(
    pgdata,
):
    killed = _hold_server(pgdata)
    killed.kill()  # SIGKILL: nothing runs, the server and the stale pid stay behind
    killed.wait()
    assert _server_running(pgdata)
    assert _handles(pgdata) == [killed.pid]

    user = _hold_server(pgdata)
    assert _handles(pgdata) == [user.pid]  # the dead one pruned on start
    user.send_signal(signal.SIGTERM)
    assert user.wait(timeout=60) == -signal.SIGTERM  # still ended by the signal
    assert not _server_running(pgdata)
    assert _handles(pgdata) == []


# --- Email ------------------------------------------------------------------------------------


def test_emails_are_printed_as_a_person_reads_them_with_links_whole():
    link = "http://127.0.0.1:8000/accounts/confirm-email/MQ:1vS3kx:" + "a" * 60 + "/"
    message = EmailMultiAlternatives(
        subject="Confirm your email address",
        body=f"Hello,\n\nConfirm your address:\n{link}\n",
        to=["new@seller.example"],
    )
    message.attach_alternative(f"<p><a href='{link}'>Confirm</a></p>", "text/html")
    stream = io.StringIO()
    assert ReadableConsoleBackend(stream=stream).send_messages([message]) == 1
    printed = stream.getvalue()
    assert "Email to new@seller.example" in printed
    assert "Subject: Confirm your email address" in printed
    assert link in printed.splitlines()
    assert "Content-Transfer-Encoding" not in printed
    assert "<a href" not in printed
