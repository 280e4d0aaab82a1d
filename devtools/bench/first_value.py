"""Time to first value: from a seller's consent to a complete overview of the last 30 days, and
to the full history, at Amazon's real usage plans and report processing times.

The simulator runs in a process of its own, its clock ``clock_speed`` times faster than real
time and its usage plans on that clock (``--plans-on-clock``); the client's own limiter, its
backoff and its report polls run on the same clock. Every duration printed is therefore in
Amazon's time: a real second is ``clock_speed`` seconds of it. AMS's own work (parsing, the
database) is counted at the same rate, so the seconds printed are an upper bound of what a
seller would wait.

The families run as the worker runs the jobs a connect queues (``ams.sync.tasks``): in that
order, ``WORKER_CONCURRENCY`` at a time, a first sync that has stored its last 30 days queued
again behind the others for its older history.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import deque
from datetime import timedelta
from typing import Any

from django.db import connections
from django.utils import timezone

from ams.amazon.models import ConnectionMarketplace, SellerConnection
from ams.core import marketplaces
from ams.core.tenancy import team_scope
from ams.dashboard import overview as ov
from ams.sync.coverage import family_coverage
from ams.sync.models import Family, SyncStatus
from ams.teams.models import Team
from devtools.bench.sync import _drop_team, _free_port, _wait_for, peak_rss_mb

# The simulator's clock against real time. AMS's own work is counted at this rate too, so a
# lower speed is closer to Amazon's time on a loaded machine (docs/benchmarks.md): five times
# takes about eight real minutes for forty of Amazon's.
CLOCK_SPEED = 5.0
# ``manage.py worker``'s default: jobs run at once.
WORKER_CONCURRENCY = 4
# How often the overview's completeness is looked at, in real seconds.
LOOK_EVERY = 0.25


class _AmazonClock:
    """Seconds on the simulator's clock (Amazon's time), for the client's limiter and sleeps."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.started = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self.started) * self.speed

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.speed)


def _connect(team: Team, seller: dict[str, Any]) -> SellerConnection:
    """The rows the connect flow writes for the seller."""
    with team_scope(team.id):
        connection = SellerConnection.objects.create(
            team=team,
            selling_partner_id=seller["selling_partner_id"],
            region=seller["region"],
            name=seller["name"][:120],
            authorized_at=timezone.now(),
        )
        for m in seller["marketplaces"]:
            ConnectionMarketplace.objects.create(
                team=team,
                connection=connection,
                marketplace_id=m["id"],
                country_code=m["country_code"],
                currency=m["currency"],
                name=m["country_code"],
            )
    return connection


def plan_bound(requests: dict[str, int]) -> tuple[float, str]:
    """The least time Amazon's usage plans allow for these calls (each operation's calls past
    its burst at its rate; getReport one per report), and the operation that decides it."""
    from spapi_sim.ratelimit import USAGE_PLANS

    needed = dict(requests)
    if "getReport" in needed:
        needed["getReport"] = min(needed["getReport"], needed.get("createReport", 0))
    waits = {
        operation: max(0.0, (count - USAGE_PLANS[operation][1]) / USAGE_PLANS[operation][0])
        for operation, count in needed.items()
        if operation in USAGE_PLANS
    }
    slowest = max(waits, key=lambda operation: waits[operation], default="")
    return (waits[slowest] if slowest else 0.0), slowest


