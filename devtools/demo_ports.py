"""The demo's ports: the web server's, and the simulator's and Stripe stand-in's derived from it.

``make demo PORT=8000`` serves AMS on 8000, the Amazon simulator on PORT + 100 (8100) and the
Stripe stand-in on PORT + 4111 (12111). A derived port that is taken is replaced by a free one the
system picks; a port that was asked for (PORT, SIM_PORT, STRIPE_PORT or the command's options) is
never replaced: when it is taken the demo stops before starting anything, naming the port, what it
was for and the setting that changes it.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

SIMULATOR_OFFSET = 100
STRIPE_OFFSET = 4111


class PortInUse(Exception):
    pass


@dataclass(frozen=True)
class DemoPorts:
    web: int
    simulator: int
    stripe: int
    # Derived ports that were taken and replaced, as sentences for the banner.
    notes: tuple[str, ...] = ()


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now (as the demo's servers bind: reusable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _any_free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _explicit(port: int, what: str, setting: str, host: str) -> int:
    if not 0 < port < 65536:
        raise PortInUse(f"Port {port} ({what}) is not a port number: set {setting} to 1-65535.")
    if not port_free(port, host):
        raise PortInUse(
            f"Port {port} ({what}) is in use: set {setting}=<another port>, "
            "or stop what listens there."
        )
    return port


def demo_ports(
    web: int,
    *,
    simulator: int | None = None,
    stripe: int | None = None,
    host: str = "127.0.0.1",
) -> DemoPorts:
    """The ports to start on, or ``PortInUse`` naming the one that cannot be had."""
    web = _explicit(web, "web server", "PORT", host)
    notes: list[str] = []
    chosen = {web}

    def pick(asked: int | None, offset: int, what: str, setting: str) -> int:
        if asked is not None:
            port = _explicit(asked, what, setting, host)
        else:
            derived = web + offset
            if derived < 65536 and derived not in chosen and port_free(derived, host):
                port = derived
            else:
                port = _any_free_port(host)
                while port in chosen:
                    port = _any_free_port(host)
                notes.append(
                    f"Port {derived} ({what}) was in use: using {port} (set {setting} to choose)."
                )
        if port in chosen:
            raise PortInUse(
                f"Port {port} ({what}) is already the demo's: set {setting} to another."
            )
        chosen.add(port)
        return port

    simulator_port = pick(simulator, SIMULATOR_OFFSET, "Amazon simulator", "SIM_PORT")
    stripe_port = pick(stripe, STRIPE_OFFSET, "Stripe stand-in", "STRIPE_PORT")
    return DemoPorts(web=web, simulator=simulator_port, stripe=stripe_port, notes=tuple(notes))
