"""Switching a connection between the database roles AMS uses.

The web process connects as the app role. Migrations run as the owner role, and the sync worker
as the worker role, the only one that can read the token vault. The database name is kept, so the
switch also works on the test database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

Role = Literal["owner", "worker"]
_CREDENTIAL_KEYS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


@contextmanager
def connected_as(role: Role, alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[alias]
    original = {key: connection.settings_dict.get(key) for key in _CREDENTIAL_KEYS}
    target = settings.DATABASE_ROLES[role]
    if connection.in_atomic_block:
        raise RuntimeError("cannot switch database roles inside a transaction")
    connection.close()
    connection.settings_dict.update({key: target.get(key) for key in _CREDENTIAL_KEYS})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(original)


@contextmanager
def role_connection(role: Role, alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own as ``role``, beside the process's connections, closed on exit.

    ``connected_as`` switches the credentials every thread of the process connects with, which is
    right for a command but not inside a worker running other jobs at the same time: a job that
    needs another role for a moment (the owner's audit prune) takes a connection of its own.
    """
    base = connections[alias]
    target = settings.DATABASE_ROLES[role]
    own = type(base)(
        {**base.settings_dict, **{key: target.get(key) for key in _CREDENTIAL_KEYS}},
        alias=f"{alias}:{role}",
    )
    try:
        yield own
    finally:
        own.close()


def role_name(role: Role | Literal["app"]) -> str:
    # From the role table, not the live connection, which connected_as() may have switched.
    return str(settings.DATABASE_ROLES[role]["USER"])