def bench_first_value(
    *,
    skus: int = 300,
    days: int = 730,
    marketplaces_option: str = "US,CA,MX",
    seed: int = 7,
    clock_speed: float = CLOCK_SPEED,
    concurrency: int = WORKER_CONCURRENCY,
) -> dict[str, Any]:
    import httpx

    from ams.sync import clients
    from ams.sync.services import RetryableSyncError, sync_run
    from spapi import LwaClient, SpApiClient
    from spapi.ratelimit import MemoryLimiter

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
        [
            sys.executable,
            "-m",
            "spapi_sim",
            "serve",
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--sellers",
            "1",
            "--skus",
            str(skus),
            "--marketplaces",
            marketplaces_option,
            "--history-days",
            str(days),
            "--clock-speed",
            str(clock_speed),
            "--rate-scale",
            "1",
            "--plans-on-clock",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    stamp = f"first-value-{int(time.time() * 1000)}"
    team = Team.objects.create(name=f"Benchmark {stamp}", slug=f"bench-{stamp}")
    original = clients.client_for
    try:
        http = httpx.Client(base_url=base_url, timeout=60)
        info = _wait_for(http)
        seller = info["sellers"][0]
        spid = seller["selling_partner_id"]
        http.post("/_sim/stats/reset")
        amazon = _AmazonClock(clock_speed)
        # The seller consents: Seller Central redirects with a code, which AMS exchanges.
        consent = amazon.now()
        code = http.post("/_sim/authorize", json={"selling_partner_id": spid}).json()["code"]
        lwa = LwaClient(f"{base_url}/auth/o2/token", info["client_id"], info["client_secret"])
        refresh = lwa.exchange_code(code).refresh_token
        assert refresh is not None
        conn = _connect(team, seller)
        # One limiter for the seller, shared by every worker, as production's is.
        limiter = MemoryLimiter(clock=amazon.now, sleep=amazon.sleep)

        def client_for(_connection: SellerConnection) -> SpApiClient:
            return SpApiClient(
                base_url=base_url,
                lwa=lwa,
                seller_id=spid,
                refresh_token_provider=lambda: refresh,
                limiter=limiter,
                sleep=amazon.sleep,
            )

        clients.client_for = client_for  # type: ignore[assignment]
        finished: dict[str, float] = {}
        statuses: dict[str, str] = {}
        # The jobs a connect queues (``sync_defer_all``), taken in that order by the worker's
        # slots; a first sync that stored its last 30 days queues itself again at the end.
        jobs: deque[str] = deque(f.value for f in Family)
        queue = threading.Condition()
        running = [0]

        def slot() -> None:
            try:
                while True:
                    with queue:
                        while not jobs and running[0]:
                            queue.wait()
                        if not jobs:
                            queue.notify_all()
                            return
                        family = jobs.popleft()
                        running[0] += 1
                    status = "failed"
                    try:
                        status = sync_run(
                            team_id=team.id, connection_id=conn.id, family=family, yield_recent=True
                        )
                    except RetryableSyncError:
                        status = "retry"  # the job's retry strategy runs it again
                    finally:
                        with queue:
                            running[0] -= 1
                            if status in (SyncStatus.QUEUED, "retry"):
                                jobs.append(family)
                            else:
                                statuses[family] = str(status)
                                finished[family] = amazon.now() - consent
                            queue.notify_all()
            finally:
                connections.close_all()

        workers = [threading.Thread(target=slot, daemon=True) for _ in range(concurrency)]
        for thread in workers:
            thread.start()
        zones = [marketplaces.zone(m["id"]) for m in seller["marketplaces"]]
        recent: float | None = None
        recent_requests: dict[str, int] = {}
        waiting_at: dict[str, float] = {}
        while any(thread.is_alive() for thread in workers):
            time.sleep(LOOK_EVERY)
            if recent is not None:
                continue
            today = max(timezone.now().astimezone(z).date() for z in zones)
            period = ov.preset_period("30d", today=today)
            with team_scope(team.id):
                waiting = ov.still_waiting(family_coverage(team=team), period, zones)
            moment = amazon.now() - consent
            for family in ov.OVERVIEW_FAMILIES:
                if family not in waiting and family not in waiting_at:
                    waiting_at[family] = moment
            if not waiting:
                recent = moment
                recent_requests = {
                    op: c["requests"]
                    for op, c in sorted(http.get("/_sim/stats").json()["operations"].items())
                }
        full = amazon.now() - consent
        connections.close_all()
        stats = http.get("/_sim/stats").json()["operations"]
        with team_scope(team.id):
            from ams.orders.models import Order

            coverage = family_coverage(team=team)
            reaches = coverage["orders"].history_from
            # The first whole UTC day of the history read, to the end of the last whole one.
            first_day = (reaches + timedelta(days=1)).date() if reaches else None
            last_day = (timezone.now() - timedelta(days=1)).date()
            stored = Order.objects.filter(
                connection=conn,
                purchased_at__date__gte=first_day or last_day,
                purchased_at__date__lte=last_day,
            ).count()
        truth = http.get(
            f"/_sim/truth/{spid}",
            params={
                "families": "orders",
                "from": (first_day or last_day).isoformat(),
                "to": last_day.isoformat(),
            },
        ).json()
    finally:
        clients.client_for = original
        _drop_team(team)
        server.terminate()
        server.wait(10)
    totals = {op: c["requests"] for op, c in sorted(stats.items())}
    return {
        "time": (
            f"seconds of Amazon's time (the simulator's clock at {clock_speed:g}x real time, usage "
            "plans and report processing on it at Amazon's real rates; AMS's own work counted at "
            "the same rate, so an upper bound)"
        ),
        "last_30_days_seconds": None if recent is None else round(recent, 1),
        "full_history_seconds": round(full, 1),
        "target_last_30_days_seconds": 300,
        # The least time the usage plans allow for the calls made, and the plan that decides it.
        "usage_plan_bound_seconds": {
            "last_30_days": round(plan_bound(recent_requests)[0], 1),
            "full_history": round(plan_bound(totals)[0], 1),
            "full_history_decided_by": plan_bound(totals)[1],
        },
        "family_first_value_seconds": {f: round(s, 1) for f, s in sorted(waiting_at.items())},
        "family_done_seconds": {f: round(s, 1) for f, s in sorted(finished.items())},
        "statuses": statuses,
        "requests_to_last_30_days": recent_requests,
        "requests_total": totals,
        "throttled": sum(c["throttled"] for c in stats.values()),
        "history_reaches_back_to": reaches.date().isoformat() if reaches else None,
        "history_days_read": (timezone.now() - reaches).days if reaches else None,
        # Orders purchased on the whole UTC days the history covers: stored, and the simulator's truth.
        "orders_stored": stored,
        "orders_truth": truth.get("orders", {}).get("count"),
        "seller": {
            "skus": skus,
            "marketplaces": marketplaces_option,
            "history_days": days,
            "seed": seed,
        },
        "clock_speed": clock_speed,
        "worker_concurrency": concurrency,
        "real_seconds": round(full / clock_speed, 1),
        "all_done": all(s in (SyncStatus.DONE, SyncStatus.PARTIAL) for s in statuses.values()),
        "peak_rss_mb": peak_rss_mb(),
    }
