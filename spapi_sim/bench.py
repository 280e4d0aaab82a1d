"""The numbers: time and peak memory to build a big seller, and requests/s on a cheap call."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import resource
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from spapi_sim.config import SimConfig
from spapi_sim.server import start_server
from spapi_sim.state import SimState


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def build_benchmark(skus: int, days: int, seed: int = 7) -> tuple[dict[str, Any], SimState]:
    anchor = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    config = SimConfig(
        seed=seed, sellers=1, skus_per_seller=skus, history_days=days, anchor=anchor, clock_speed=0
    )
    started = time.perf_counter()
    cpu_started = time.process_time()
    state = SimState(config)
    state.build()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    world = next(iter(state.sellers.values()))
    result = {
        "skus": skus,
        "history_days": days,
        "orders": len(world.history.o_time),
        "build_seconds": round(seconds, 2),
        # CPU time too: on a shared machine the wall clock also counts other processes.
        "build_cpu_seconds": round(cpu_seconds, 2),
        "peak_rss_mb": _peak_rss_mb(),
    }
    return result, state


def _token(base: str, info: dict[str, Any]) -> str:
    parts = urlsplit(base)
    spid = info["sellers"][0]["selling_partner_id"]
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    conn.request(
        "POST",
        "/_sim/authorize",
        json.dumps({"selling_partner_id": spid}),
        {"Content-Type": "application/json"},
    )
    code = json.loads(conn.getresponse().read())["code"]
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
        }
    )
    conn.request(
        "POST", "/auth/o2/token", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    token = json.loads(conn.getresponse().read())["access_token"]
    conn.close()
    return str(token)


def throughput_benchmark(seconds: float = 3.0, clients: int = 4) -> dict[str, Any]:
    """Requests per second on getMarketplaceParticipations with keep-alive clients."""
    config = SimConfig(
        seed=1, sellers=1, skus_per_seller=50, history_days=30, rate_scale=0, clock_speed=0
    )
    with start_server(config) as server:
        token = _token(server.base_url, server.info())
        parts = urlsplit(server.base_url)
        counts = [0] * clients
        deadline = time.perf_counter() + seconds

        def worker(slot: int) -> None:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
            while time.perf_counter() < deadline:
                conn.request(
                    "GET",
                    "/sellers/v1/marketplaceParticipations",
                    headers={"x-amz-access-token": token},
                )
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[slot] += 1
            conn.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    return {
        "operation": "getMarketplaceParticipations",
        "clients": clients,
        "requests_per_second": round(sum(counts) / elapsed, 1),
    }


def serve_history_benchmark(state: SimState, days: int = 30) -> dict[str, Any]:
    """Stream the last ``days`` of order reports twice, a month at a time: RSS must stay flat.

    Documents are generated row by row and gzip-streamed; nothing of what was served is kept,
    so the second pass must not raise the peak.
    """
    from spapi_sim.reports.documents import DocumentSpec, rows

    world = next(iter(state.sellers.values()))
    now = state.now_seconds(world)
    rows_streamed = 0
    peaks = []
    started = time.perf_counter()
    for _pass in range(2):
        for start in range(now - days * 86400, now, 30 * 86400):
            spec = DocumentSpec(
                "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
                (0,),
                start,
                min(now, start + 30 * 86400),
                now,
            )
            for _row in rows(world, spec):
                rows_streamed += 1
        peaks.append(_peak_rss_mb())
    return {
        "order_report_rows_streamed": rows_streamed,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb_after_first_pass": peaks[0],
        "peak_rss_mb_after_second_pass": peaks[1],
    }


def run(skus: int = 10_000, days: int = 730) -> dict[str, Any]:
    build, state = build_benchmark(skus, days)
    serve = serve_history_benchmark(state)
    del state
    throughput = throughput_benchmark()
    return {"build": build, "serve_history": serve, "throughput": throughput}
