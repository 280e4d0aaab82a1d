"""What the security audit trail costs: appends to one team's chain (one at a time, and from
several threads at once, which the chain's lock serialises), and the verification of the chain.

A team of its own is made and, at the end, removed with its entries as the owner role (the app
role cannot delete audit entries).
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any

from django.db import connection, connections

from ams.billing.models import Subscription
from ams.core.audit_log import audit_record, audit_verify, team_chain
from ams.core.db_roles import connected_as
from ams.core.models import AuditChainHead
from ams.core.tenancy import team_scope
from ams.teams.models import Team


def _append(team_id: int, count: int, thread: int = 0) -> list[float]:
    timings = []
    for i in range(count):
        started = time.perf_counter()
        audit_record(team_id=team_id, actor_id=1, kind="bench.append", thread=thread, i=i)
        timings.append(time.perf_counter() - started)
    return timings


def bench_audit(*, entries: int, threads: int) -> dict[str, Any]:
    team = Team.objects.create(name="Audit bench", slug=f"audit-bench-{int(time.time())}")
    try:
        timings = _append(team.id, entries)
        per_thread = max(1, entries // threads)
        results: list[list[float]] = []

        def worker(n: int) -> None:
            try:
                results.append(_append(team.id, per_thread, thread=n + 1))
            finally:
                connections.close_all()

        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        concurrent_seconds = time.perf_counter() - started
        started = time.perf_counter()
        reports = [r for r in audit_verify() if r.chain == team_chain(team.id)]
        verify_seconds = time.perf_counter() - started
        (report,) = reports
        timings.sort()
        return {
            "appends_one_at_a_time": entries,
            "append_ms_median": round(statistics.median(timings) * 1000, 3),
            "append_ms_p95": round(timings[int(len(timings) * 0.95) - 1] * 1000, 3),
            "concurrent_threads": threads,
            "concurrent_appends": per_thread * threads,
            "concurrent_appends_per_second": round(per_thread * threads / concurrent_seconds),
            "chain_entries_verified": report.entries,
            "chain_ok": report.ok,
            "verify_entries_per_second": round(report.entries / verify_seconds),
        }
    finally:
        with connected_as("owner"), team_scope(team.id), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry WHERE team_id = %s", [team.id])
        _remove(team)


def _remove(team: Team) -> None:
    AuditChainHead.objects.filter(chain=team_chain(team.id)).delete()
    with team_scope(team.id):
        Subscription.objects.filter(team=team).delete()  # made for every new team
        team.delete()
