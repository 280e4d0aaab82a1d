"""Background jobs on Procrastinate, in the same PostgreSQL as the data.

Tasks are thin entry points: they take ids, enter the team's scope and call a service. A job is
deferred in the caller's transaction, so it exists if and only if the data it follows committed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import close_old_connections, connection
from procrastinate.contrib.django import app

from ams.core.tenancy import NoTeamScope, team_scope

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["app", "team_task"]


def team_task(**task_options: Any) -> Callable[[Callable[..., R]], Any]:
    """Declare a task that runs inside ``team_scope(team_id)``; ``team_id`` is a required keyword.

    A job without a team refuses to run: row-level security would only return zero rows, and a
    silent empty job is worse than a loud one.
    """

    def decorator(func: Callable[..., R]) -> Any:
        @functools.wraps(func)
        def run(*args: Any, team_id: int | None = None, **kwargs: Any) -> R:
            if not team_id:
                raise NoTeamScope(f"{func.__name__} was deferred without a team_id")
            close_old_connections()
            try:
                with team_scope(int(team_id)):
                    return func(*args, team_id=int(team_id), **kwargs)
            finally:
                close_old_connections()

        return app.task(**task_options)(run)

    return decorator


def team_jobs_forget(*, team_id: int) -> int:
    """Delete every job row naming a deleted team, except those running now (they end on their
    own, finding nothing). Their arguments are the team's and its connections' ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE status <> 'doing' AND args->>'team_id' = %s",
            [str(team_id)],
        )
        return int(cursor.rowcount)
