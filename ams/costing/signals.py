"""What cost of goods tells the apps above it, without knowing them (docs/architecture.md,
"Layers"): the profit read model listens and prices those SKUs' days again."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the repricing transaction with ``team_id``, ``skus`` (a frozenset, or None for every
# SKU) and ``since`` (the first order day whose cost may have changed, or None for all history).
cogs_changed = Signal()
