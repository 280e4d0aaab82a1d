"""The profit read model follows what changes below it (ams.profit.rollups)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.dispatch import receiver

from ams.procurement.signals import costs_changed
from ams.profit.rollups import sales_refresh


@receiver(costs_changed)
def reprice_skus(sender: Any, *, team_id: int, skus: Sequence[str], **kwargs: Any) -> None:
    """Units sold are priced again at the costs now saved, in the transaction that saved them
    (the caller's team scope is in force)."""
    sales_refresh(skus=skus)
