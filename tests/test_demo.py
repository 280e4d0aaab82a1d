"""`make demo` starts the whole product, connects the demo team through the consent flow, and stops."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_demo_starts_connects_and_stops_cleanly():
    web, simulator, stripe = _free_port(), _free_port(), _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")
    }
    env.update(APP_ENV="demo", STRIPE_API_BASE=f"http://127.0.0.1:{stripe}", LOG_JSON="false")
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
