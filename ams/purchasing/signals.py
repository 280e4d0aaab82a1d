"""What purchasing tells the apps above it, without knowing them (docs/architecture.md, "Layers":
the lower layer owns the question). Cost of goods (``ams.costing``) listens, so a receipt or a
changed landed cost reprices the sales from its day in the same transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the writing transaction with ``team_id``, ``product_ids`` (a frozenset) and ``day``:
# the cost of these products' goods changed from that day on (a receipt, a landed cost).
goods_cost_changed = Signal()
