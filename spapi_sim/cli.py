"""Command line: ``python -m spapi_sim serve|info|bench``."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys

from spapi_sim.clock import parse_iso
from spapi_sim.config import FAULT_KINDS, FaultConfig, SimConfig
from spapi_sim.state import SimState


def _add_world_options(parser: argparse.ArgumentParser) -> None:
    defaults = SimConfig(anchor=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--sellers", type=int, default=defaults.sellers)
    parser.add_argument(
        "--skus", type=int, default=defaults.skus_per_seller, help="SKUs per seller"
    )
    parser.add_argument(
        "--marketplaces",
        default=",".join(defaults.marketplaces),
        help="country codes or regions, e.g. US,CA,MX or NA,EU",
    )
    parser.add_argument("--history-days", type=int, default=defaults.history_days)
    parser.add_argument(
        "--demand-scale",
        type=float,
        default=defaults.demand_scale,
        help="multiplies every SKU's rate of sale",
    )
    parser.add_argument(
        "--anchor", default=None, help="ISO date-time where history ends (default: today 00:00 UTC)"
    )


def _config(args: argparse.Namespace, **extra: object) -> SimConfig:
    kwargs: dict[str, object] = {
        "seed": args.seed,
        "sellers": args.sellers,
        "skus_per_seller": args.skus,
        "marketplaces": tuple(m.strip() for m in args.marketplaces.split(",") if m.strip()),
        "history_days": args.history_days,
        "demand_scale": args.demand_scale,
        **extra,
    }
    if args.anchor:
        kwargs["anchor"] = parse_iso(args.anchor)
    return SimConfig(**kwargs)  # type: ignore[arg-type]


def _checked_config(
    parser: argparse.ArgumentParser, args: argparse.Namespace, **extra: object
) -> SimConfig:
    """The configuration, or the usage and the reason on stderr (exit status 2) for a value it refuses."""
    try:
        return _config(args, **extra)
    except ValueError as exc:
        parser.error(str(exc))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m spapi_sim", description="A local Amazon SP-API, LWA and consent simulator."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the simulator")
    _add_world_options(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8100)
    serve.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (0 freezes)",
    )
    serve.add_argument(
        "--never-ahead",
        action="store_true",
        help="start at the end of the history and run at --clock-speed only until the real "
        "time, then follow it: nothing is ever dated in the future",
    )
    serve.add_argument(
        "--rate-scale",
        type=float,
        default=1.0,
        help="multiplies usage-plan rates and bursts; 0 disables",
    )
    serve.add_argument(
        "--report-seconds",
        type=float,
        default=20.0,
        help="simulated seconds a report takes, before its size part",
    )
    serve.add_argument(
        "--report-seconds-per-1000-rows",
        type=float,
        default=2.0,
        help="simulated seconds a report takes for each 1,000 rows it covers",
    )
    serve.add_argument(
        "--plans-on-clock",
        action="store_true",
        help="usage plans run on the simulated clock (with --clock-speed: Amazon's plans, faster)",
    )
    serve.add_argument(
        "--report-polls",
        type=int,
        default=0,
        help="getReport calls that also finish a report (0: only time does)",
    )
    serve.add_argument(
        "--error-rate", type=float, default=0.0, help="probability each enabled fault fires"
    )
    serve.add_argument(
        "--faults", default="", help=f"comma-separated fault kinds: {','.join(FAULT_KINDS)}"
    )
    serve.add_argument(
        "--redirect-uri",
        action="append",
        default=None,
        help="registered OAuth redirect URI (repeatable)",
    )
    serve.add_argument(
        "--draft", action="store_true", help="the app is in draft: consent needs version=beta"
    )
    serve.add_argument("--verbose", action="store_true")

    info = commands.add_parser(
        "info", help="print the application, LWA credentials and sellers as JSON"
    )
    _add_world_options(info)

    bench = commands.add_parser("bench", help="print build time, memory and requests/s as JSON")
    bench.add_argument("--skus", type=int, default=10_000)
    bench.add_argument("--history-days", type=int, default=730)

    args = parser.parse_args(argv)
    if args.command == "info":
        print(json.dumps(SimState(_checked_config(parser, args)).info(), indent=2))
        return 0
    if args.command == "bench":
        from spapi_sim.bench import run

        print(json.dumps(run(args.skus, args.history_days)))
        return 0

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    extra: dict[str, object] = {
        "clock_speed": args.clock_speed,
        "clock_never_ahead": args.never_ahead,
        "rate_scale": args.rate_scale,
        "faults": FaultConfig(
            error_rate=args.error_rate, kinds=[k for k in args.faults.split(",") if k]
        ),
        "app_is_draft": args.draft,
        "report_seconds": args.report_seconds,
        "report_seconds_per_1000_rows": args.report_seconds_per_1000_rows,
        "report_polls": args.report_polls,
        "plans_on_clock": args.plans_on_clock,
    }
    if args.redirect_uri:
        extra["redirect_uris"] = tuple(args.redirect_uri)
    from spapi_sim.server import create_server

    server = create_server(_checked_config(parser, args, **extra), args.host, args.port)
    print(f"spapi_sim listening on {server.base_url}", file=sys.stderr)
    print(json.dumps(server.info(), indent=2))
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
