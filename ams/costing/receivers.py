"""Purchasing's news, acted on in its own transaction: a receipt or a landed cost reprices the
products' sales from its day (``ams.purchasing.signals``). A refusal (no rate to value the goods)
raises, and the change that asked is rolled back with it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.dispatch import receiver

from ams.costing.refresh import costing_refresh
from ams.purchasing.signals import goods_cost_changed
from ams.teams.models import Team


@receiver(goods_cost_changed)
def reprice(sender: Any, *, team_id: int, product_ids: frozenset[int], day: date, **_: Any) -> None:
    team = Team.objects.get(pk=team_id)
    costing_refresh(team, since=dict.fromkeys(product_ids, day))
