"""The profit read model follows what changes below it (ams.profit.rollups)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.dispatch import receiver

from ams.core.exchange_rates import rates_loaded
from ams.core.tenancy import team_scope
from ams.costing.signals import cogs_changed
from ams.procurement.signals import costs_changed
from ams.profit.rollups import reprice_since, sales_refresh, unrated_since
from ams.profit.tasks import profit_rebuild
from ams.teams.models import Team
from ams.teams.signals import home_currency_changed


@receiver(costs_changed)
def reprice_skus(sender: Any, *, team_id: int, skus: Sequence[str], **kwargs: Any) -> None:
    """Units sold are priced again at the costs now saved, in the transaction that saved them
    (the caller's team scope is in force)."""
    sales_refresh(skus=skus)


@receiver(cogs_changed)
def reprice_batches(
    sender: Any, *, team_id: int, skus: frozenset[str] | None, since: date | None, **kwargs: Any
) -> None:
    """Units sold are priced again from the day their batches changed (a receipt, a landed cost,
    new sales or returns), in the repricing transaction."""
    if skus is not None and not skus:
        return
    sales_refresh(skus=None if skus is None else sorted(skus), first_day=since)


@receiver(home_currency_changed)
def convert_again(sender: Any, *, team_id: int, **kwargs: Any) -> None:
    """Every figure in the home currency converted again, by a job deferred in the transaction
    that changed it (until it runs, the profit page still reads the figures in the old one)."""
    profit_rebuild.defer(team_id=team_id)


@receiver(rates_loaded)
def convert_new_days(sender: Any, *, since: date, **kwargs: Any) -> None:
    """Once the ECB's rates of days that had none are stored (the nightly refresh), each team's
    figures of those days stored meanwhile, incomplete in the home currency, are converted."""
    for team_id in Team.objects.order_by("id").values_list("id", flat=True):
        with team_scope(team_id):
            if unrated_since(since):
                reprice_since(since)
