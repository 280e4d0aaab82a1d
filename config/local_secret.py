"""The SECRET_KEY of a development checkout: made once, kept under .devdb/, never a constant.

A constant key in the code would let anyone who read it forge what the key signs (sessions,
e-mail confirmation links) on any machine running the demo. The entry points (manage.py and the
test run) call ``environ_ensure`` before the settings load; production sets SECRET_KEY itself,
and the settings refuse to start without one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def environ_ensure(folder: Path) -> None:
    """Unless SECRET_KEY is set (or this is production), set it from ``folder/secret_key``,
    which is made the first time with a new random key, readable by its owner only."""
    if os.environ.get("SECRET_KEY") or os.environ.get("APP_ENV") == "prod":
        return
    path = folder / "secret_key"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
    os.environ["SECRET_KEY"] = path.read_text().strip()
