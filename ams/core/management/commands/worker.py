"""``manage.py worker``: run the job worker as the worker database role.

The worker role is the only one allowed to read the token vault; the web process never is.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from ams.core.db_roles import connected_as


class Command(BaseCommand):
    help = "Run the background job worker (as the worker database role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="", help="Comma-separated queues; all when empty.")
        parser.add_argument("--concurrency", type=int, default=4)

    def handle(self, *args: Any, **options: Any) -> None:
        worker_args = ["worker", f"--concurrency={options['concurrency']}"]
        if options["queues"]:
            worker_args.append(f"--queues={options['queues']}")
        with connected_as("worker"):
            call_command("procrastinate", *worker_args)
