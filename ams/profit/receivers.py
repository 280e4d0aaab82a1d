"""The profit read model follows what changes below it (ams.profit.rollups)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.dispatch import receiver

from ams.procurement.signals import costs_changed
from ams.profit.rollups import sales_refresh
from ams.profit.tasks import profit_rebuild
from ams.teams.signals import home_currency_changed


@receiver(costs_changed)
def reprice_skus(sender: Any, *, team_id: int, skus: Sequence[str], **kwargs: Any) -> None:
    """Units sold are priced again at the costs now saved, in the transaction that saved them
    (the caller's team scope is in force)."""
    sales_refresh(skus=skus)


@receiver(home_currency_changed)
def convert_again(sender: Any, *, team_id: int, **kwargs: Any) -> None:
    """Every figure in the home currency converted again, by a job deferred in the transaction
    that changed it (until it runs, the profit page still reads the figures in the old one)."""
    profit_rebuild.defer(team_id=team_id)
