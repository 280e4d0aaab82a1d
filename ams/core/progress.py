"""A job's progress, saved while the job's own transaction is still open.

A job that builds a file reads its rows and stores the file in one transaction (the team scope
is transaction-local, and a half-stored file must never be seen as done), so nothing it writes
there can be seen before it ends. The count of rows done is therefore saved by a thread of its
own, on its own database connection, in short transactions of its own, about once a second.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from django.db import connections
from django.db.models import Model

from ams.core.tenancy import team_scope

INTERVAL_SECONDS = 1.0


class ProgressWriter:
    """``with ProgressWriter(Model, pk, team_id=…) as progress: … progress.step()``.

    Sets ``field`` of the row to the count of steps while the block runs, and once more as the
    block ends. The caller must not write the row inside the block: its transaction would hold
    the row's lock until it ends, and the writer would wait for it.
    """

    def __init__(
        self,
        model: type[Model],
        pk: int,
        *,
        team_id: int,
        field: str = "rows_done",
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        self.done = 0
        self._model = model
        self._pk = pk
        self._team_id = team_id
        self._field = field
        self._interval = interval
        self._saved = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"progress-{pk}", daemon=True)

    def step(self, count: int = 1) -> None:
        self.done += count

    def __enter__(self) -> ProgressWriter:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                self._save()
            self._save()
        finally:
            # This thread's connection, not the job's.
            connections.close_all()

    def _save(self) -> None:
        done = self.done
        if done == self._saved:
            return
        values: dict[str, Any] = {self._field: done}
        with team_scope(self._team_id):
            self._model._default_manager.filter(pk=self._pk).update(**values)
        self._saved = done
